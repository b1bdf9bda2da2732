//! Access end dates on the guardian's row: the day as the primary set it, and its first instant in
//! the organization's time zone, which the session check and the cron compare with now.

use super::{int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::access_end::AccessEnd;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// Sets (or with `None` clears) the guardian's end date, carrying the command's change id.
pub fn set(db: &Db, org_id: &str, guardian_id: &str, change_id: &str, end: Option<&AccessEnd>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    let ends_on = end.map(|e| e.ends_on.format("%Y-%m-%d").to_string());
    db.stmt(
        "UPDATE guardians SET access_ends_on = ?3, access_ends_at = ?4, last_change_id = ?5, updated_at = ?6 \
         WHERE id = ?1 AND org_id = ?2",
        &[
            text(guardian_id),
            text(org_id),
            opt_text(ends_on.as_deref()),
            end.map_or(super::Arg::Null, |e| int(e.ends_at.millis())),
            text(change_id),
            int(now.millis()),
        ],
    )
}

/// A guardian whose access end has come and whose access the cron has yet to end.
#[derive(Debug, Deserialize)]
pub struct DueAccessEnd {
    pub id: String,
    pub org_id: String,
}

/// At most 100 a run; the partial index holds only the ones still to end.
pub async fn due(db: &Db, now: Timestamp) -> ApiResult<Vec<DueAccessEnd>> {
    db.all(
        "SELECT id, org_id FROM guardians \
         WHERE access_ends_at IS NOT NULL AND access_state IN ('can_log_in', 'invite_sent') AND access_ends_at <= ?1 LIMIT 100",
        &[int(now.millis())],
    )
    .await
}

/// The cron's revoke holds only while the end date is still reached (the primary may have just
/// extended or cleared it).
pub fn still_reached(guardian_id: &str, now: Timestamp) -> Guard<'_> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM guardians WHERE id = ? AND access_ends_at <= ?)",
        args: vec![text(guardian_id), int(now.millis())],
    }
}
