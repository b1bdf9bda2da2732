//! Password-reset links and the password writes they lead to; a signed-in person's password change.

use super::families::{GuardianRow, GUARDIAN_WHO_CAN_LOG_IN};
use super::guards::reset_changed_by;
use super::links::LinkRow;
use super::{guarded_update, int, sessions, text, Db};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

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
        sessions::end_sessions(
            db,
            sessions::END_SESSIONS_OF_GUARDIANS_PERSON,
            vec![text(&reset.guardian_id)],
            "password_reset",
            now,
            Some(guard()),
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
