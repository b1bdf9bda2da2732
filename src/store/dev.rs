//! What the development routes read: the dev mailbox, the sandbox gateway's calls, and query plans.
//! Those routes exist in development only.

use super::{text, Arg, Db};
use crate::error::ApiResult;
use serde::Deserialize;

/// A message the development mail transport "sent".
#[derive(Deserialize)]
pub struct MailboxRow {
    pub id: String,
    pub to_email: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub kind: String,
    pub sent_at: i64,
}

/// The newest 200 messages, all or to one address.
pub async fn mailbox(db: &Db, to: Option<&str>) -> ApiResult<Vec<MailboxRow>> {
    match to {
        Some(to) => {
            db.all(
                "SELECT id, to_email, subject, text_body, html_body, kind, sent_at FROM dev_mailbox \
                 WHERE to_email = ?1 ORDER BY sent_at DESC, rowid DESC LIMIT 200",
                &[text(to)],
            )
            .await
        }
        None => {
            db.all(
                "SELECT id, to_email, subject, text_body, html_body, kind, sent_at FROM dev_mailbox \
                 ORDER BY sent_at DESC, rowid DESC LIMIT 200",
                &[],
            )
            .await
        }
    }
}

/// One call the sandbox payment gateway recorded.
#[derive(Deserialize)]
pub struct GatewayCallRow {
    pub id: String,
    pub org_id: Option<String>,
    pub operation: String,
    pub idempotency_key: String,
    pub gateway_ref: Option<String>,
    pub amount_cents: Option<i64>,
    pub outcome: String,
    pub result_ref: Option<String>,
    pub at: i64,
}

/// The newest 500 calls, of every organization when `org_id` is empty.
pub async fn gateway_calls(db: &Db, org_id: &str) -> ApiResult<Vec<GatewayCallRow>> {
    db.all(
        "SELECT id, org_id, operation, idempotency_key, gateway_ref, amount_cents, outcome, result_ref, at \
         FROM sandbox_gateway_calls WHERE ?1 = '' OR org_id = ?1 ORDER BY at DESC, rowid DESC LIMIT 500",
        &[text(org_id)],
    )
    .await
}

/// `EXPLAIN QUERY PLAN` of `sql`, one line per step. Dummy values stand in for its parameters:
/// the plan does not depend on them.
pub async fn query_plan(db: &Db, sql: &str) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct PlanRow {
        detail: String,
    }
    let dummies: Vec<String> = (0..super::plans::parameter_count(sql)).map(|i| format!("x{i}")).collect();
    let args: Vec<Arg<'_>> = dummies.iter().map(|d| text(d)).collect();
    let plan: Vec<PlanRow> = db.all(&format!("EXPLAIN QUERY PLAN {sql}"), &args).await?;
    Ok(plan.into_iter().map(|p| p.detail).collect())
}
