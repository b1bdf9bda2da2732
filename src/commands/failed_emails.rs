//! Failed e-mails: what, to whom and why, for staff (their organization) and the platform operator
//! (every organization) to see, and to send again once the cause is fixed.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::outbox::{self, FailedRow};
use portal_core::notification::OutgoingEmail;
use portal_core::time::Timestamp;
use serde::Serialize;

pub const LIST_LIMIT: i64 = 200;

/// A failed e-mail without its body (it may hold a link): kind, address, subject, attempts and
/// the last error. Its fields in alphabetical order: the JSON the API has always answered.
#[derive(Serialize)]
pub struct FailedEmail {
    pub attempts: i64,
    pub failed_at: String,
    pub id: String,
    pub kind: String,
    pub last_error: Option<String>,
    /// Only in the platform operator's list (every organization's), and there even when null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Option<String>>,
    pub status: &'static str,
    pub subject: Option<String>,
    pub to: Option<String>,
}

impl FailedEmail {
    fn of(row: FailedRow, with_org: bool) -> Self {
        let (kind, to, subject) = match serde_json::from_str::<OutgoingEmail>(&row.payload) {
            Ok(email) => (email.kind, Some(email.to), Some(email.subject)),
            Err(_) => (row.kind, None, None),
        };
        FailedEmail {
            attempts: row.attempts,
            failed_at: Timestamp(row.failed_at).to_rfc3339(),
            id: row.id,
            kind,
            last_error: row.last_error,
            org_id: with_org.then_some(row.org_id),
            status: "failed",
            subject,
            to,
        }
    }
}

#[derive(Serialize)]
pub struct FailedEmails {
    pub messages: Vec<FailedEmail>,
}

/// The failed e-mails of `org_id`, or of every organization, newest first.
pub async fn list(app: &App, org_id: Option<&str>) -> ApiResult<FailedEmails> {
    let rows = outbox::failed_emails(&app.db, org_id, LIST_LIMIT).await?;
    Ok(FailedEmails { messages: rows.into_iter().map(|r| FailedEmail::of(r, org_id.is_none())).collect() })
}

/// An e-mail handed to the queue again.
#[derive(Serialize)]
pub struct Queued {
    pub id: String,
    pub status: &'static str,
}

/// Clears the failure, resets the attempts and hands the row to the queue again; the provider
/// gets the same `Idempotency-Key` (the outbox id) as before. 404 for an unknown id (or another
/// organization's), 409 for one that is not failed.
pub async fn retry(app: &App, id: &str, org_id: Option<&str>) -> ApiResult<Queued> {
    let row = outbox::find(&app.db, id)
        .await?
        .filter(|r| r.kind == outbox::KIND_EMAIL && org_id.is_none_or(|o| r.org_id.as_deref() == Some(o)))
        .ok_or_else(|| ApiError::not_found(ErrorCode::OutboxMessageNotFound, "No e-mail with that id."))?;
    if !outbox::retry_failed(&app.db, &row.id, org_id, app.now()).await? {
        let why = if row.processed_at.is_some() { "That e-mail was sent." } else { "That e-mail has not failed; it is still being sent." };
        return Err(ApiError::conflict(ErrorCode::OutboxMessageNotFailed, why));
    }
    app.enqueue(std::slice::from_ref(&row.id)).await;
    Ok(Queued { id: row.id, status: "queued" })
}
