//! What e-mailed links and passwords do for a guardian: following an invitation or reset link,
//! accepting an invitation, asking for and completing a password reset, changing one's password.

use super::access::{write_password_reset, OrgContext};
use super::guarded_effects;
use super::sign_in::{new_session, verify_throttled, Login, Session};
use crate::context::Client;
use crate::adapters::crypto::{hash_password, new_id};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::invitations::{self, invitation_changed_by, Accepter, reset_changed_by, InvitationByToken, LinkRow, ResetByToken};
use crate::store::{audit, won};
use crate::store::sessions::SignInDevice;
use portal_core::access::{check_cooldown, may_accept, AccessError, Requester};
use portal_core::audit::{Actor, ActorKind, AuditEntry};
use portal_core::email::EmailAddress;
use portal_core::link_token;
use portal_core::notification::Notification;
use portal_core::password::NewPassword;
use portal_core::session::SessionKind;
pub use crate::context::SignedInGuardian;

fn invitation_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::InvitationNotFound, "This invitation link is not valid. Check that you copied all of it.")
}

fn reset_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::ResetLinkNotFound, "This password reset link is not valid.")
}

/// A guardian acting through a link, named as the history shows them.
fn guardian_actor(id: &str, first: &str, last: &str) -> Actor {
    Actor { kind: ActorKind::Guardian, id: Some(id.into()), label: format!("{first} {last}") }
}

/// The invitation or reset behind a link of organization `org`, if there is one. A string that
/// cannot be one of our tokens is not looked up; another organization's link is not found here.
pub async fn find_link<T: LinkRow>(app: &App, org: &str, token: &str) -> ApiResult<Option<T>> {
    if !link_token::looks_valid(token) {
        return Ok(None);
    }
    let found: Option<T> = invitations::find_by_token_hash(&app.db, &link_token::hash(token)).await?;
    Ok(found.filter(|row| row.org_slug() == org))
}

/// The invitation behind a link, or `invitation_not_found`.
pub async fn invitation(app: &App, org: &str, token: &str) -> ApiResult<InvitationByToken> {
    find_link(app, org, token).await?.ok_or_else(invitation_not_found)
}

/// What an invitee sends to accept: the link's token, a password, and the two confirmations.
pub struct Acceptance<'a> {
    pub token: &'a str,
    pub password: &'a str,
    pub confirm_adult: bool,
    pub accept_terms: bool,
}

/// A guardian who has just accepted their invitation, signed in by it.
pub struct Accepted {
    pub org_id: String,
    pub guardian_id: String,
    pub session: Session,
}

fn wrong_existing_password() -> ApiError {
    ApiError::forbidden(
        ErrorCode::WrongPassword,
        "This e-mail address already has a login here: enter the password you sign in with.",
    )
}

/// Accepting an invitation signs the person in. An address that is not yet a login becomes one with
/// the new password; an address that already is one (a guardian in another family) proves it with
/// its password, and the family joins that login. A secondary's primary is told. One batch guarded
/// on the invitation: an accept that races a revoke, a re-send or another accept writes nothing and
/// answers with what happened to the link.
pub async fn accept_invitation(app: &App, org: &str, client: &Client, acceptance: Acceptance<'_>) -> ApiResult<Accepted> {
    let inv = invitation(app, org, acceptance.token).await?;
    if inv.portal_enabled == 0 {
        return Err(ApiError::portal_unavailable());
    }
    may_accept(inv.status(app.now()), acceptance.confirm_adult, acceptance.accept_terms)?;

    let change_id = new_id("chg")?;
    let mut statements = Vec::new();
    let new_person_id;
    let password_hash;
    let accepter = match (&inv.person_id, &inv.person_password_hash) {
        (Some(person_id), Some(stored)) => {
            let login = Login { portal: SessionKind::Guardian, org_slug: org, email: &inv.email };
            let clear = verify_throttled(app, client, &login, Some(stored), acceptance.password)
                .await
                .map_err(|e| if e.code == ErrorCode::InvalidCredentials { wrong_existing_password() } else { e })?;
            statements.push(clear);
            Accepter::ExistingPerson { person_id }
        }
        _ => {
            let password = NewPassword::parse(acceptance.password)?;
            password_hash = hash_password(password.as_str(), app.config.password_cost).await?;
            new_person_id = new_id("per")?;
            Accepter::NewPerson { person_id: &new_person_id, password_hash: &password_hash }
        }
    };
    let guard = || invitation_changed_by(&inv.id, &change_id);
    let mut batch = invitations::accept(&app.db, &inv, accepter, &change_id, app.now())?;
    let session = new_session(
        app,
        SessionKind::Guardian,
        &inv.org_id,
        org,
        &inv.guardian_id,
        inv.customer_session_epoch,
        &SignInDevice { user_agent: client.user_agent.clone(), ..SignInDevice::default() },
        Some(guard()),
    )?;
    batch.extend(session.statements);
    let name = format!("{} {}", inv.first_name, inv.last_name);
    let actor = guardian_actor(&inv.guardian_id, &inv.first_name, &inv.last_name);
    let accepted = AuditEntry::about_guardian(actor, "invitation_accepted", &inv.guardian_id, name.clone(), &inv.family_id, None);
    let notices: Vec<Notification> = match &inv.primary_email {
        Some(to) if inv.primary_guardian_id != inv.guardian_id => vec![Notification::InvitationAccepted {
            to: to.clone(),
            org_name: inv.org_name.clone(),
            guardian_name: name,
        }],
        _ => vec![],
    };
    let fx = guarded_effects(app, &inv.org_id, &[accepted], &notices, guard)?;
    batch.extend(fx.statements);
    batch.extend(statements);
    let results = app.db.batch(batch).await?;
    if !won(&results, 0)? {
        // Revoked, re-sent or used while we were hashing: say what happened to the link.
        let now = invitation(app, org, acceptance.token).await?;
        return Err(now.status(app.now()).problem().unwrap_or(AccessError::InvitationRevoked).into());
    }
    app.enqueue(&fx.outbox_ids).await;
    Ok(Accepted { org_id: inv.org_id, guardian_id: inv.guardian_id, session: session.session })
}

/// "Forgot your password?": e-mails a reset link to the guardian who can log in with `email`, at
/// most once per cooldown. An unknown organization or address is no error, so that the answer does
/// not reveal who has an account.
pub async fn request_password_reset(app: &App, org: &str, email: &str) -> ApiResult<()> {
    let email = EmailAddress::parse(email)?;
    let Some(o) = invitations::reset_organization(&app.db, org).await? else { return Ok(()) };
    let Some(target) = invitations::reset_recipient(&app.db, &o.id, email.as_str()).await? else { return Ok(()) };
    let last = invitations::last_reset_at(&app.db, &target.id).await?;
    if check_cooldown(last, app.now()).is_err() {
        return Ok(());
    }
    let org = OrgContext { id: o.id, slug: o.slug, name: o.name, invitation_ttl_hours: o.invitation_ttl_hours };
    let actor = guardian_actor(&target.id, &target.first_name, &target.last_name);
    write_password_reset(app, &org, actor, &target, email.as_str().to_string()).await
}

/// Using a reset link: the new password is set and every session of the guardian ends, in one
/// batch guarded on the link, so a link works once even when used twice at the same moment.
pub async fn complete_password_reset(app: &App, org: &str, token: &str, new_password: &str) -> ApiResult<()> {
    let reset: ResetByToken = find_link(app, org, token).await?.ok_or_else(reset_not_found)?;
    if !reset.usable(app.now()) {
        return Err(AccessError::ResetLinkInvalid.into());
    }
    let password = NewPassword::parse(new_password)?;
    let password_hash = hash_password(password.as_str(), app.config.password_cost).await?;
    let change_id = new_id("chg")?;
    let mut statements = invitations::complete_reset(&app.db, &reset, &password_hash, &change_id, app.now())?;
    let actor = guardian_actor(&reset.guardian_id, &reset.first_name, &reset.last_name);
    let name = format!("{} {}", reset.first_name, reset.last_name);
    let entry = AuditEntry::about_guardian(actor, "password_reset_completed", &reset.guardian_id, name, &reset.family_id, None);
    statements.push(audit::insert(&app.db, &reset.org_id, &entry, app.now(), Some(reset_changed_by(&reset.id, &change_id)))?);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        return Err(AccessError::ResetLinkInvalid.into());
    }
    Ok(())
}

/// Changing one's own password: the current one is checked under the sign-in throttles (a wrong
/// one is `wrong_password`, not a failed sign-in). The password is the login's, so one's other
/// sessions end in every family.
pub async fn change_password(
    app: &App,
    who: &SignedInGuardian<'_>,
    client: &Client,
    current_password: &str,
    new_password: &str,
) -> ApiResult<()> {
    let new_password = NewPassword::parse(new_password)?;
    let login = Login { portal: SessionKind::Guardian, org_slug: &who.org.slug, email: who.email.unwrap_or(&who.me.id) };
    let clear_throttle = verify_throttled(app, client, &login, who.password_hash, current_password)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::InvalidCredentials {
                ApiError::forbidden(ErrorCode::WrongPassword, "The current password is not correct.")
            } else {
                e
            }
        })?;
    let password_hash = hash_password(new_password.as_str(), app.config.password_cost).await?;
    let actor = Requester::Guardian(who.me.clone()).actor();
    let entry = AuditEntry::about_guardian(actor, "password_changed", &who.me.id, who.me.full_name(), &who.me.family_id, None);
    let mut statements = invitations::change_password(&app.db, who.person_id, who.session_id, &password_hash, app.now())?;
    statements.push(audit::insert(&app.db, &who.org.id, &entry, app.now(), None)?);
    statements.push(clear_throttle);
    app.db.batch(statements).await?;
    Ok(())
}
