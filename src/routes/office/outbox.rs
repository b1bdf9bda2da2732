//! Failed e-mails: what, to whom and why, for staff to see and (owner or admin) to send again
//! once the cause is fixed. The platform operator's view of every organization is in
//! `routes/platform.rs` and uses the same functions.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{json, Path, PathParam, Query, Response, Staff};
use crate::store::outbox::{self, FailedRow};
use portal_core::notification::OutgoingEmail;
use portal_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::rc::Rc;

/// An outbox row's id in a path (`{outbox_id}`).
pub struct OutboxId(pub String);

impl From<String> for OutboxId {
    fn from(s: String) -> Self {
        OutboxId(s)
    }
}

impl PathParam for OutboxId {
    const NAME: &'static str = "outbox_id";
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Given up on: refused by the provider for good, or dead-lettered after the queue's retries.
    #[default]
    Failed,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    #[allow(dead_code)]
    status: Status,
}

const LIST_LIMIT: i64 = 200;

/// A failed e-mail without its body (it may hold a link): kind, address, subject, attempts and
/// the last error.
pub fn failed_json(row: &FailedRow, with_org: bool) -> Value {
    let email: Option<OutgoingEmail> = serde_json::from_str(&row.payload).ok();
    let mut v = json!({
        "id": row.id,
        "kind": email.as_ref().map(|e| e.kind.as_str()).unwrap_or(row.kind.as_str()),
        "to": email.as_ref().map(|e| e.to.as_str()),
        "subject": email.as_ref().map(|e| e.subject.as_str()),
        "attempts": row.attempts,
        "last_error": row.last_error,
        "failed_at": Timestamp(row.failed_at).to_rfc3339(),
        "status": "failed",
    });
    if with_org {
        v["org_id"] = json!(row.org_id);
    }
    v
}

pub async fn list_failed(app: &App, org_id: Option<&str>) -> ApiResult<Response> {
    let rows = outbox::failed_emails(&app.db, org_id, LIST_LIMIT).await?;
    let messages: Vec<Value> = rows.iter().map(|r| failed_json(r, org_id.is_none())).collect();
    json(200, &json!({ "messages": messages }))
}

/// Clears the failure, resets the attempts and hands the row to the queue again; the provider
/// gets the same `Idempotency-Key` (the outbox id) as before. 404 for an unknown id (or another
/// organization's), 409 for one that is not failed.
pub async fn retry_failed(app: &App, id: &str, org_id: Option<&str>) -> ApiResult<Response> {
    let row = outbox::find(&app.db, id)
        .await?
        .filter(|r| r.kind == outbox::KIND_EMAIL && org_id.is_none_or(|o| r.org_id.as_deref() == Some(o)))
        .ok_or_else(|| ApiError::not_found(ErrorCode::OutboxMessageNotFound, "No e-mail with that id."))?;
    if !outbox::retry_failed(&app.db, &row.id, org_id, app.now()).await? {
        let why = if row.processed_at.is_some() { "That e-mail was sent." } else { "That e-mail has not failed; it is still being sent." };
        return Err(ApiError::conflict(ErrorCode::OutboxMessageNotFailed, why));
    }
    app.enqueue(std::slice::from_ref(&row.id)).await;
    json(202, &json!({ "id": row.id, "status": "queued" }))
}

pub async fn index(app: Rc<App>, staff: Staff, Query(_q): Query<OutboxQuery>) -> ApiResult<Response> {
    list_failed(&app, Some(&staff.org.id)).await
}

pub async fn retry(app: Rc<App>, staff: Staff, Path(OutboxId(id)): Path<OutboxId>) -> ApiResult<Response> {
    staff.require_settings_role()?;
    retry_failed(&app, &id, Some(&staff.org.id)).await
}
