//! Access commands shared by the Office Portal and the Customer Portal: each loads what the rule
//! needs, asks `portal_core::access`, and writes the decision in one guarded D1 batch.

use crate::app::App;
use crate::adapters::crypto::{new_id, new_link_token};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::commands::{guarded_effects, payments};
use crate::store::families::{self, ContactChange, ContactOwner, FamilyRow, GuardianRow};
use crate::store::invitations::{self, guardian_changed_by, InvitationFilter, InvitationRow, NewInvitation};
use crate::store::{audit, outbox, revocation, sessions, won, Guard};
use portal_core::access::{
    check_cooldown, invitation_address, may_edit_contact, may_invite, may_staff_change_email, may_resend, may_revoke, may_send_password_reset, may_set_permissions,
    visibility, AccessError, AccessState, AccessStatus, GuardianFacts, Permissions, Requester, RevokeOutcome, PASSWORD_RESET_TTL_HOURS,
};
use portal_core::audit::AuditEntry;
use portal_core::email_change::EmailChangeError;
use portal_core::email::EmailAddress;
use portal_core::family::{Contact, FamilyStatus};
use portal_core::ids::{FamilyId, GuardianId};
use portal_core::link_token;
use portal_core::notification::Notification;
use portal_core::time::Timestamp;
use crate::store::sessions::EnterableFamily;
use serde::{Deserialize, Serialize};
use worker::{D1PreparedStatement, D1Result};

/// Defined below the http layer (src/context.rs), which makes it for every signed-in request.
pub use crate::context::OrgContext;

/// A reason given for a revoke: optional, trimmed, at most 500 characters.
pub fn parse_reason(reason: Option<&str>) -> ApiResult<Option<String>> {
    match reason.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() > 500 => Err(ApiError::invalid_field("reason", "The reason must be at most 500 characters.")),
        Some(r) => Ok(Some(r.to_string())),
    }
}

fn entry(requester: &Requester, action: &str, target: &GuardianRow, reason: Option<String>) -> AuditEntry {
    AuditEntry::about_guardian(requester.actor(), action, &target.id, target.full_name(), &target.family_id, reason)
}

pub async fn load_target(app: &App, org: &OrgContext, guardian_id: &str) -> ApiResult<(GuardianRow, FamilyRow)> {
    let not_found = || ApiError::from(AccessError::GuardianNotFound);
    match families::find_guardian_and_family(&app.db, &org.id, guardian_id).await? {
        (Some(guardian), Some(family)) => Ok((guardian, family)),
        _ => Err(not_found()),
    }
}

pub struct PrimaryContact {
    pub name: String,
    pub email: Option<String>,
}

pub async fn primary_contact(app: &App, family: &FamilyRow) -> ApiResult<PrimaryContact> {
    Ok(match families::contact_of(&app.db, &family.primary_guardian_id).await? {
        Some(r) => PrimaryContact { name: format!("{} {}", r.first_name, r.last_name), email: r.email },
        None => PrimaryContact { name: "the Primary Guardian".into(), email: None },
    })
}

/// The e-mail to a guardian whose access ended: contact the Primary Guardian with any questions.
pub fn revoked_notice(org: &OrgContext, target: &GuardianRow, family: &FamilyRow, primary_name: &str, to: &str) -> Notification {
    Notification::AccessRevoked {
        to: to.to_string(),
        org_name: org.name.clone(),
        first_name: target.first_name.clone(),
        family_name: family.name.clone(),
        primary_name: primary_name.to_string(),
    }
}

/// Sends an invitation (or re-sends it: a new token, the old one dies) to `target`.
pub async fn send_invitation(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &GuardianRow,
    family: &FamilyRow,
    requested_email: Option<EmailAddress>,
    resend: bool,
) -> ApiResult<()> {
    send_invitation_only_if(app, org, requester, target, family, requested_email, resend, None).await
}

/// `send_invitation`, only while `only_if` holds, checked in the batch itself (an import applying
/// its dry run invites a contact only as the dry run saw them); when it does not, nothing changes
/// and the answer is an error.
#[allow(clippy::too_many_arguments)]
pub async fn send_invitation_only_if(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &GuardianRow,
    family: &FamilyRow,
    requested_email: Option<EmailAddress>,
    resend: bool,
    only_if: Option<Guard<'_>>,
) -> ApiResult<()> {
    let facts = target.facts();
    let last_sent = target.invitation_sent_at.map(Timestamp);
    if resend {
        may_resend(requester, &facts, last_sent, app.now())?;
    } else {
        may_invite(requester, &facts)?;
        check_cooldown(last_sent, app.now())?;
    }
    let on_file = target.email.as_deref().map(EmailAddress::parse).transpose().ok().flatten();
    let (email, changed) = invitation_address(on_file.as_ref(), requested_email, &facts)?;
    let claim = EmailClaim { family_id: &target.family_id, except_guardian: Some(&target.id), person: None };
    if changed {
        claim.check(app, email.as_str()).await?;
    }

    let token = new_link_token()?;
    let token_hash = link_token::hash(&token);
    let (invitation_id, change_id) = (new_id("inv")?, new_id("chg")?);
    let expires_at = app.now().plus_hours(org.invitation_ttl_hours);
    let actor = requester.actor();
    let invited_by = match requester {
        Requester::Staff(_) => org.name.clone(),
        Requester::Guardian(g) => g.full_name(),
    };
    let notice = Notification::Invitation {
        to: email.as_str().into(),
        org_name: org.name.clone(),
        org_slug: org.slug.clone(),
        first_name: target.first_name.clone(),
        family_name: family.name.clone(),
        invited_by,
        token,
        expires_at,
        resent: resend,
    };
    let action = if resend { "invitation_resent" } else { "invitation_sent" };
    let mut statements = invitations::send(
        &app.db,
        &NewInvitation {
            id: &invitation_id,
            org_id: &org.id,
            family_id: &target.family_id,
            guardian_id: &target.id,
            token_hash: &token_hash,
            email: email.as_str(),
            sent_by: &actor,
            expires_at,
        },
        &change_id,
        app.now(),
        only_if,
    )?;
    let guard = || guardian_changed_by(&target.id, &change_id);
    let fx = guarded_effects(app, &org.id, &[entry(requester, action, target, None)], &[notice], guard)?;
    statements.extend(fx.statements);
    let results = claim.batch(app, Some(email.as_str()), statements).await?;
    if !won(&results, 0)? {
        // Another send won the race (the cooldown), or the invitation was accepted meanwhile.
        let now = families::find_guardian(&app.db, &org.id, &target.id).await?;
        return Err(match now {
            Some(g) if g.state() != AccessState::CanLogIn => {
                check_cooldown(g.invitation_sent_at.map(Timestamp), app.now()).err().unwrap_or(AccessError::ResendTooSoon(1))
            }
            _ => AccessError::AlreadyHasAccess(target.full_name()),
        }
        .into());
    }
    app.enqueue(&fx.outbox_ids).await;
    Ok(())
}

/// Adds a contact (no access) to a family: staff from the Office Portal, the primary from My Account.
pub async fn add_contact(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    family: &FamilyRow,
    contact: &Contact,
) -> ApiResult<GuardianRow> {
    let claim = EmailClaim { family_id: &family.id, except_guardian: None, person: None };
    if let Some(email) = &contact.email {
        claim.check(app, email.as_str()).await?;
    }
    let guardian_id = new_id("gdn")?;
    let added = AuditEntry::about_guardian(requester.actor(), "guardian_added", &guardian_id, format!("{} {}", contact.first_name, contact.last_name), &family.id, None);
    let statements = vec![
        families::insert_guardian(&app.db, &guardian_id, &org.id, &family.id, contact, app.now())?,
        audit::insert(&app.db, &org.id, &added, app.now(), None)?,
    ];
    claim.batch(app, contact.email.as_ref().map(EmailAddress::as_str), statements).await?;
    families::find_guardian(&app.db, &org.id, &guardian_id)
        .await?
        .ok_or_else(|| ApiError::internal("a guardian just added is missing"))
}

/// Who is about to take an address: a guardian of a family (other than `except_guardian`), and for
/// a person editing their own details, their login too. A family lists an address once; a login is
/// one person's.
pub struct EmailClaim<'a> {
    pub family_id: &'a str,
    pub except_guardian: Option<&'a str>,
    /// The organization and the person whose login address changes.
    pub person: Option<(&'a str, &'a str)>,
}

impl EmailClaim<'_> {
    async fn taken(&self, app: &App, email: &str) -> ApiResult<bool> {
        if families::email_in_family(&app.db, self.family_id, email, self.except_guardian).await? {
            return Ok(true);
        }
        match self.person {
            Some((org_id, person_id)) => families::email_of_other_person(&app.db, org_id, email, person_id).await,
            None => Ok(false),
        }
    }

    pub async fn check(&self, app: &App, email: &str) -> ApiResult<()> {
        if self.taken(app, email).await? {
            return Err(email_in_use());
        }
        Ok(())
    }

    /// Writes a batch that gives the address `email`. The unique indexes refuse an address taken
    /// between the caller's check and the write: that is `email_in_use`.
    pub async fn batch(&self, app: &App, email: Option<&str>, statements: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        match app.db.batch(statements).await {
            Ok(results) => Ok(results),
            Err(e) => match email {
                Some(email) if self.taken(app, email).await? => Err(email_in_use()),
                _ => Err(e),
            },
        }
    }
}

pub fn email_in_use() -> ApiError {
    ApiError::conflict(ErrorCode::EmailInUse, "Another guardian of this family, or another login, already uses that e-mail address.")
        .at("email")
}

/// What a revoke would do, without doing it. Field order is the API's (alphabetical).
#[derive(Serialize)]
pub struct RevokePreview {
    pub access_status_after: AccessStatus,
    pub already_revoked: bool,
    pub emails: Vec<PreviewEmail>,
    pub guardian_id: GuardianId,
    /// Each method as `commands::payments` shows it.
    pub payment_methods_deleted: Vec<payments::MethodView>,
    pub recurring_affected: bool,
    pub sessions_ended: i64,
}

/// An e-mail a revoke would send.
#[derive(Serialize)]
pub struct PreviewEmail {
    pub kind: &'static str,
    pub to: String,
}

pub async fn revoke_preview(app: &App, requester: &Requester, target: &GuardianRow) -> ApiResult<RevokePreview> {
    let outcome = may_revoke(requester, &target.facts())?;
    let revokes = outcome == RevokeOutcome::Revoke;
    let sessions = if revokes { sessions::live_count(&app.db, &target.id, app.now()).await? } else { 0 };
    let (methods, recurring) = payments::revoke_preview(app, &target.id).await?;
    let emails = if revokes { target.email.iter().map(|to| PreviewEmail { kind: "access_revoked", to: to.clone() }).collect() } else { vec![] };
    Ok(RevokePreview {
        access_status_after: AccessStatus::InviteRevoked,
        already_revoked: outcome == RevokeOutcome::AlreadyRevoked,
        emails,
        guardian_id: GuardianId(target.id.clone()),
        payment_methods_deleted: methods,
        recurring_affected: recurring,
        sessions_ended: sessions,
    })
}

/// Revokes `target`'s login or pending invitation. A repeated revoke changes nothing.
pub async fn revoke(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &GuardianRow,
    family: &FamilyRow,
    reason: Option<String>,
) -> ApiResult<()> {
    revoke_only_if(app, org, requester, target, family, reason, None).await.map(|_| ())
}

/// `revoke`, only while `only_if` holds, checked in the batch itself (an import applying its dry
/// run revokes a contact only as the dry run saw them). False when it did not hold (or another
/// revoke came first): nothing changed here.
pub async fn revoke_only_if(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &GuardianRow,
    family: &FamilyRow,
    reason: Option<String>,
    only_if: Option<Guard<'_>>,
) -> ApiResult<bool> {
    if may_revoke(requester, &target.facts())? == RevokeOutcome::AlreadyRevoked {
        return Ok(true);
    }
    let conditional = only_if.is_some();
    let change_id = new_id("chg")?;
    let primary = primary_contact(app, family).await?;
    let mut notices: Vec<Notification> = target
        .email
        .iter()
        .map(|to| revoked_notice(org, target, family, &primary.name, to))
        .collect();
    // Staff revoking a secondary: the Primary Guardian, who decides access, is told.
    if let (Requester::Staff(_), false, Some(to)) = (requester, target.is_primary, primary.email.clone()) {
        notices.push(Notification::SecondaryRevokedByStaff {
            to,
            org_name: org.name.clone(),
            guardian_name: target.full_name(),
            reason: reason.clone(),
        });
    }
    let mut statements = revocation::revoke_only_if(&app.db, &target.id, &change_id, app.now(), only_if)?;
    // A manual revoke: the guardian's saved payment methods are deleted too.
    let why = match &reason {
        Some(r) => format!("Access revoked by {}: {r}", requester.actor().label),
        None => format!("Access revoked by {}.", requester.actor().label),
    };
    let deletion = payments::delete_on_revoke(app, &org.id, target, &family.id, &change_id, &why, guardian_changed_by(&target.id, &change_id))?
        .add_to(&mut statements);
    let guard = || guardian_changed_by(&target.id, &change_id);
    let fx = guarded_effects(app, &org.id, &[entry(requester, "access_revoked", target, reason)], &notices, guard)?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    if won(&results, 0)? {
        app.enqueue(&fx.outbox_ids).await;
        deletion.enqueue(app, &results).await?;
        return Ok(true);
    }
    // Zero changes: a concurrent revoke won, and the guardian is revoked all the same; or the
    // condition did not hold.
    Ok(!conditional)
}

/// What the Primary Guardian allows a secondary: make payments, view the full ledger, manage
/// students and enrollments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionChange {
    pub can_make_payments: bool,
    pub can_view_full_ledger: bool,
    /// Absent: unchanged (clients written before this permission existed send only the other two).
    pub can_manage_enrollments: Option<bool>,
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub async fn set_permissions(app: &App, org: &OrgContext, me: &GuardianFacts, target: &GuardianRow, p: &PermissionChange) -> ApiResult<()> {
    may_set_permissions(me, &target.facts())?;
    let entry = AuditEntry {
        actor: Requester::Guardian(me.clone()).actor(),
        action: "permissions_changed".into(),
        target_kind: "guardian".into(),
        target_id: target.id.clone(),
        target_label: Some(target.full_name()),
        family_id: Some(target.family_id.clone()),
        reason: Some(format!(
            "make payments: {}; view full ledger: {}; manage enrollments: {}",
            yes_no(p.can_make_payments),
            yes_no(p.can_view_full_ledger),
            yes_no(p.can_manage_enrollments.unwrap_or(target.can_manage_enrollments)),
        )),
    };
    app.db
        .batch(vec![
            families::set_permissions(&app.db, &target.id, p.can_make_payments, p.can_view_full_ledger, p.can_manage_enrollments, app.now())?,
            audit::insert(&app.db, &org.id, &entry, app.now(), None)?,
        ])
        .await?;
    Ok(())
}

/// The answer to a password reset sent: `{"status": "sent"}`.
#[derive(Serialize)]
pub struct ResetSent {
    status: &'static str,
}

impl ResetSent {
    pub const SENT: ResetSent = ResetSent { status: "sent" };
}

/// E-mails `target` a single-use link to choose a new password.
pub async fn send_password_reset(app: &App, org: &OrgContext, requester: &Requester, target: &GuardianRow) -> ApiResult<()> {
    may_send_password_reset(requester, &target.facts())?;
    let Some(to) = target.email.clone() else {
        return Err(AccessError::NoEmail(target.full_name()).into());
    };
    write_password_reset(app, org, requester.actor(), target, to).await
}

pub async fn write_password_reset(
    app: &App,
    org: &OrgContext,
    actor: portal_core::audit::Actor,
    target: &GuardianRow,
    to: String,
) -> ApiResult<()> {
    let token = new_link_token()?;
    let reset_id = new_id("rst")?;
    let expires_at = app.now().plus_hours(PASSWORD_RESET_TTL_HOURS);
    let notice = Notification::PasswordReset {
        to,
        org_name: org.name.clone(),
        org_slug: org.slug.clone(),
        first_name: target.first_name.clone(),
        token: token.clone(),
        expires_at,
    };
    let audit_entry = AuditEntry {
        actor,
        action: "password_reset_sent".into(),
        target_kind: "guardian".into(),
        target_id: target.id.clone(),
        target_label: Some(target.full_name()),
        family_id: Some(target.family_id.clone()),
        reason: None,
    };
    let mail = outbox::insert_email(&app.db, Some(&org.id), &notice, &app.config.public_base_url, app.now(), None)?;
    let mut statements =
        invitations::insert_reset(&app.db, &reset_id, &org.id, &target.id, &link_token::hash(&token), app.now(), expires_at)?;
    statements.push(audit::insert(&app.db, &org.id, &audit_entry, app.now(), None)?);
    statements.push(mail.statement);
    app.commit(statements, &[mail.id]).await?;
    Ok(())
}

/// A guardian as `viewer` may see them, with the actions the viewer is offered. Field order is
/// the API's (alphabetical).
#[derive(Serialize)]
pub struct GuardianView {
    pub accepted_at: Option<String>,
    /// The day their access ends (organization time), if the primary set one.
    pub access_ends_on: Option<String>,
    pub access_label: &'static str,
    pub access_status: AccessStatus,
    pub actions: Vec<&'static str>,
    pub contact_editable: bool,
    pub email: Option<String>,
    pub family_id: FamilyId,
    pub first_name: String,
    pub id: GuardianId,
    pub invitation_expires_at: Option<String>,
    pub is_primary: bool,
    pub last_name: String,
    pub permissions: Permissions,
    pub phone: Option<String>,
}

impl GuardianView {
    pub fn of(row: &GuardianRow, viewer: &Requester, now: Timestamp) -> GuardianView {
        let status = row.status(now);
        let seen = visibility(viewer, &row.facts());
        let contact = |v: &Option<String>| v.clone().filter(|_| seen.contact_visible);
        GuardianView {
            accepted_at: row.accepted_at.map(|t| Timestamp(t).to_rfc3339()),
            access_ends_on: row.access_ends_on.clone(),
            access_label: status.label(),
            access_status: status,
            contact_editable: seen.contact_editable,
            email: contact(&row.email),
            family_id: FamilyId(row.family_id.clone()),
            first_name: row.first_name.clone(),
            id: GuardianId(row.id.clone()),
            invitation_expires_at: row.invitation_expires_at.map(|t| Timestamp(t).to_rfc3339()),
            is_primary: row.is_primary,
            last_name: row.last_name.clone(),
            permissions: Permissions::effective(row.is_primary, row.granted()),
            phone: contact(&row.phone),
            actions: seen.actions,
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// The guardian `guardian_id` as they are now, as `viewer` sees them: what an access change answers.
pub async fn guardian_now(app: &App, org: &OrgContext, viewer: &Requester, guardian_id: &str) -> ApiResult<GuardianView> {
    let (target, _) = load_target(app, org, guardian_id).await?;
    Ok(GuardianView::of(&target, viewer, app.now()))
}

/// A family with its guardians as `viewer` sees them. Field order is the API's (alphabetical).
#[derive(Serialize)]
pub struct FamilyView {
    pub guardians: Vec<GuardianView>,
    pub id: FamilyId,
    pub merged_into_id: Option<FamilyId>,
    pub name: String,
    pub primary_guardian_id: GuardianId,
    pub status: FamilyStatus,
}

impl FamilyView {
    pub fn of(family: &FamilyRow, guardians: &[GuardianRow], viewer: &Requester, now: Timestamp) -> FamilyView {
        FamilyView {
            guardians: guardians.iter().map(|g| GuardianView::of(g, viewer, now)).collect(),
            id: FamilyId(family.id.clone()),
            merged_into_id: family.merged_into_id.clone().map(FamilyId),
            name: family.name.clone(),
            primary_guardian_id: GuardianId(family.primary_guardian_id.clone()),
            status: family.status,
        }
    }
}

/// A family the signed-in person may enter (the Family Switcher), and whether it is this session's.
#[derive(Serialize)]
pub struct FamilyChoice {
    pub id: FamilyId,
    pub is_current: bool,
    pub name: String,
}

pub fn family_choices(families: &[EnterableFamily], current: &str) -> Vec<FamilyChoice> {
    families.iter().map(|f| FamilyChoice { id: FamilyId(f.id.clone()), is_current: f.id == current, name: f.name.clone() }).collect()
}

/// What a revoke answers: the preview when it is a dry run, else the guardian after it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum RevokeAnswer {
    Preview { preview: RevokePreview },
    Revoked(GuardianView),
}

/// A revoke as both front doors (staff, the Primary Guardian) ask for it: `reason` checked, then
/// the preview (`dry_run`) or the revoke itself.
pub async fn revoke_guardian(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    guardian_id: &str,
    reason: Option<&str>,
    dry_run: bool,
) -> ApiResult<RevokeAnswer> {
    let reason = parse_reason(reason)?;
    let (target, family) = load_target(app, org, guardian_id).await?;
    if dry_run {
        return Ok(RevokeAnswer::Preview { preview: revoke_preview(app, requester, &target).await? });
    }
    revoke(app, org, requester, &target, &family, reason).await?;
    Ok(RevokeAnswer::Revoked(guardian_now(app, org, requester, guardian_id).await?))
}

/// One invitation in the staff console. Field order is the API's (alphabetical).
#[derive(Serialize)]
pub struct InvitationView {
    pub email: String,
    pub ended_at: Option<String>,
    pub expires_at: String,
    pub family_id: FamilyId,
    pub guardian_id: GuardianId,
    pub guardian_name: String,
    pub id: String,
    pub sent_at: String,
    pub sent_by: SentBy,
    /// As stored, except a pending one past its expiry, which is `expired`.
    pub state: String,
}

#[derive(Serialize)]
pub struct SentBy {
    pub kind: String,
    pub label: String,
}

#[derive(Serialize)]
pub struct InvitationList {
    pub invitations: Vec<InvitationView>,
}

/// Every invitation of the organization (of one state, or all), newest first, with its expiry.
pub async fn invitations(app: &App, org_id: &str, filter: InvitationFilter) -> ApiResult<InvitationList> {
    let rows = invitations::list(&app.db, org_id, filter, app.now()).await?;
    let expired = |r: &InvitationRow| r.state == "pending" && r.expires_at <= app.now().millis();
    let views = rows
        .into_iter()
        .map(|r| InvitationView {
            state: if expired(&r) { "expired".into() } else { r.state.clone() },
            email: r.email,
            ended_at: r.ended_at.map(|t| Timestamp(t).to_rfc3339()),
            expires_at: Timestamp(r.expires_at).to_rfc3339(),
            family_id: FamilyId(r.family_id),
            guardian_id: GuardianId(r.guardian_id),
            guardian_name: format!("{} {}", r.first_name, r.last_name),
            id: r.id,
            sent_at: Timestamp(r.created_at).to_rfc3339(),
            sent_by: SentBy { kind: r.sent_by_kind, label: r.sent_by_label },
        })
        .collect();
    Ok(InvitationList { invitations: views })
}

/// A guardian's own contact details, edited by them (or by the primary before they accepted).
/// Changing the address of a pending invitation withdraws it: it was sent to the old address.
pub async fn edit_contact_details(
    app: &App,
    org: &OrgContext,
    editor: &GuardianFacts,
    target: &GuardianRow,
    change: &ContactChange,
) -> ApiResult<()> {
    may_edit_contact(editor, &target.facts())?;
    let new_email = change.email.clone().flatten();
    let email_changes = change.email.is_some() && new_email != target.email;
    if target.state() == AccessState::CanLogIn && change.email == Some(None) {
        return Err(ApiError::invalid_field("email", "A guardian who can log in needs an e-mail address."));
    }
    // Once linked to their login (they accepted), the details are the person's: their own edit
    // changes them in every family they are a guardian of.
    let owner = match (&target.person_id, editor.id == target.id) {
        (Some(person_id), true) => ContactOwner::Person(person_id),
        _ => ContactOwner::Guardian(&target.id),
    };
    let person = match owner {
        ContactOwner::Person(person_id) => Some((org.id.as_str(), person_id)),
        ContactOwner::Guardian(_) => None,
    };
    let claim = EmailClaim { family_id: &target.family_id, except_guardian: Some(&target.id), person };
    if let (true, Some(e)) = (email_changes, &new_email) {
        claim.check(app, e).await?;
    }
    // The login e-mail changes only through Change Login Email (a link to the new address).
    if email_changes && (target.state() == AccessState::CanLogIn || target.person_id.is_some()) {
        if editor.id == target.id {
            return Err(EmailChangeError::ThroughChangeLoginEmail.into());
        }
        may_staff_change_email(&target.facts(), target.person_id.is_some())?;
    }
    let actor = Requester::Guardian(editor.clone()).actor();
    let entry = AuditEntry::about_guardian(actor, "contact_updated", &target.id, target.full_name(), &target.family_id, None);
    let mut statements = families::update_contact(&app.db, owner, change, app.now())?;
    if email_changes && target.state() == AccessState::InviteSent {
        statements.extend(invitations::withdraw(&app.db, &target.id, app.now(), || None)?);
    }
    statements.push(audit::insert(&app.db, &org.id, &entry, app.now(), None)?);
    claim.batch(app, new_email.as_deref(), statements).await?;
    Ok(())
}

/// Staff edit a guardian's contact details (the Office Portal's Edit): what `change` names and
/// nothing else. Names and phone always; the e-mail only while it is no one's login (409
/// `login_email`: `may_staff_change_email`), and a changed address withdraws a pending invitation,
/// which went to the old one. A membership linked to a login has the person's details: a change
/// of name or phone is the person's, in every family. Answers the guardian as staff see them.
pub async fn staff_edit_guardian(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    guardian_id: &str,
    change: &ContactChange,
) -> ApiResult<GuardianView> {
    let (target, _) = load_target(app, org, guardian_id).await?;
    let email_changes = change.email.as_ref().is_some_and(|e| *e != target.email);
    let change = ContactChange {
        first_name: change.first_name.clone(),
        last_name: change.last_name.clone(),
        email: change.email.clone().filter(|_| email_changes),
        phone: change.phone.clone(),
    };
    let new_email = change.email.clone().flatten();
    let claim = EmailClaim { family_id: &target.family_id, except_guardian: Some(&target.id), person: None };
    if email_changes {
        may_staff_change_email(&target.facts(), target.person_id.is_some())?;
        if let Some(e) = &new_email {
            claim.check(app, e).await?;
        }
    }
    let change_id = new_id("chg")?;
    let guard = || guardian_changed_by(&target.id, &change_id);
    let mut statements = match (email_changes, &target.person_id) {
        (true, _) => {
            let mut s = vec![families::update_unlinked_contact(&app.db, &target.id, &change, &change_id, app.now())?];
            s.extend(invitations::withdraw(&app.db, &target.id, app.now(), || Some(guard()))?);
            s
        }
        (false, Some(person_id)) => families::update_contact(&app.db, ContactOwner::Person(person_id), &change, app.now())?,
        (false, None) => families::update_contact(&app.db, ContactOwner::Guardian(&target.id), &change, app.now())?,
    };
    let updated = entry(requester, "contact_updated", &target, None);
    statements.push(audit::insert(&app.db, &org.id, &updated, app.now(), email_changes.then(guard))?);
    let results = claim.batch(app, new_email.as_deref(), statements).await?;
    if email_changes && !won(&results, 0)? {
        // The invitation was accepted meanwhile: the address is a login's now.
        return Err(AccessError::LoginEmail(target.full_name()).into());
    }
    guardian_now(app, org, requester, guardian_id).await
}
