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
    // Written as handed over already: the hand-over right after the batch is the normal path, and
    // stamping it here saves a D1 write per command. A hand-over that fails clears the stamp (the
    // cron takes the row within a minute); a Worker that dies in between is caught once the stamp
    // is older than OUTBOX_RESEND_AFTER_SECONDS.
    let (tail, args) = guarded(
        vec![text(&id), opt_text(org_id), text(kind), text(payload), int(now.millis()), int(now.millis())],
        guard,
    );
    let statement = db.stmt(
        &format!("INSERT INTO outbox (id, org_id, kind, payload, created_at, enqueued_at) {tail}"),
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
    db.first(FIND, &[text(id)]).await
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

/// Stamps rows as handed to the queue (after `send_batch` succeeded), so that the cron leaves
/// them to the queue's own retries.
pub fn not_handed_over_sql(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("?{}", i + 1)).collect();
    format!(
        "UPDATE outbox SET enqueued_at = NULL WHERE id IN ({}) AND processed_at IS NULL AND failed_at IS NULL",
        ids.join(", ")
    )
}

/// Rows the queue did not take after all: unstamped, so the next cron sends them.
pub async fn not_handed_over(db: &Db, ids: &[String]) -> ApiResult<usize> {
    let args: Vec<_> = ids.iter().map(|id| text(id)).collect();
    db.run(&not_handed_over_sql(ids.len()), &args).await
}

/// A claim made by the cron that could not be handed over after all: the next cron takes it again.
pub async fn release_claim(db: &Db, ids: &[String], claimed_at: Timestamp) -> ApiResult<usize> {
    let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("?{}", i + 2)).collect();
    let mut args = vec![int(claimed_at.millis())];
    args.extend(ids.iter().map(|id| text(id)));
    db.run(
        &format!("UPDATE outbox SET enqueued_at = NULL WHERE id IN ({}) AND enqueued_at = ?1", placeholders.join(", ")),
        &args,
    )
    .await
}

/// Rows the queue does not have: never handed over (the send failed or the isolate died after
/// the batch committed) and older than `stall_after_ms`, or handed over more than
/// `resend_after_ms` ago and still neither done nor failed (the message was lost). Claimed in one
/// statement (their `enqueued_at` becomes now), so two crons never both take a row.
pub async fn claim_stalled(db: &Db, now: Timestamp, stall_after_ms: i64, resend_after_ms: i64, limit: i64) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = db
        .all(
            "UPDATE outbox SET enqueued_at = ?1 WHERE id IN (\
               SELECT id FROM outbox WHERE processed_at IS NULL AND failed_at IS NULL \
               AND ((enqueued_at IS NULL AND created_at < ?2) OR enqueued_at < ?3) \
               ORDER BY created_at LIMIT ?4) \
             AND processed_at IS NULL AND failed_at IS NULL \
             AND ((enqueued_at IS NULL AND created_at < ?2) OR enqueued_at < ?3) RETURNING id",
            &[int(now.millis()), int(now.millis() - stall_after_ms), int(now.millis() - resend_after_ms), int(limit)],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A row never handed to the queue is re-sent by the cron once it is this old ...
pub const STALL_AFTER_MS: i64 = 10_000;
/// ... and a row handed over this long ago, still open, is taken as lost (`OUTBOX_RESEND_AFTER_SECONDS`).
pub const RESEND_AFTER_MS: i64 = 15 * 60_000;

/// A failed (or dead-lettered) e-mail as staff and the platform operator see it. The payload is
/// read only for its address and subject: never its body, which may hold a link.
#[derive(Debug, Deserialize)]
pub struct FailedRow {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub failed_at: i64,
}

pub const FAILED_OF_ORG: &str = "SELECT id, org_id, kind, payload, attempts, last_error, failed_at FROM outbox \
     WHERE org_id = ?1 AND failed_at IS NOT NULL AND kind = 'email' ORDER BY failed_at DESC LIMIT ?2";
pub const FAILED_ALL: &str = "SELECT id, org_id, kind, payload, attempts, last_error, failed_at FROM outbox \
     WHERE failed_at > ?1 AND kind = 'email' ORDER BY failed_at DESC LIMIT ?2";

pub async fn failed_emails(db: &Db, org_id: Option<&str>, limit: i64) -> ApiResult<Vec<FailedRow>> {
    match org_id {
        Some(org) => db.all(FAILED_OF_ORG, &[text(org), int(limit)]).await,
        None => db.all(FAILED_ALL, &[int(0), int(limit)]).await,
    }
}

pub const FIND: &str =
    "SELECT id, org_id, kind, payload, processed_at, failed_at, attempts, last_error FROM outbox WHERE id = ?1";

/// Gives a failed e-mail another go: no longer failed, attempts from zero, stamped as handed over
/// (the caller hands it over next; if that fails the stamp is cleared). Only a failed row changes
/// (`org_id` too when given); true when it did.
pub const RETRY_FAILED: &str = "UPDATE outbox SET failed_at = NULL, attempts = 0, enqueued_at = ?3 \
     WHERE id = ?1 AND failed_at IS NOT NULL AND processed_at IS NULL AND kind = 'email' \
     AND (?2 IS NULL OR org_id = ?2)";

pub async fn retry_failed(db: &Db, id: &str, org_id: Option<&str>, now: Timestamp) -> ApiResult<bool> {
    Ok(db.run(RETRY_FAILED, &[text(id), opt_text(org_id), int(now.millis())]).await? == 1)
}

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
