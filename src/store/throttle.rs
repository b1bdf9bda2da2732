//! Sign-in throttles: one row per key (an account, or a client address). The column `failures`
//! counts the attempts of the current window.

use super::{int, rows, text, Db};
use crate::error::{ApiError, ApiResult};
use portal_core::throttle::{ThrottlePolicy, ThrottleState};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::{D1PreparedStatement, D1Result};

/// Counts one attempt and returns the key's state, in one statement: SQLite applies it whole, so
/// parallel attempts each see their own count. A new window starts when the last one is over; a
/// locked key is not counted further.
pub const COUNT_ATTEMPT: &str = "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) \
     VALUES (?1, 1, ?2, NULL) \
     ON CONFLICT (key) DO UPDATE SET \
       failures = CASE WHEN locked_until > ?2 THEN failures \
                       WHEN window_started_at + ?3 <= ?2 THEN 1 ELSE failures + 1 END, \
       window_started_at = CASE WHEN locked_until > ?2 THEN window_started_at \
                                WHEN window_started_at + ?3 <= ?2 THEN ?2 ELSE window_started_at END \
     RETURNING failures, window_started_at, locked_until";

pub fn count_attempt(db: &Db, key: &str, policy: &ThrottlePolicy, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(COUNT_ATTEMPT, &[text(key), int(now.millis()), int(policy.window_seconds * 1000)])
}

#[derive(Deserialize)]
struct Row {
    failures: i64,
    window_started_at: i64,
    locked_until: Option<i64>,
}

/// The state `count_attempt` returned.
pub fn counted(result: &D1Result) -> ApiResult<ThrottleState> {
    let row = rows::<Row>(result)?.into_iter().next().ok_or_else(|| ApiError::internal("throttle count returned no row"))?;
    Ok(ThrottleState {
        attempts: row.failures,
        window_started_at: Timestamp(row.window_started_at),
        locked_until: row.locked_until.map(Timestamp),
    })
}

/// Locks the key until `until`; the count starts again for afterwards.
pub fn lock(db: &Db, key: &str, until: Timestamp, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE login_throttle SET locked_until = ?2, failures = 0, window_started_at = ?3 WHERE key = ?1",
        &[text(key), int(until.millis()), int(now.millis())],
    )
}

pub const SUCCEEDED: &str = "UPDATE login_throttle SET failures = CASE WHEN key = ?1 THEN 0 ELSE MAX(failures - 1, 0) END \
     WHERE key IN (?1, ?2)";

/// After a successful sign-in: the account starts afresh, and the address gets its attempt back.
pub fn succeeded(db: &Db, account_key: &str, address_key: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt(SUCCEEDED, &[text(account_key), text(address_key)])
}

