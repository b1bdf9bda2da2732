use super::{int, rows, text, Arg, Db};
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::throttle::ThrottleState;
use portal_core::time::Timestamp;
use std::collections::HashMap;
use worker::D1PreparedStatement;

pub const LOAD: &str = "SELECT key, failures, window_started_at, locked_until FROM login_throttle WHERE key IN";

#[derive(Deserialize)]
struct Row {
    key: String,
    failures: i64,
    window_started_at: i64,
    locked_until: Option<i64>,
}

pub async fn load(db: &Db, keys: &[&str]) -> ApiResult<HashMap<String, ThrottleState>> {
    let placeholders = vec!["?"; keys.len()].join(", ");
    let args: Vec<Arg<'_>> = keys.iter().map(|k| text(k)).collect();
    let stmt = db.stmt(&format!("{LOAD} ({placeholders})"), &args)?;
    let result = stmt.all().await?;
    Ok(rows::<Row>(&result)?
        .into_iter()
        .map(|r| {
            let state = ThrottleState {
                failures: r.failures,
                window_started_at: Timestamp(r.window_started_at),
                locked_until: r.locked_until.map(Timestamp),
            };
            (r.key, state)
        })
        .collect())
}

pub fn save(db: &Db, key: &str, s: &ThrottleState) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
         window_started_at = excluded.window_started_at, locked_until = excluded.locked_until",
        &[
            text(key),
            int(s.failures),
            int(s.window_started_at.millis()),
            s.locked_until.map_or(Arg::Null, |t| int(t.millis())),
        ],
    )
}

pub fn clear(db: &Db, key: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt("DELETE FROM login_throttle WHERE key = ?1", &[text(key)])
}
