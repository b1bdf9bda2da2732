//! The queue consumer and the cron: carrying out outbox rows, at least once, idempotently.

use crate::app::{App, JobMessage};
use crate::error::ApiResult;
use crate::mail::{self, MailError};
use crate::store::outbox::{self, OutboxRow, KIND_EMAIL};
use crate::imports::{self, ChunkOutcome};
use crate::payments::{self, JobOutcome};
use crate::store::imports::{KIND_IMPORT_CHUNK, KIND_IMPORT_SUMMARY};
use crate::store::payments::KIND_DELETE_METHODS;
use crate::switch;
use portal_core::notification::OutgoingEmail;
use portal_core::retry::retry_delay_seconds;
use worker::{console_error, console_warn, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage};

/// Outcome of one message: the consumer acks or retries each message on its own.
enum Outcome {
    Done,
    RetryLater(u32),
}

pub async fn consume(app: &App, batch: MessageBatch<JobMessage>) {
    let dead_letters = batch.queue().ends_with("-dlq");
    for raw in batch.raw_iter() {
        let msg: RawMessage = raw;
        let job: Result<JobMessage, _> = serde_wasm_bindgen::from_value(msg.body());
        let Ok(job) = job else {
            console_error!("dropping a job message that is not a JobMessage");
            msg.ack();
            continue;
        };
        if dead_letters {
            // The queue gave up on it: keep the row, marked failed, with its last error.
            if let Err(e) = dead_lettered(app, &job.outbox_id).await {
                console_error!("could not mark {} failed: {e:?}", job.outbox_id);
                msg.retry();
            } else {
                msg.ack();
            }
            continue;
        }
        match run(app, &job.outbox_id).await {
            Ok(Outcome::Done) => msg.ack(),
            Ok(Outcome::RetryLater(delay)) => {
                msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build())
            }
            Err(e) => {
                console_error!("job {} failed: {e:?}", job.outbox_id);
                msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(10).build())
            }
        }
    }
}

async fn run(app: &App, outbox_id: &str) -> ApiResult<Outcome> {
    let Some(row) = outbox::find(&app.db, outbox_id).await? else {
        console_warn!("outbox row {outbox_id} is gone; nothing to do");
        return Ok(Outcome::Done);
    };
    if row.processed_at.is_some() || row.failed_at.is_some() {
        return Ok(Outcome::Done); // a repeated delivery
    }
    match row.kind.as_str() {
        KIND_EMAIL => send_email(app, &row).await,
        KIND_DELETE_METHODS => delete_payment_methods(app, &row).await,
        KIND_IMPORT_CHUNK => import_chunk(app, &row).await,
        KIND_IMPORT_SUMMARY => deliver(app, &row, imports::send_summary(app, &row).await, &row.payload).await,
        other => {
            outbox::mark_failed(&app.db, &row.id, Some(&format!("unknown job kind {other}")), app.now).await?;
            Ok(Outcome::Done)
        }
    }
}

async fn dead_lettered(app: &App, outbox_id: &str) -> ApiResult<()> {
    if let Some(row) = outbox::find(&app.db, outbox_id).await? {
        if row.processed_at.is_none() && row.failed_at.is_none() {
            match row.kind.as_str() {
                KIND_DELETE_METHODS => payments::deletion_dead_lettered(app, &row).await?,
                KIND_IMPORT_CHUNK => imports::chunk_dead_lettered(app, &row).await?,
                _ => {}
            }
        }
    }
    outbox::mark_failed(&app.db, outbox_id, None, app.now).await.map(|_| ())
}

async fn delete_payment_methods(app: &App, row: &OutboxRow) -> ApiResult<Outcome> {
    match payments::run_deletion(app, row).await? {
        JobOutcome::Done => {
            outbox::mark_processed(&app.db, &row.id, &row.payload, app.now).await?;
            Ok(Outcome::Done)
        }
        JobOutcome::Retry(e) => {
            outbox::record_failure(&app.db, &row.id, &e).await?;
            Ok(Outcome::RetryLater(retry_delay_seconds(row.attempts, app.config.job_retry_base_seconds)))
        }
        JobOutcome::Failed(e) => {
            outbox::mark_failed(&app.db, &row.id, Some(&e), app.now).await?;
            Ok(Outcome::Done)
        }
    }
}

async fn import_chunk(app: &App, row: &OutboxRow) -> ApiResult<Outcome> {
    match imports::run_chunk(app, row).await {
        Ok(ChunkOutcome::Done) => {
            outbox::mark_processed(&app.db, &row.id, &row.payload, app.now).await?;
            Ok(Outcome::Done)
        }
        Ok(ChunkOutcome::Failed(e)) => {
            outbox::mark_failed(&app.db, &row.id, Some(&e), app.now).await?;
            Ok(Outcome::Done)
        }
        Err(e) => {
            // D1 trouble mid-chunk: the rows applied so far have their results; retry the rest.
            outbox::record_failure(&app.db, &row.id, &e.message).await?;
            Ok(Outcome::RetryLater(retry_delay_seconds(row.attempts, app.config.job_retry_base_seconds)))
        }
    }
}

async fn send_email(app: &App, row: &OutboxRow) -> ApiResult<Outcome> {
    let message: OutgoingEmail = match serde_json::from_str(&row.payload) {
        Ok(m) => m,
        Err(e) => {
            outbox::mark_failed(&app.db, &row.id, Some(&format!("bad payload: {e}")), app.now).await?;
            return Ok(Outcome::Done);
        }
    };
    let sent = mail::send(&app.config.email, &app.db, app.now, &message, &row.id).await;
    let kept = serde_json::to_string(&message.redacted()).map_err(crate::error::ApiError::internal)?;
    deliver(app, row, sent, &kept).await
}

/// Records how sending an e-mail went: done (keeping `kept` as the row's payload), failed for
/// good, or to be retried with backoff.
async fn deliver(app: &App, row: &OutboxRow, sent: Result<(), MailError>, kept: &str) -> ApiResult<Outcome> {
    match sent {
        Ok(()) => {
            outbox::mark_processed(&app.db, &row.id, kept, app.now).await?;
            Ok(Outcome::Done)
        }
        Err(MailError::Permanent(e)) => {
            outbox::mark_failed(&app.db, &row.id, Some(&e), app.now).await?;
            Ok(Outcome::Done)
        }
        Err(MailError::Transient(e)) => {
            outbox::record_failure(&app.db, &row.id, &e).await?;
            Ok(Outcome::RetryLater(retry_delay_seconds(row.attempts, app.config.job_retry_base_seconds)))
        }
    }
}

/// The cron: re-send outbox rows that never reached the queue, and re-publish recent portal
/// switch changes to KV in case a KV write failed after D1 changed.
pub async fn scheduled(app: &App) {
    match outbox::claim_stalled(&app.db, app.now, 100).await {
        Ok(ids) if !ids.is_empty() => {
            console_warn!("re-sending {} stalled outbox rows", ids.len());
            app.enqueue(&ids).await;
        }
        Ok(_) => {}
        Err(e) => console_error!("outbox sweep failed: {e:?}"),
    }
    if let Err(e) = switch::republish_recent(app).await {
        console_error!("portal switch re-publish failed: {e:?}");
    }
}
