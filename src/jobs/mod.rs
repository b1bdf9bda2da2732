//! The queue consumer and the cron: carrying out outbox rows, at least once, idempotently.

#[cfg(feature = "jobs")]
mod email;
#[cfg(feature = "jobs")]
mod import_chunk;
#[cfg(feature = "jobs")]
mod move_org;
#[cfg(feature = "jobs")]
mod payment_method_deletion;

use crate::app::{App, JobMessage};
#[cfg(feature = "jobs")]
use crate::commands::moves::MoveStep;
use crate::error::ApiResult;
#[cfg(feature = "jobs")]
use crate::adapters::mail::MailError;
use crate::store::outbox::{self, OutboxRow, KIND_EMAIL};
use crate::store::imports::{KIND_IMPORT_CHUNK, KIND_IMPORT_SUMMARY};
use crate::store::payments::KIND_DELETE_METHODS;
use crate::adapters::switch;
use portal_core::retry::{retry_delay_seconds, MAX_DELAY_SECONDS};
use worker::{console_error, console_warn, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage};

/// Outcome of one message: the consumer acks or retries each message on its own.
#[cfg(feature = "jobs")]
enum Outcome {
    Done,
    RetryLater(u32),
    /// Its organization is moving: sent again for after the move.
    AfterTheMove,
}

#[cfg(feature = "jobs")]
pub async fn consume(app: &App, batch: MessageBatch<JobMessage>) {
    let dead_letters = batch.queue().ends_with("-dlq");
    for raw in batch.raw_iter() {
        let msg: RawMessage = raw;
        let job: Result<JobMessage, _> = serde_wasm_bindgen::from_value(msg.body());
        let Ok(job) = job else {
            // The other kind of message: a step of moving an organization.
            match serde_wasm_bindgen::from_value::<MoveStep>(msg.body()) {
                Ok(step) => match move_org::deliver(app, &step, dead_letters).await {
                    Ok(()) => msg.ack(),
                    Err(e) => {
                        console_error!("move {} step {} not carried out, retrying: {e:?}", step.move_id, step.step);
                        msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(10).build());
                    }
                },
                Err(_) => {
                    console_error!("dropping a job message that is neither a JobMessage nor a MoveStep");
                    msg.ack();
                }
            }
            continue;
        };
        // The outbox row is in its organization's database, which the message names.
        let app = match app.database(&job.database) {
            Ok(binding) => app.on(binding),
            Err(e) => {
                console_error!("job {} names a database this Worker lacks, retrying: {e:?}", job.outbox_id);
                msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(60).build());
                continue;
            }
        };
        let app = &app;
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
            Ok(Outcome::AfterTheMove) => match move_org::after_the_move(app, &job).await {
                Ok(()) => msg.ack(),
                Err(e) => {
                    console_error!("job {} waits for a move, retrying: {e:?}", job.outbox_id);
                    msg.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(10).build())
                }
            },
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

#[cfg(feature = "jobs")]
async fn run(app: &App, outbox_id: &str) -> ApiResult<Outcome> {
    // A row is carried out in its organization's database, and not while the organization moves
    // (it would change the copy being verified).
    let (app, row) = match move_org::locate(app, outbox_id).await? {
        move_org::Located::Found(app, row) => (app, row),
        move_org::Located::Moving => return Ok(Outcome::AfterTheMove),
        move_org::Located::Gone => {
            console_warn!("outbox row {outbox_id} is gone; nothing to do");
            return Ok(Outcome::Done);
        }
    };
    let app = &app;
    if row.processed_at.is_some() || row.failed_at.is_some() {
        return Ok(Outcome::Done); // a repeated delivery
    }
    match row.kind.as_str() {
        KIND_EMAIL => email::send(app, &row).await,
        KIND_DELETE_METHODS => settle(app, &row, payment_method_deletion::run(app, &row).await?, &row.payload).await,
        // D1 trouble mid-chunk: the rows applied so far have their results; retry the rest.
        KIND_IMPORT_CHUNK => {
            let outcome = import_chunk::run(app, &row).await.unwrap_or_else(|e| JobOutcome::Retry(e.message.clone()));
            settle(app, &row, outcome, &row.payload).await
        }
        KIND_IMPORT_SUMMARY => settle(app, &row, import_chunk::send_summary(app, &row).await.into(), &row.payload).await,
        other => {
            outbox::mark_failed(&app.db, &row.id, Some(&format!("unknown job kind {other}")), app.now()).await?;
            Ok(Outcome::Done)
        }
    }
}

#[cfg(feature = "jobs")]
async fn dead_lettered(app: &App, outbox_id: &str) -> ApiResult<()> {
    let mut why = None;
    if let Some(row) = outbox::find(&app.db, outbox_id).await? {
        if row.processed_at.is_none() && row.failed_at.is_none() {
            match row.kind.as_str() {
                KIND_DELETE_METHODS => payment_method_deletion::dead_lettered(app, &row).await?,
                KIND_IMPORT_CHUNK => import_chunk::dead_lettered(app, &row).await?,
                _ => {}
            }
            // Staff read this as the why: say that the queue gave up, and on what.
            why = Some(format!(
                "dead-lettered after {} attempts; last error: {}",
                row.attempts,
                row.last_error.as_deref().unwrap_or("none recorded")
            ));
        }
    }
    outbox::mark_failed(&app.db, outbox_id, why.as_deref(), app.now()).await.map(|_| ())
}

/// How carrying out an outbox row went, whatever its kind.
pub enum JobOutcome {
    Done,
    /// Failed for now (a gateway or provider outage, D1 trouble): retry with backoff.
    Retry(String),
    /// Failed for now, and the other side said when to come back: not before then.
    RetryAfter(String, u32),
    /// Will fail the same way every time: give up, keeping the error on the row.
    Failed(String),
}

#[cfg(feature = "jobs")]
impl From<Result<(), MailError>> for JobOutcome {
    fn from(sent: Result<(), MailError>) -> Self {
        match sent {
            Ok(()) => JobOutcome::Done,
            Err(MailError::Transient(e)) => JobOutcome::Retry(e),
            Err(MailError::RetryAfter(e, seconds)) => JobOutcome::RetryAfter(e, seconds),
            Err(MailError::Permanent(e)) => JobOutcome::Failed(e),
        }
    }
}

/// Records the outcome on the outbox row: done (with `kept` as its payload from now on), failed
/// for good, or retried with backoff.
#[cfg(feature = "jobs")]
async fn settle(app: &App, row: &OutboxRow, outcome: JobOutcome, kept: &str) -> ApiResult<Outcome> {
    match outcome {
        JobOutcome::Done => {
            outbox::mark_processed(&app.db, &row.id, kept, app.now()).await?;
            Ok(Outcome::Done)
        }
        JobOutcome::Failed(e) => {
            outbox::mark_failed(&app.db, &row.id, Some(&e), app.now()).await?;
            Ok(Outcome::Done)
        }
        JobOutcome::Retry(e) => {
            outbox::record_failure(&app.db, &row.id, &e).await?;
            Ok(Outcome::RetryLater(retry_delay_seconds(row.attempts, app.config.job_retry_base_seconds)))
        }
        JobOutcome::RetryAfter(e, seconds) => {
            outbox::record_failure(&app.db, &row.id, &e).await?;
            let backoff = retry_delay_seconds(row.attempts, app.config.job_retry_base_seconds);
            Ok(Outcome::RetryLater(backoff.max(seconds.min(MAX_DELAY_SECONDS))))
        }
    }
}

/// The cron, over every tenant database in turn.
#[cfg(feature = "http")]
pub async fn scheduled(app: &App) {
    // A database that a running move copies from or into keeps its stalled rows until the move is
    // over: claiming them would change rows the move is copying and verifying.
    let moving: Vec<String> = match crate::store::moves::running(&crate::adapters::directory::directory_db(app)).await {
        Ok(running) => running.into_iter().flat_map(|m| [m.from_database, m.to_database]).collect(),
        Err(e) => {
            console_error!("could not read the running moves: {e:?}");
            Vec::new()
        }
    };
    for app in app.on_each_database() {
        let resend = !moving.iter().any(|d| d == app.db.binding().name());
        sweep(&app, resend).await;
    }
}

/// One database's sweep: re-send outbox rows the queue does not have (never handed over, or handed
/// over so long ago that the message must be lost), and re-publish recent portal switch changes to
/// KV in case a KV write failed after D1 changed.
#[cfg(feature = "http")]
async fn sweep(app: &App, resend: bool) {
    let database = app.db.binding().name();
    let resend_after_ms = app
        .env
        .var("OUTBOX_RESEND_AFTER_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .map(|s| s * 1000)
        .unwrap_or(outbox::RESEND_AFTER_MS);
    let claimed = if resend {
        outbox::claim_stalled(&app.db, app.now(), outbox::STALL_AFTER_MS, resend_after_ms, 100).await
    } else {
        Ok(Vec::new())
    };
    match claimed {
        Ok(ids) if !ids.is_empty() => {
            console_warn!("re-sending {} stalled outbox rows of {database}", ids.len());
            if !app.enqueue_now(&ids).await {
                // Not handed over after all: give the claim back for the next cron.
                if let Err(e) = outbox::release_claim(&app.db, &ids, app.now()).await {
                    console_error!("could not release the claim on {ids:?}: {e:?}");
                }
            }
        }
        Ok(_) => {}
        Err(e) => console_error!("outbox sweep of {database} failed: {e:?}"),
    }
    if let Err(e) = switch::republish_recent(app).await {
        console_error!("portal switch re-publish from {database} failed: {e:?}");
    }
    tidy_maintenance(app).await;
    end_due_access(app).await;
}

/// Accesses whose end day has come (organization time): ended as the primary's revoke ends them.
/// The session check has refused them since the day began; this does the rest (the e-mail, the
/// saved payment methods, the access state).
#[cfg(feature = "http")]
async fn end_due_access(app: &App) {
    if let Err(e) = crate::commands::access_end::end_due(app).await {
        console_error!("ending due accesses of {} failed: {e:?}", app.db.binding().name());
    }
}

/// Scheduled maintenance windows that started or ended since the last run: recorded, the session
/// epoch raised once. The gate does not wait for this (it compares the window's times itself).
#[cfg(feature = "http")]
async fn tidy_maintenance(app: &App) {
    if let Err(e) = crate::commands::maintenance::tidy(app).await {
        console_error!("maintenance tidy of {} failed: {e:?}", app.db.binding().name());
    }
}
