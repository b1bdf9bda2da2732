//! The sandbox payment gateway's memory: every call it was asked to make, so a retried call with
//! the same idempotency key gets the first answer, and `/dev/gateway-calls` can show them.

use super::{int, opt_text, text, Arg, Db};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use serde::Deserialize;

/// What earlier calls with one idempotency key came to: the settled outcome (`ok`, `declined`,
/// or empty) and how many attempts were "unavailable".
#[derive(Deserialize)]
pub struct EarlierCalls {
    pub outcome: String,
    pub result_ref: Option<String>,
    pub failures: i64,
}

pub async fn earlier_calls(db: &Db, operation: &str, key: &str) -> ApiResult<Option<EarlierCalls>> {
    db.first(
        "SELECT COALESCE(MAX(CASE WHEN outcome != 'unavailable' THEN outcome END), '') AS outcome, \
           MAX(CASE WHEN outcome != 'unavailable' THEN result_ref END) AS result_ref, \
           COALESCE(SUM(outcome = 'unavailable'), 0) AS failures \
         FROM sandbox_gateway_calls WHERE operation = ?1 AND idempotency_key = ?2",
        &[text(operation), text(key)],
    )
    .await
}

pub struct Call<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub operation: &'a str,
    pub idempotency_key: &'a str,
    pub gateway_ref: Option<&'a str>,
    pub amount_cents: Option<i64>,
    pub outcome: &'a str,
    pub result_ref: Option<&'a str>,
    pub at: Timestamp,
}

pub async fn record(db: &Db, c: &Call<'_>) -> ApiResult<()> {
    db.run(
        "INSERT INTO sandbox_gateway_calls (id, org_id, operation, idempotency_key, gateway_ref, \
         amount_cents, outcome, result_ref, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT DO NOTHING",
        &[
            text(c.id),
            text(c.org_id),
            text(c.operation),
            text(c.idempotency_key),
            opt_text(c.gateway_ref),
            c.amount_cents.map_or(Arg::Null, int),
            text(c.outcome),
            opt_text(c.result_ref),
            int(c.at.millis()),
        ],
    )
    .await
    .map(|_| ())
}
