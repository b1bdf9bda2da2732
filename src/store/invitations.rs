//! Invitations and password-reset links (stored by the hash of their token only), and the
//! password writes they lead to.

use super::families::{GuardianRow, GUARDIAN_WHO_CAN_LOG_IN};
use super::{int, sessions, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::access::{invitation_link_status, LinkStatus};
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
pub fn guarded_update<'a>(db: &Db, sql: &str, mut args: Vec<super::Arg<'a>>, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    args.extend(guard.args);
    db.stmt(&format!("{sql} AND {}", guard.sql), &args)
}

pub const SUPERSEDE_PENDING: &str =
    "UPDATE invitations SET state = 'superseded', ended_at = ? WHERE guardian_id = ? AND state = 'pending'";
pub const END_SESSIONS_ON_REVOKE: &str =
    "UPDATE sessions SET ended_at = ?, end_reason = 'access_revoked' WHERE subject_id = ? AND ended_at IS NULL";

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

/// Marks the guardian invited (to `email`), replaces any live invitation, records the new one.
/// The first statement carries the change id; the others run only if it changed the guardian.
pub fn send(db: &Db, inv: &NewInvitation<'_>, change_id: &str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || guardian_changed_by(inv.guardian_id, change_id);
    Ok(vec![
        db.stmt(
            "UPDATE guardians SET access_state = 'invite_sent', email = ?2, last_change_id = ?3, updated_at = ?4 \
             WHERE id = ?1 AND access_state != 'can_log_in'",
            &[text(inv.guardian_id), text(inv.email), text(change_id), int(now.millis())],
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
    let guard = || guardian_changed_by(guardian_id, change_id);
    let at = int(now.millis());
    Ok(vec![
        db.stmt(
            "UPDATE guardians SET access_state = 'invite_revoked', last_change_id = ?2, updated_at = ?3 \
             WHERE id = ?1 AND access_state IN ('invite_sent', 'can_log_in')",
            &[text(guardian_id), text(change_id), int(now.millis())],
        )?,
        guarded_update(
            db,
            "UPDATE invitations SET state = 'revoked', ended_at = ? WHERE guardian_id = ? AND state = 'pending'",
            vec![int(now.millis()), text(guardian_id)],
            guard(),
        )?,
        guarded_update(db, END_SESSIONS_ON_REVOKE, vec![at, text(guardian_id)],
            guard(),
        )?,
        guarded_update(
            db,
            "UPDATE password_resets SET used_at = ? WHERE guardian_id = ? AND used_at IS NULL",
            vec![int(now.millis()), text(guardian_id)],
            guard(),
        )?,
    ])
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
                f.primary_guardian_id, p.email AS primary_email, f.name AS family_name \
         FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
         JOIN organizations o ON o.id = i.org_id JOIN families f ON f.id = g.family_id \
         LEFT JOIN guardians p ON p.id = f.primary_guardian_id \
         WHERE i.token_hash = ?1";

/// Accepting: the invitation is used (only if still pending and unexpired), the guardian can log
/// in with the new password. Later statements (session, audit, outbox) guard on the invitation.
pub fn accept(
    db: &Db,
    inv: &InvitationByToken,
    password_hash: &str,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE invitations SET state = 'accepted', ended_at = ?2, change_id = ?3 \
             WHERE id = ?1 AND state = 'pending' AND expires_at > ?2",
            &[text(&inv.id), int(now.millis()), text(change_id)],
        )?,
        guarded_update(
            db,
            "UPDATE guardians SET access_state = 'can_log_in', password_hash = ?, \
             accepted_at = COALESCE(accepted_at, ?), last_change_id = ?, updated_at = ? \
             WHERE id = ? AND access_state = 'invite_sent'",
            vec![
                text(password_hash),
                int(now.millis()),
                text(change_id),
                int(now.millis()),
                text(&inv.guardian_id),
            ],
            invitation_changed_by(&inv.id, change_id),
        )?,
    ])
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

pub async fn reset_organization(db: &Db, slug: &str) -> ApiResult<Option<ResetOrganization>> {
    db.first("SELECT id, slug, name, invitation_ttl_hours FROM organizations WHERE slug = ?1", &[text(slug)])
        .await
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

/// Uses a reset link: the password changes and every session of the guardian ends.
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
            "UPDATE guardians SET password_hash = ?, updated_at = ? WHERE id = ? AND access_state = 'can_log_in'",
            vec![text(password_hash), int(now.millis()), text(&reset.guardian_id)],
            guard(),
        )?,
        guarded_update(
            db,
            "UPDATE sessions SET ended_at = ?, end_reason = 'password_reset' WHERE subject_id = ? AND ended_at IS NULL",
            vec![int(now.millis()), text(&reset.guardian_id)],
            guard(),
        )?,
    ])
}

/// A signed-in guardian's new password; their other sessions end (`keep_session_id` is the one
/// they are using).
pub fn change_password(
    db: &Db,
    guardian_id: &str,
    keep_session_id: &str,
    password_hash: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE guardians SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
            &[text(guardian_id), text(password_hash), int(now.millis())],
        )?,
        sessions::end_others(db, guardian_id, keep_session_id, "password_changed", now)?,
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
