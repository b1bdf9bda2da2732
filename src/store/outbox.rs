//! The outbox: side effects written in the same batch as the change that decided them.

use super::{guarded, int, opt_text, text, Db, Guard};
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use portal_core::notification::{Notification, OutgoingEmail};
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

pub const KIND_EMAIL: &str = "email";

pub struct NewOutboxRow {
    pub id: String,
    pub statement: D1PreparedStatement,
}

pub fn insert<'a>(
    db: &Db,
    org_id: Option<&'a str>,
    kind: &'a str,
    payload: &'a str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<NewOutboxRow> {
    let id = new_id("obx")?;
    let (tail, args) = guarded(
        vec![text(&id), opt_text(org_id), text(kind), text(payload), int(now.millis())],
        guard,
    );
    let statement = db.stmt(
        &format!("INSERT INTO outbox (id, org_id, kind, payload, created_at) {tail}"),
        &args,
    )?;
    Ok(NewOutboxRow { id, statement })
}

/// An e-mail for the outbox: rendered now, with the deployment's base URL, and sent by the queue.
pub fn insert_email<'a>(
    db: &Db,
    org_id: Option<&'a str>,
    notification: &Notification,
    base_url: &str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<NewOutboxRow> {
    let payload = serde_json::to_string(&notification.render(base_url).map_err(ApiError::internal)?).map_err(ApiError::internal)?;
    insert(db, org_id, KIND_EMAIL, &payload, now, guard)
}

#[derive(Debug, Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub processed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub async fn find(db: &Db, id: &str) -> ApiResult<Option<OutboxRow>> {
    db.first(
        "SELECT id, org_id, kind, payload, processed_at, failed_at, attempts, last_error FROM outbox WHERE id = ?1",
        &[text(id)],
    )
    .await
}

/// Done. `payload` replaces the stored one: sent e-mails keep no link tokens.
pub async fn mark_processed(db: &Db, id: &str, payload: &str, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE outbox SET processed_at = ?2, attempts = attempts + 1, last_error = NULL, payload = ?3 \
         WHERE id = ?1 AND processed_at IS NULL",
        &[text(id), int(now.millis()), text(payload)],
    )
    .await
}

pub async fn record_failure(db: &Db, id: &str, error: &str) -> ApiResult<usize> {
    db.run(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
        &[text(id), text(error)],
    )
    .await
}

/// Gives up on a row: it stays, with its last error, for people to read and replay.
pub async fn mark_failed(db: &Db, id: &str, error: Option<&str>, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE outbox SET failed_at = ?2, last_error = COALESCE(?3, last_error, 'dead-lettered') \
         WHERE id = ?1 AND processed_at IS NULL AND failed_at IS NULL",
        &[text(id), int(now.millis()), opt_text(error)],
    )
    .await
}

/// Rows that should have been handled by now but were not: never sent to the queue (the send
/// failed after the batch committed), or sent long ago and lost. Marks them as re-sent now.
pub async fn claim_stalled(db: &Db, now: Timestamp, limit: i64) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db
        .all(
            "UPDATE outbox SET enqueued_at = ?1 WHERE id IN (\
               SELECT id FROM outbox WHERE processed_at IS NULL AND failed_at IS NULL \
               AND created_at < ?2 AND (enqueued_at IS NULL OR enqueued_at < ?3) \
               ORDER BY created_at LIMIT ?4) RETURNING id",
            &[int(now.millis()), int(now.millis() - STALL_AFTER_MS), int(now.millis() - RESEND_AFTER_MS), int(limit)],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A row still open this long after it was written is re-sent to the queue by the cron.
pub const STALL_AFTER_MS: i64 = 60_000;
/// ... and not again for this long, while the queue may still be retrying it.
pub const RESEND_AFTER_MS: i64 = 10 * 60_000;

/// The development transport's record of a sent message: one row per outbox message, however
/// often the queue delivers it.
pub async fn record_in_dev_mailbox(db: &Db, id: &str, outbox_id: &str, m: &OutgoingEmail, now: Timestamp) -> ApiResult<()> {
    db.run(
        "INSERT INTO dev_mailbox (id, outbox_id, to_email, subject, text_body, html_body, kind, sent_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (outbox_id) DO NOTHING",
        &[text(id), text(outbox_id), text(&m.to), text(&m.subject), text(&m.text), text(&m.html), text(&m.kind), int(now.millis())],
    )
    .await
    .map(|_| ())
}
