//! Invitations and password-reset links (stored by the hash of their token only), and the
//! password writes they lead to.

use super::families::{GuardianRow, GUARDIAN_WHO_CAN_LOG_IN};
use super::{int, sessions, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::access::{invitation_link_status, LinkStatus};
use portal_core::access::RESEND_COOLDOWN_SECONDS;
use portal_core::audit::Actor;
use portal_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// True while the guardian row was last changed by the command with this change id.
pub fn guardian_changed_by<'a>(guardian_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM guardians WHERE id = ? AND last_change_id = ?)",
        args: vec![text(guardian_id), text(change_id)],
    }
}

pub fn invitation_changed_by<'a>(invitation_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM invitations WHERE id = ? AND change_id = ?)",
        args: vec![text(invitation_id), text(change_id)],
    }
}

pub fn reset_changed_by<'a>(reset_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM password_resets WHERE id = ? AND change_id = ?)",
        args: vec![text(reset_id), text(change_id)],
    }
}

/// `UPDATE ... WHERE <condition> AND <guard>`, with the guard's values after the statement's own.
pub fn guarded_update<'a>(db: &Db, sql: &str, mut args: Vec<Arg<'a>>, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    args.extend(guard.args);
    db.stmt(&format!("{sql} AND {}", guard.sql), &args)
}

pub const SUPERSEDE_PENDING: &str =
    "UPDATE invitations SET state = 'superseded', ended_at = ? WHERE guardian_id = ? AND state = 'pending'";

pub const WITHDRAW_INVITED_STATE: &str =
    "UPDATE guardians SET access_state = 'no_access' WHERE id = ? AND access_state = 'invite_sent'";

/// An invitation withdrawn before it was accepted (its address changed, or its guardian became
/// the primary): the pending link stops working and the guardian is back to "No Access" until a
/// new one is sent. A login they already had stays. Guarded like the command, if it is.
pub fn withdraw<'a>(
    db: &Db,
    guardian_id: &'a str,
    now: Timestamp,
    guard: impl Fn() -> Option<Guard<'a>>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let statement = |sql: &str, args: Vec<Arg<'a>>| match guard() {
        Some(g) => guarded_update(db, sql, args, g),
        None => db.stmt(sql, &args),
    };
    Ok(vec![
        statement(SUPERSEDE_PENDING, vec![int(now.millis()), text(guardian_id)])?,
        statement(WITHDRAW_INVITED_STATE, vec![text(guardian_id)])?,
    ])
}

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub guardian_id: &'a str,
    pub token_hash: &'a str,
    pub email: &'a str,
    pub sent_by: &'a Actor,
    pub expires_at: Timestamp,
}

pub const MARK_INVITED: &str = "UPDATE guardians SET access_state = 'invite_sent', email = ?2, last_change_id = ?3, updated_at = ?4 \
     WHERE id = ?1 AND access_state != 'can_log_in' \
     AND NOT EXISTS (SELECT 1 FROM invitations WHERE guardian_id = ?1 AND state = 'pending' AND created_at > ?5)";

/// Marks the guardian invited (to `email`), replaces any live invitation, records the new one.
/// The first statement carries the change id; the others run only if it changed the guardian. It
/// changes nothing if the guardian can log in, or was sent an invitation within the re-send
/// cooldown: checked in the batch itself, so parallel sends cannot all pass the check.
pub fn send(db: &Db, inv: &NewInvitation<'_>, change_id: &str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || guardian_changed_by(inv.guardian_id, change_id);
    let cooldown_started = now.plus_seconds(-RESEND_COOLDOWN_SECONDS);
    Ok(vec![
        db.stmt(
            MARK_INVITED,
            &[text(inv.guardian_id), text(inv.email), text(change_id), int(now.millis()), int(cooldown_started.millis())],
        )?,
        guarded_update(db, SUPERSEDE_PENDING, vec![int(now.millis()), text(inv.guardian_id)],
            guard(),
        )?,
        {
            let (tail, args) = super::guarded(
                vec![
                    text(inv.id),
                    text(inv.org_id),
                    text(inv.family_id),
                    text(inv.guardian_id),
                    text(inv.token_hash),
                    text(inv.email),
                    text(inv.sent_by.kind.as_str()),
                    super::opt_text(inv.sent_by.id.as_deref()),
                    text(&inv.sent_by.label),
                    int(now.millis()),
                    int(inv.expires_at.millis()),
                ],
                Some(guard()),
            );
            db.stmt(
                &format!(
                    "INSERT INTO invitations (id, org_id, family_id, guardian_id, token_hash, email, sent_by_kind, \
                     sent_by_id, sent_by_label, created_at, expires_at) {tail}"
                ),
                &args,
            )?
        },
    ])
}

/// Revokes a guardian's access: their live invitation dies, every session ends, unused reset
/// links die. The first statement carries the change id; the others are guarded by it.
pub fn revoke(db: &Db, guardian_id: &str, change_id: &str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    end_access(
        db,
        Whose::Guardian(guardian_id),
        StateChange::CarriesChange(change_id),
        "access_revoked",
        now,
        || guardian_changed_by(guardian_id, change_id),
    )
}

/// Whose access ends: one guardian, or every guardian of a family but the one who keeps theirs.
#[derive(Clone, Copy)]
pub enum Whose<'a> {
    Guardian(&'a str),
    FamilyExcept { family_id: &'a str, keep: &'a str },
}

impl<'a> Whose<'a> {
    /// The condition on their `guardians` rows.
    fn rows(self) -> &'static str {
        match self {
            Whose::Guardian(_) => "id = ?",
            Whose::FamilyExcept { .. } => "family_id = ? AND id != ?",
        }
    }

    /// The condition on a column naming one of them (`guardian_id`, a session's `subject_id`).
    fn named_by(self, column: &str) -> String {
        match self {
            Whose::Guardian(_) => format!("{column} = ?"),
            Whose::FamilyExcept { .. } => format!("{column} IN (SELECT id FROM guardians WHERE family_id = ? AND id != ?)"),
        }
    }

    fn args(self) -> Vec<Arg<'a>> {
        match self {
            Whose::Guardian(id) => vec![text(id)],
            Whose::FamilyExcept { family_id, keep } => vec![text(family_id), text(keep)],
        }
    }
}

/// What ending access does to the guardians' `access_state`: a login or an invitation becomes
/// `invite_revoked`, in one of three places.
#[derive(Clone, Copy)]
pub enum StateChange<'a> {
    /// In the batch's first statement, which carries the change id the others are guarded by.
    CarriesChange(&'a str),
    /// Under the guard, like the other statements.
    Guarded,
    /// Not here: the caller's own statement sets it (a move, as it moves the guardian).
    ByCaller,
}

/// Their login or invitation becomes `invite_revoked` (the row marked with the change id, if it carries one).
pub fn revoke_state_sql(whose: Whose<'_>, carries_change: bool) -> String {
    let change = if carries_change { ", last_change_id = ?" } else { "" };
    format!(
        "UPDATE guardians SET access_state = 'invite_revoked'{change}, updated_at = ? \
         WHERE {} AND access_state IN ('invite_sent', 'can_log_in')",
        whose.rows()
    )
}

/// Their live invitations are revoked.
pub fn revoke_invitations_sql(whose: Whose<'_>) -> String {
    format!("UPDATE invitations SET state = 'revoked', ended_at = ? WHERE {} AND state = 'pending'", whose.named_by("guardian_id"))
}

/// Their sessions end, with a reason.
pub fn end_sessions_sql(whose: Whose<'_>) -> String {
    format!("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE {} AND ended_at IS NULL", whose.named_by("subject_id"))
}

/// Their unused reset links are spent.
pub fn spend_resets_sql(whose: Whose<'_>) -> String {
    format!("UPDATE password_resets SET used_at = ? WHERE {} AND used_at IS NULL", whose.named_by("guardian_id"))
}

/// Ends access, in this order: the access state (where `state` says), live invitations revoked,
/// sessions ended with `end_reason`, unused reset links spent. Everything but a `CarriesChange`
/// first statement runs only under `guard`. The one way a revoke, a primary change, a merge and a
/// move end access, so that none of them leaves a token working.
pub fn end_access<'a>(
    db: &Db,
    whose: Whose<'a>,
    state: StateChange<'a>,
    end_reason: &'a str,
    now: Timestamp,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let at = || int(now.millis());
    let with_whose = |mut args: Vec<Arg<'a>>| {
        args.extend(whose.args());
        args
    };
    let mut statements = Vec::with_capacity(4);
    match state {
        StateChange::CarriesChange(change_id) => {
            statements.push(db.stmt(&revoke_state_sql(whose, true), &with_whose(vec![text(change_id), at()]))?);
        }
        StateChange::Guarded => {
            statements.push(guarded_update(db, &revoke_state_sql(whose, false), with_whose(vec![at()]), guard())?);
        }
        StateChange::ByCaller => {}
    }
    statements.push(guarded_update(db, &revoke_invitations_sql(whose), with_whose(vec![at()]), guard())?);
    statements.push(guarded_update(db, &end_sessions_sql(whose), with_whose(vec![at(), text(end_reason)]), guard())?);
    statements.push(guarded_update(db, &spend_resets_sql(whose), with_whose(vec![at()]), guard())?);
    Ok(statements)
}

/// What an e-mailed link leads to (an invitation or a password reset), found by the SHA-256 of its
/// token. It names its organization: a link is followed only under the organization in its URL.
pub trait LinkRow: DeserializeOwned {
    /// The `SELECT` of the row, with the token's hash as `?1`.
    const BY_TOKEN_HASH: &'static str;
    fn org_slug(&self) -> &str;
}

pub async fn find_by_token_hash<T: LinkRow>(db: &Db, token_hash: &str) -> ApiResult<Option<T>> {
    db.first(T::BY_TOKEN_HASH, &[text(token_hash)]).await
}

/// An invitation found by its token, with what accepting it needs (the primary's address is where
/// "invitation accepted" goes when a secondary accepts).
#[derive(Debug, Deserialize)]
pub struct InvitationByToken {
    pub id: String,
    pub org_id: String,
    pub guardian_id: String,
    pub family_id: String,
    pub state: String,
    pub expires_at: i64,
    pub first_name: String,
    pub last_name: String,
    pub org_slug: String,
    pub org_name: String,
    pub portal_enabled: i64,
    pub customer_session_epoch: i64,
    pub primary_guardian_id: String,
    pub primary_email: Option<String>,
    pub family_name: String,
    /// The address the invitation was sent to, and the login that address already is, if any.
    pub email: String,
    pub person_id: Option<String>,
    pub person_password_hash: Option<String>,
}

impl InvitationByToken {
    /// Valid, expired, used or revoked (a superseded link reads as revoked).
    pub fn status(&self, now: Timestamp) -> LinkStatus {
        invitation_link_status(&self.state, Timestamp(self.expires_at), now)
    }
}

impl LinkRow for InvitationByToken {
    const BY_TOKEN_HASH: &'static str = FIND_INVITATION_BY_TOKEN;
    fn org_slug(&self) -> &str {
        &self.org_slug
    }
}

pub const FIND_INVITATION_BY_TOKEN: &str = "SELECT i.id, i.org_id, i.guardian_id, i.family_id, i.state, i.expires_at, \
                g.first_name, g.last_name, \
                o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, \
                f.primary_guardian_id, p.email AS primary_email, f.name AS family_name, \
                i.email, login.id AS person_id, login.password_hash AS person_password_hash \
         FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
         JOIN organizations o ON o.id = i.org_id JOIN families f ON f.id = g.family_id \
         LEFT JOIN guardians p ON p.id = f.primary_guardian_id \
         LEFT JOIN people login ON login.org_id = i.org_id AND login.email = i.email \
         WHERE i.token_hash = ?1";

/// Who accepts an invitation: a new login made from the invited guardian's details, or the login
/// the invited address already is (the family joins it).
pub enum Accepter<'a> {
    NewPerson { person_id: &'a str, password_hash: &'a str },
    ExistingPerson { person_id: &'a str },
}

/// Accepting: the invitation is used (only if still pending and unexpired), the guardian is linked
/// to their login and can log in. A login that already existed keeps its password and lends the
/// membership its contact details. Later statements (session, audit, outbox) guard on the invitation.
pub fn accept(
    db: &Db,
    inv: &InvitationByToken,
    accepter: Accepter<'_>,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || invitation_changed_by(&inv.id, change_id);
    let mut statements = vec![db.stmt(
        "UPDATE invitations SET state = 'accepted', ended_at = ?2, change_id = ?3 \
         WHERE id = ?1 AND state = 'pending' AND expires_at > ?2",
        &[text(&inv.id), int(now.millis()), text(change_id)],
    )?];
    let person_id = match accepter {
        Accepter::NewPerson { person_id, password_hash } => {
            statements.push(guarded_update(
                db,
                "INSERT INTO people (id, org_id, email, password_hash, first_name, last_name, phone, created_at, updated_at) \
                 SELECT ?, org_id, ?, ?, first_name, last_name, phone, ?, ? FROM guardians WHERE id = ?",
                vec![text(person_id), text(&inv.email), text(password_hash), int(now.millis()), int(now.millis()), text(&inv.guardian_id)],
                guard(),
            )?);
            person_id
        }
        Accepter::ExistingPerson { person_id } => person_id,
    };
    statements.push(guarded_update(
        db,
        "UPDATE guardians SET access_state = 'can_log_in', person_id = p.id, \
           first_name = p.first_name, last_name = p.last_name, email = p.email, phone = p.phone, \
           accepted_at = COALESCE(accepted_at, ?), last_change_id = ?, updated_at = ? \
         FROM people p WHERE p.id = ? AND guardians.id = ? AND guardians.access_state = 'invite_sent'",
        vec![int(now.millis()), text(change_id), int(now.millis()), text(person_id), text(&inv.guardian_id)],
        guard(),
    )?);
    Ok(statements)
}

/// A password-reset link found by its token, with whom it is for.
#[derive(Debug, Deserialize)]
pub struct ResetByToken {
    pub id: String,
    pub org_id: String,
    pub guardian_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub org_slug: String,
    pub family_id: String,
    pub first_name: String,
    pub last_name: String,
}

pub const FIND_RESET_BY_TOKEN: &str = "SELECT r.id, r.org_id, r.guardian_id, r.expires_at, r.used_at, o.slug AS org_slug, \
                g.family_id, g.first_name, g.last_name \
         FROM password_resets r JOIN organizations o ON o.id = r.org_id JOIN guardians g ON g.id = r.guardian_id \
         WHERE r.token_hash = ?1";

impl ResetByToken {
    /// A reset link works once, until it expires.
    pub fn usable(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && self.expires_at > now.millis()
    }
}

impl LinkRow for ResetByToken {
    const BY_TOKEN_HASH: &'static str = FIND_RESET_BY_TOKEN;
    fn org_slug(&self) -> &str {
        &self.org_slug
    }
}

/// The organization a reset is asked for in, by the slug in its URL.
#[derive(Debug, Deserialize)]
pub struct ResetOrganization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub invitation_ttl_hours: i64,
}

/// Also what every Customer Portal page asks for the organization's name.
pub const ORGANIZATION_BY_SLUG: &str = "SELECT id, slug, name, invitation_ttl_hours FROM organizations WHERE slug = ?1";

pub async fn reset_organization(db: &Db, slug: &str) -> ApiResult<Option<ResetOrganization>> {
    db.first(ORGANIZATION_BY_SLUG, &[text(slug)]).await
}

/// Who a reset link asked for `email` goes to: only a guardian who can log in with it.
pub async fn reset_recipient(db: &Db, org_id: &str, email: &str) -> ApiResult<Option<GuardianRow>> {
    db.first(GUARDIAN_WHO_CAN_LOG_IN, &[text(org_id), text(email)]).await
}

/// When the guardian's newest reset link was made, used or not: requests wait out the cooldown.
pub async fn last_reset_at(db: &Db, guardian_id: &str) -> ApiResult<Option<Timestamp>> {
    #[derive(Deserialize)]
    struct Row {
        at: Option<i64>,
    }
    let row: Option<Row> =
        db.first("SELECT MAX(created_at) AS at FROM password_resets WHERE guardian_id = ?1", &[text(guardian_id)]).await?;
    Ok(row.and_then(|r| r.at).map(Timestamp))
}

/// A new reset link for a guardian; earlier unused links die.
pub fn insert_reset(
    db: &Db,
    id: &str,
    org_id: &str,
    guardian_id: &str,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE password_resets SET used_at = ?2 WHERE guardian_id = ?1 AND used_at IS NULL",
            &[text(guardian_id), int(now.millis())],
        )?,
        db.stmt(
            "INSERT INTO password_resets (id, org_id, guardian_id, token_hash, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[text(id), text(org_id), text(guardian_id), text(token_hash), int(now.millis()), int(expires_at.millis())],
        )?,
    ])
}

/// Uses a reset link: the login's password changes and every session of the person, in every
/// family, ends.
pub fn complete_reset(
    db: &Db,
    reset: &ResetByToken,
    password_hash: &str,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || reset_changed_by(&reset.id, change_id);
    Ok(vec![
        db.stmt(
            "UPDATE password_resets SET used_at = ?2, change_id = ?3 WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2",
            &[text(&reset.id), int(now.millis()), text(change_id)],
        )?,
        guarded_update(
            db,
            "UPDATE people SET password_hash = ?, updated_at = ? \
             WHERE id = (SELECT person_id FROM guardians WHERE id = ? AND access_state = 'can_log_in')",
            vec![text(password_hash), int(now.millis()), text(&reset.guardian_id)],
            guard(),
        )?,
        guarded_update(
            db,
            "UPDATE sessions SET ended_at = ?, end_reason = 'password_reset' \
             WHERE subject_id IN (SELECT id FROM guardians WHERE person_id = (SELECT person_id FROM guardians WHERE id = ?)) \
               AND ended_at IS NULL",
            vec![int(now.millis()), text(&reset.guardian_id)],
            guard(),
        )?,
    ])
}

/// A signed-in person's new password; their other sessions, in every family, end
/// (`keep_session_id` is the one they are using).
pub fn change_password(
    db: &Db,
    person_id: &str,
    keep_session_id: &str,
    password_hash: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE people SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
            &[text(person_id), text(password_hash), int(now.millis())],
        )?,
        sessions::end_sessions_of_person(db, person_id, Some(keep_session_id), "password_changed", now)?,
    ])
}

/// Which invitations the staff console lists (`?status=`; empty or `all` lists every one).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationFilter {
    #[default]
    #[serde(alias = "")]
    All,
    Pending,
    Expired,
    Accepted,
    Revoked,
    Superseded,
}

#[derive(Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub guardian_id: String,
    pub family_id: String,
    pub email: String,
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub sent_by_kind: String,
    pub sent_by_label: String,
    pub first_name: String,
    pub last_name: String,
}

/// The organization's invitations, newest first, at most 500.
pub async fn list(db: &Db, org_id: &str, filter: InvitationFilter, now: Timestamp) -> ApiResult<Vec<InvitationRow>> {
    let condition = match filter {
        InvitationFilter::All => "",
        InvitationFilter::Pending => " AND i.state = 'pending' AND i.expires_at > ?2",
        InvitationFilter::Expired => " AND i.state = 'pending' AND i.expires_at <= ?2",
        InvitationFilter::Accepted => " AND i.state = 'accepted'",
        InvitationFilter::Revoked => " AND i.state = 'revoked'",
        InvitationFilter::Superseded => " AND i.state = 'superseded'",
    };
    db.all(
        &format!(
            "SELECT i.id, i.guardian_id, i.family_id, i.email, i.state, i.created_at, i.expires_at, i.ended_at, \
             i.sent_by_kind, i.sent_by_label, g.first_name, g.last_name \
             FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
             WHERE i.org_id = ?1 AND ?2 = ?2{condition} ORDER BY i.created_at DESC LIMIT 500"
        ),
        &[text(org_id), int(now.millis())],
    )
    .await
}
