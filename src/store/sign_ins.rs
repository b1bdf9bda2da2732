//! Signed-in devices (the live sessions of a person or a staff member, and ending them) and the
//! Mobile App's refresh tokens.

use super::sessions::{end_sessions, end_sessions_sql, live_customer_session};
use super::{changes, int, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// A live session as the list of signed-in devices shows it (`family_*` for a guardian's).
#[derive(Debug, Deserialize)]
pub struct SignInRow {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub client: String,
    pub user_agent: Option<String>,
    pub family_id: Option<String>,
    pub family_name: Option<String>,
}

/// Every live session of a person, in every family: live as the session check has it.
pub const PERSON_SIGN_INS: &str = concat!(
    "SELECT x.id, x.created_at, x.last_seen_at, x.client, x.user_agent, fam.id AS family_id, fam.name AS family_name \
     FROM guardians mine JOIN sessions x ON x.subject_id = mine.id AND x.ended_at IS NULL JOIN families fam ON fam.id = mine.family_id \
     WHERE mine.person_id = ?1 AND ",
    // (The outer names differ from the rule's own `s`, `o` and `g`.)
    live_customer_session!("x.id", "?2"),
    " ORDER BY COALESCE(x.last_seen_at, x.created_at) DESC, x.id"
);

pub async fn person_sign_ins(db: &Db, person_id: &str, now: Timestamp) -> ApiResult<Vec<SignInRow>> {
    db.all(PERSON_SIGN_INS, &[text(person_id), int(now.millis())]).await
}

/// Every live session of a staff member.
pub const STAFF_SIGN_INS: &str = "SELECT s.id, s.created_at, s.last_seen_at, s.client, s.user_agent, NULL AS family_id, NULL AS family_name \
     FROM sessions s WHERE s.subject_id = ?1 AND s.kind = 'staff' AND s.ended_at IS NULL AND s.expires_at > ?2 \
     ORDER BY COALESCE(s.last_seen_at, s.created_at) DESC, s.id";

pub async fn staff_sign_ins(db: &Db, staff_id: &str, now: Timestamp) -> ApiResult<Vec<SignInRow>> {
    db.all(STAFF_SIGN_INS, &[text(staff_id), int(now.millis())]).await
}

/// One session of the person (any of their memberships); another person's is not named.
pub const END_PERSON_SIGN_IN: &str =
    end_sessions_sql!("id = ? AND kind = 'guardian' AND subject_id IN (SELECT id FROM guardians WHERE person_id = ?)");
pub const END_STAFF_SIGN_IN: &str = end_sessions_sql!("id = ? AND kind = 'staff' AND subject_id = ?");
pub const END_OTHER_STAFF_SIGN_INS: &str = end_sessions_sql!("subject_id = ? AND kind = 'staff' AND id != ?");

/// Ends session `id` if it is one of `owner`'s (a person's, or a staff member's); how many ended.
pub async fn end_one(db: &Db, staff: bool, id: &str, owner: &str, reason: &str, now: Timestamp) -> ApiResult<usize> {
    let sql = if staff { END_STAFF_SIGN_IN } else { END_PERSON_SIGN_IN };
    changes(&end_sessions(db, sql, vec![text(id), text(owner)], reason, now, None)?.run().await?)
}

/// Ends every session of a staff member but `keep`.
pub async fn end_other_staff(db: &Db, staff_id: &str, keep: &str, reason: &str, now: Timestamp) -> ApiResult<usize> {
    changes(&end_sessions(db, END_OTHER_STAFF_SIGN_INS, vec![text(staff_id), text(keep)], reason, now, None)?.run().await?)
}

/// Records that a session was used: at most once a minute (`sign_ins::last_seen_is_stale`), and
/// only forward, so two requests at once write it once.
pub const TOUCH: &str = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?3)";

pub async fn touch(db: &Db, session_id: &str, now: Timestamp, written_before: Timestamp) -> ApiResult<()> {
    db.stmt(TOUCH, &[text(session_id), int(now.millis()), int(written_before.millis())])?.run().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The Mobile App's refresh tokens.

/// A new refresh token of a sign-in (its hash), written only while `guard` holds.
pub fn insert_refresh_token<'a>(
    db: &Db,
    token_hash: &'a str,
    session_id: &'a str,
    now: Timestamp,
    guard: Guard<'a>,
) -> ApiResult<D1PreparedStatement> {
    let mut args = vec![text(token_hash), text(session_id), int(now.millis())];
    args.extend(guard.args);
    db.stmt(
        &format!("INSERT INTO refresh_tokens (token_hash, session_id, created_at) SELECT ?, ?, ? WHERE {}", guard.sql),
        &args,
    )
}

/// The guard of a sign-in's first refresh token: its session was written.
pub fn session_written(session_id: &str) -> Guard<'_> {
    Guard { sql: "EXISTS (SELECT 1 FROM sessions WHERE id = ?)", args: vec![text(session_id)] }
}

/// The guard of a refresh's new token and the sign-in's new expiry: the refresh spent the old token.
pub fn replaced_by<'a>(old_hash: &'a str, new_hash: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM refresh_tokens WHERE token_hash = ? AND replaced_by = ?)", args: vec![text(old_hash), text(new_hash)] }
}

/// A presented refresh token: its sign-in, its organization, whether it was spent.
#[derive(Debug, Deserialize)]
pub struct RefreshTokenRow {
    pub session_id: String,
    pub org_id: String,
    pub org_slug: String,
    pub spent_at: Option<i64>,
}

pub const FIND_REFRESH_TOKEN: &str = "SELECT r.session_id, s.org_id, o.slug AS org_slug, r.spent_at FROM refresh_tokens r \
     JOIN sessions s ON s.id = r.session_id JOIN organizations o ON o.id = s.org_id WHERE r.token_hash = ?1";

pub async fn find_refresh_token(db: &Db, token_hash: &str) -> ApiResult<Option<RefreshTokenRow>> {
    db.first(FIND_REFRESH_TOKEN, &[text(token_hash)]).await
}

/// Spends a refresh token, naming its successor: only if unspent and its sign-in is still live (the
/// session check's rule, `sessions::still_live`), so that two refreshes at once spend it once.
pub fn spend_refresh_token<'a>(db: &Db, old_hash: &'a str, new_hash: &'a str, session_id: &'a str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    let guard = super::sessions::still_live(session_id, now);
    let mut args = vec![int(now.millis()), text(new_hash), text(old_hash)];
    args.extend(guard.args);
    db.stmt(
        &format!("UPDATE refresh_tokens SET spent_at = ?, replaced_by = ? WHERE token_hash = ? AND spent_at IS NULL AND {}", guard.sql),
        &args,
    )
}

/// After a refresh: the sign-in was used now, and lives on until `expires_at` (it slides).
pub fn extend_sign_in<'a>(db: &Db, session_id: &'a str, now: Timestamp, expires_at: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    let mut args = vec![int(now.millis()), int(expires_at.millis()), text(session_id)];
    args.extend(guard.args);
    db.stmt(&format!("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND {}", guard.sql), &args)
}
