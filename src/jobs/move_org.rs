//! Carrying out a move, one queue message per step, each step one bounded batch of one table:
//!
//! 1. copy (status `copying`): every table of the organization, parents first, 250 rows a step,
//!    upserted into the new database. The first step waits until every isolate refuses the
//!    organization's writes (`settle_seconds` after the move began), so nothing written before
//!    the flag was visible can land behind the copy;
//! 2. verify (`verifying`): both sides of each table read again, counted and checksummed; any
//!    difference (a write that slipped in after all) fails the move;
//! 3. switch (`switching`): the directory points at the new database (writes still refused), and
//!    once every isolate can know that, writes are let in there; then the old copy is deleted,
//!    children first, in bounded batches.
//!
//! A step that fails three times, or a verification that differs, fails the move before the
//! switch: the copy in the new database is deleted and the organization's writes let in again
//! where it always was. A step delivered twice does its work once (the move's `step`).

use crate::adapters::directory::{self, directory_db};
use crate::app::{App, JobMessage, JOBS_BINDING};
use crate::commands::moves::{self as move_commands, settle_seconds, MoveStep};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::directory::{self as store_directory, Placement};
use crate::store::moves::{self, MoveRow, MoveStatus, MoveTableRow, Next, OrganizationTable, Phase, TableProgress, ORGANIZATION_TABLES};
use crate::store::outbox::{self, OutboxRow};
use crate::store::Db;
use worker::{console_error, console_warn, MessageBuilder};

/// Rows per step: one read and one batch of as many statements, well inside a Worker's limits.
const BATCH_ROWS: i64 = 250;
/// Deliveries of one step that may fail before the move is given up.
const MAX_FAILURES: u32 = 3;

/// One delivery of a step: carried out, or sent again later (with its failure counted), or, after
/// the last failure, the move given up. Err only when even that could not be done (the queue then
/// delivers the message again).
pub async fn deliver(app: &App, step: &MoveStep, dead_lettered: bool) -> ApiResult<()> {
    if dead_lettered {
        return give_up(app, step, "a step of the move was dead-lettered").await;
    }
    let Err(e) = run(app, step).await else { return Ok(()) };
    let failures = step.failures + 1;
    console_error!("move {} step {} failed ({failures} of {MAX_FAILURES}): {}", step.move_id, step.step, e.message);
    if failures >= MAX_FAILURES {
        return give_up(app, step, &e.message).await;
    }
    let again = MoveStep { failures, ..step.clone() };
    move_commands::send(app, again, 2_i64.pow(failures)).await
}

async fn run(app: &App, step: &MoveStep) -> ApiResult<()> {
    let dir = directory_db(app);
    let Some(m) = moves::find(&dir, &step.move_id).await? else {
        console_warn!("move {} is not recorded; dropping its step", step.move_id);
        return Ok(());
    };
    if m.phase == Phase::Finished || m.step != step.step {
        return Ok(()); // a step delivered again, or one the move has passed
    }
    let now = app.now().millis();
    let settled = |since: i64| since + settle_seconds(app) * 1000;
    let source = Db::new(app.env.clone(), app.database(&m.from_database)?);
    let target = Db::new(app.env.clone(), app.database(&m.to_database)?);
    match m.phase {
        Phase::Copy if m.step == 0 && now < settled(m.created_at) => wait(app, &m, settled(m.created_at) - now).await,
        Phase::Copy => copy(app, &dir, &m, &source, &target).await,
        Phase::Verify => verify(app, &dir, &m, &source, &target).await,
        Phase::Switch => switch(app, &dir, &m).await,
        Phase::Release if now < settled(m.updated_at) => wait(app, &m, settled(m.updated_at) - now).await,
        Phase::Release => release(app, &dir, &m).await,
        Phase::Delete => delete(app, &dir, &m, &source).await,
        Phase::Clean => clean(app, &dir, &m, &target).await,
        Phase::Finished => Ok(()),
    }
}

/// The same step again once `ms` have passed.
async fn wait(app: &App, m: &MoveRow, ms: i64) -> ApiResult<()> {
    move_commands::send_step(app, &m.id, m.step, (ms + 999) / 1000).await
}

/// Why a step stopped, in words the move keeps as its error (`ApiError::internal` keeps them
/// only in the log).
fn stopped(why: String) -> ApiError {
    ApiError::new(500, ErrorCode::InternalError, why)
}

fn table_at(position: i64) -> ApiResult<&'static OrganizationTable> {
    usize::try_from(position)
        .ok()
        .and_then(|p| ORGANIZATION_TABLES.get(p))
        .ok_or_else(|| stopped(format!("a move at table {position}")))
}

async fn progress_of(dir: &Db, m: &MoveRow) -> ApiResult<MoveTableRow> {
    moves::tables(dir, &m.id)
        .await?
        .into_iter()
        .find(|t| t.position == m.table_position)
        .ok_or_else(|| stopped(format!("move {} has no table {}", m.id, m.table_position)))
}

/// Records the step's outcome and, if this delivery was the one that advanced the move, sends the
/// next step.
async fn advance(app: &App, dir: &Db, m: &MoveRow, next: Next<'_>, progress: Option<TableProgress>, delay_seconds: i64) -> ApiResult<()> {
    let finished = next.phase == Phase::Finished;
    if moves::advance(dir, m, &next, progress.as_ref(), app.now().millis()).await? && !finished {
        move_commands::send_step(app, &m.id, m.step + 1, delay_seconds).await?;
    }
    Ok(())
}

const fn next(status: MoveStatus, phase: Phase, table_position: i64) -> Next<'static> {
    Next { status, phase, table_position, source_cursor: 0, target_cursor: 0, error: None }
}

fn last_table() -> i64 {
    ORGANIZATION_TABLES.len() as i64 - 1
}

async fn copy(app: &App, dir: &Db, m: &MoveRow, source: &Db, target: &Db) -> ApiResult<()> {
    let table = table_at(m.table_position)?;
    let rows = moves::read_rows(source, table, &m.org_id, &m.slug, m.source_cursor, BATCH_ROWS).await?;
    // The move keeps this as its error; the Worker's log has D1's own words.
    moves::upsert_rows(target, table, &rows)
        .await
        .map_err(|_| stopped(format!("copying {} into {} failed", table.name, m.to_database)))?;
    let before = progress_of(dir, m).await?;
    let progress = TableProgress { rows_copied: before.rows_copied + rows.len() as i64, ..progress(&before) };
    let to = if (rows.len() as i64) == BATCH_ROWS {
        Next { source_cursor: moves::last_rowid(&rows).unwrap_or(m.source_cursor), ..next(MoveStatus::Copying, Phase::Copy, m.table_position) }
    } else if m.table_position < last_table() {
        next(MoveStatus::Copying, Phase::Copy, m.table_position + 1)
    } else {
        next(MoveStatus::Verifying, Phase::Verify, 0)
    };
    advance(app, dir, m, to, Some(progress), 0).await
}

fn progress(row: &MoveTableRow) -> TableProgress {
    TableProgress {
        position: row.position,
        rows_copied: row.rows_copied,
        source: row.source(),
        target: row.target(),
        rows_verified: row.rows_verified,
        verified: row.checksum().is_some(),
    }
}

async fn verify(app: &App, dir: &Db, m: &MoveRow, source: &Db, target: &Db) -> ApiResult<()> {
    let table = table_at(m.table_position)?;
    let from = moves::read_rows(source, table, &m.org_id, &m.slug, m.source_cursor, BATCH_ROWS).await?;
    let to = moves::read_rows(target, table, &m.org_id, &m.slug, m.target_cursor, BATCH_ROWS).await?;
    let before = progress_of(dir, m).await?;
    let mut p = TableProgress { source: before.source().add(&from)?, target: before.target().add(&to)?, ..progress(&before) };
    let read_all = (from.len() as i64) < BATCH_ROWS && (to.len() as i64) < BATCH_ROWS;
    if !read_all {
        let more = Next {
            source_cursor: moves::last_rowid(&from).unwrap_or(m.source_cursor),
            target_cursor: moves::last_rowid(&to).unwrap_or(m.target_cursor),
            ..next(MoveStatus::Verifying, Phase::Verify, m.table_position)
        };
        return advance(app, dir, m, more, Some(p), 0).await;
    }
    if p.source != p.target {
        // Something changed the old copy after it was copied: the move cannot vouch for the new one.
        let why = format!(
            "{} differs: {} rows (checksum {}) in {}, {} rows (checksum {}) in {}",
            table.name,
            p.source.rows,
            p.source.hex(),
            m.from_database,
            p.target.rows,
            p.target.hex(),
            m.to_database
        );
        let failed = Next { error: Some(&why), ..next(m.status, Phase::Clean, last_table()) };
        return advance(app, dir, m, failed, Some(p), 0).await;
    }
    p.rows_verified = p.target.rows;
    p.verified = true;
    let to = if m.table_position < last_table() {
        next(MoveStatus::Verifying, Phase::Verify, m.table_position + 1)
    } else {
        next(MoveStatus::Switching, Phase::Switch, 0)
    };
    advance(app, dir, m, to, Some(p), 0).await
}

/// Where the directory has the organization now.
async fn placement(dir: &Db, m: &MoveRow) -> ApiResult<Placement> {
    store_directory::find(dir, &m.slug)
        .await?
        .ok_or_else(|| stopped(format!("{} is no longer in the directory", m.slug)))
}

async fn switch(app: &App, dir: &Db, m: &MoveRow) -> ApiResult<()> {
    moves::switch_directory(dir, m).await?;
    let now = placement(dir, m).await?;
    if now.database != m.to_database {
        return Err(stopped(format!("the directory did not switch {} to {}", m.slug, m.to_database)));
    }
    directory::publish(app, &m.slug, &now).await;
    // Writes are let in at the new database only once no isolate can still send them to the old one.
    advance(app, dir, m, next(MoveStatus::Switching, Phase::Release, 0), None, settle_seconds(app)).await
}

async fn release(app: &App, dir: &Db, m: &MoveRow) -> ApiResult<()> {
    moves::release_directory(dir, &m.slug, &m.to_database).await?;
    directory::publish(app, &m.slug, &placement(dir, m).await?).await;
    advance(app, dir, m, next(MoveStatus::Switching, Phase::Delete, last_table()), None, 0).await
}

/// Deletes one batch of the old copy, only while the directory has the organization in the new
/// database (never the copy that is live).
async fn delete(app: &App, dir: &Db, m: &MoveRow, source: &Db) -> ApiResult<()> {
    if placement(dir, m).await?.database != m.to_database {
        return Err(stopped(format!("{} is not in {}: its old copy stays", m.slug, m.to_database)));
    }
    let table = table_at(m.table_position)?;
    let deleted = moves::delete_rows(source, table, &m.org_id, &m.slug, BATCH_ROWS).await? as i64;
    let to = if deleted == BATCH_ROWS {
        next(MoveStatus::Switching, Phase::Delete, m.table_position)
    } else if m.table_position > 0 {
        next(MoveStatus::Switching, Phase::Delete, m.table_position - 1)
    } else {
        next(MoveStatus::Done, Phase::Finished, 0)
    };
    advance(app, dir, m, to, None, 0).await
}

/// After a failure, deletes one batch of what was copied into the new database, only while the
/// directory does not have the organization there; after the last, lets its writes in again, and
/// only then is the move `failed` (the error is shown from the start of the clean-up): a failed
/// move is one after which a new move can run.
async fn clean(app: &App, dir: &Db, m: &MoveRow, target: &Db) -> ApiResult<()> {
    let here = placement(dir, m).await?;
    if here.database == m.to_database {
        return Err(stopped(format!("{} is in {}: that copy stays", m.slug, m.to_database)));
    }
    let table = table_at(m.table_position)?;
    let deleted = moves::delete_rows(target, table, &m.org_id, &m.slug, BATCH_ROWS).await? as i64;
    if deleted == BATCH_ROWS || m.table_position > 0 {
        let position = if deleted == BATCH_ROWS { m.table_position } else { m.table_position - 1 };
        return advance(app, dir, m, next(m.status, Phase::Clean, position), None, 0).await;
    }
    moves::release_directory(dir, &m.slug, &m.from_database).await?;
    directory::publish(app, &m.slug, &placement(dir, m).await?).await;
    advance(app, dir, m, next(MoveStatus::Failed, Phase::Finished, 0), None, 0).await
}

/// A step failed for the last time. Before the switch, the move fails: its copy is cleaned up and
/// the organization stays where it was. A clean-up that cannot finish still lets the organization's
/// writes in again (the leftover copy is unreachable; a new move's verification refuses to vouch
/// for it and cleans it). After the switch, the organization is in its new database, verified:
/// only the error is kept.
async fn give_up(app: &App, step: &MoveStep, why: &str) -> ApiResult<()> {
    let dir = directory_db(app);
    let Some(m) = moves::find(&dir, &step.move_id).await? else { return Ok(()) };
    if m.phase == Phase::Finished || m.step != step.step {
        return Ok(());
    }
    let switched = placement(&dir, &m).await?.database == m.to_database;
    let error = format!("step {} ({:?}): {why}", m.step, m.phase);
    match m.phase {
        Phase::Copy | Phase::Verify | Phase::Switch if !switched => {
            let failed = Next { error: Some(&error), ..next(m.status, Phase::Clean, last_table()) };
            advance(app, &dir, &m, failed, None, 0).await
        }
        Phase::Clean => {
            moves::release_directory(&dir, &m.slug, &m.from_database).await?;
            directory::publish(app, &m.slug, &placement(&dir, &m).await?).await;
            let left = format!("{error}; part of the copy in {} could not be deleted", m.to_database);
            let finished = Next { error: Some(&left), ..next(MoveStatus::Failed, Phase::Finished, 0) };
            advance(app, &dir, &m, finished, None, 0).await
        }
        _ => moves::note_error(&dir, &m.id, &error).await,
    }
}

/// Where an outbox row is to be carried out, now that organizations move.
pub enum Located {
    /// In this database (the organization's own).
    Found(App, OutboxRow),
    /// Its organization is moving: the row waits until the move is over.
    Moving,
    /// No database has it.
    Gone,
}

/// Finds outbox row `outbox_id`: in the database its message names, or, if its organization has
/// moved since, in the one the directory names now.
pub async fn locate(app: &App, outbox_id: &str) -> ApiResult<Located> {
    let mut found = outbox::find(&app.db, outbox_id).await?.map(|row| (app.on(app.db.binding()), row));
    if found.is_none() {
        for other in app.on_each_database().filter(|o| o.db.binding().name() != app.db.binding().name()) {
            if let Some(row) = outbox::find(&other.db, outbox_id).await? {
                found = Some((other, row));
                break;
            }
        }
    }
    let Some((here, row)) = found else { return Ok(Located::Gone) };
    let Some(org_id) = row.org_id.as_deref() else { return Ok(Located::Found(here, row)) };
    match store_directory::find_by_org_id(&directory_db(app), org_id).await? {
        Some((_, p)) if p.moving => Ok(Located::Moving),
        Some((_, p)) if p.database != here.db.binding().name() => {
            let there = app.on(app.database(&p.database)?);
            Ok(match outbox::find(&there.db, outbox_id).await? {
                Some(row) => Located::Found(there, row),
                None => Located::Gone,
            })
        }
        _ => Ok(Located::Found(here, row)),
    }
}

/// Sends an outbox row's message again for after the move (the queue's own retries would count
/// the wait against the message's attempts).
pub async fn after_the_move(app: &App, job: &JobMessage) -> ApiResult<()> {
    let queue = app.env.queue(JOBS_BINDING)?;
    let message = MessageBuilder::new(job.clone()).delay_seconds(settle_seconds(app).clamp(1, 900) as u32).build();
    Ok(queue.send(message).await?)
}
