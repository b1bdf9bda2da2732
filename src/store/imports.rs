//! Portal-access imports: jobs, their chunks of rows, and one result per row.

use super::{flag, guarded, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::bulk::PlannedChange;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// Outbox kinds: one chunk of rows to apply, and the summary e-mail of a finished job.
pub const KIND_IMPORT_CHUNK: &str = "import_chunk";
pub const KIND_IMPORT_SUMMARY: &str = "import_summary";

#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub org_id: String,
    pub staff_id: String,
    pub staff_email: String,
    pub dry_run: i64,
    pub status: String,
    pub total: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// An apply: the dry run it applies.
    pub dry_run_job_id: Option<String>,
    /// A dry run: the job that applied it.
    pub applied_by_job_id: Option<String>,
}

pub const FIND_JOB: &str = "SELECT id, org_id, staff_id, staff_email, dry_run, status, total, error, created_at, finished_at, \
     dry_run_job_id, applied_by_job_id FROM import_jobs WHERE id = ?1";

pub async fn find_job(db: &Db, job_id: &str) -> ApiResult<Option<JobRow>> {
    db.first(FIND_JOB, &[text(job_id)]).await
}

pub struct NewJob<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub staff_id: &'a str,
    pub staff_email: &'a str,
    pub dry_run: bool,
    pub total: i64,
    /// An apply: the dry run it applies.
    pub dry_run_job_id: Option<&'a str>,
}

/// A new job, queued; with a guard, only while the guard holds.
pub fn insert_job<'a>(db: &Db, job: &NewJob<'a>, now: Timestamp, guard: Option<Guard<'a>>) -> ApiResult<D1PreparedStatement> {
    let (tail, args) = guarded(
        vec![
            text(job.id),
            text(job.org_id),
            text(job.staff_id),
            text(job.staff_email),
            flag(job.dry_run),
            text("queued"),
            int(job.total),
            int(now.millis()),
            opt_text(job.dry_run_job_id),
        ],
        guard,
    );
    db.stmt(
        &format!("INSERT INTO import_jobs (id, org_id, staff_id, staff_email, dry_run, status, total, created_at, dry_run_job_id) {tail}"),
        &args,
    )
}

pub fn insert_chunk<'a>(db: &Db, job_id: &'a str, chunk: i64, rows_json: &'a str, guard: Option<Guard<'a>>) -> ApiResult<D1PreparedStatement> {
    let (tail, args) = guarded(vec![text(job_id), int(chunk), text(rows_json)], guard);
    db.stmt(&format!("INSERT INTO import_chunks (job_id, chunk, rows) {tail}"), &args)
}

#[derive(Debug, Deserialize)]
pub struct ChunkRow {
    pub rows: String,
    pub done_at: Option<i64>,
}

pub async fn find_chunk(db: &Db, job_id: &str, chunk: i64) -> ApiResult<Option<ChunkRow>> {
    db.first("SELECT rows, done_at FROM import_chunks WHERE job_id = ?1 AND chunk = ?2", &[text(job_id), int(chunk)])
        .await
}

pub async fn mark_running(db: &Db, job_id: &str) -> ApiResult<usize> {
    db.run("UPDATE import_jobs SET status = 'running' WHERE id = ?1 AND status = 'queued'", &[text(job_id)]).await
}

pub async fn mark_failed(db: &Db, job_id: &str, error: &str, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE import_jobs SET status = 'failed', error = ?2, finished_at = ?3 WHERE id = ?1 AND status IN ('queued', 'running')",
        &[text(job_id), text(error), int(now.millis())],
    )
    .await
}

/// Lines of the chunk that already have a result (a retried chunk skips them).
pub async fn lines_done(db: &Db, job_id: &str, first: i64, last: i64) -> ApiResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Row {
        line: i64,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT line FROM import_results WHERE job_id = ?1 AND line BETWEEN ?2 AND ?3",
            &[text(job_id), int(first), int(last)],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.line).collect())
}

/// A row's result; the first one written for a line stays.
pub struct RowResult<'a> {
    pub line: i64,
    pub contact_id: &'a str,
    pub outcome: &'static str,
    pub action: Option<&'static str>,
    pub message: Option<&'a str>,
    /// A dry run's change: the contact as the dry run saw them (see `fingerprint!`).
    pub fingerprint: Option<&'a str>,
}

/// Seven values a row, so that a statement stays within D1's 100 bound values.
const RESULTS_PER_STATEMENT: usize = 14;

pub fn insert_results(db: &Db, job_id: &str, results: &[RowResult<'_>]) -> ApiResult<Vec<D1PreparedStatement>> {
    results
        .chunks(RESULTS_PER_STATEMENT)
        .map(|part| {
            let mut args = Vec::with_capacity(part.len() * 7);
            for r in part {
                args.extend([
                    text(job_id),
                    int(r.line),
                    text(r.contact_id),
                    text(r.outcome),
                    opt_text(r.action),
                    opt_text(r.message),
                    opt_text(r.fingerprint),
                ]);
            }
            let values = vec!["(?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
            db.stmt(
                &format!(
                    "INSERT INTO import_results (job_id, line, contact_id, outcome, action, message, fingerprint) VALUES {values} \
                     ON CONFLICT (job_id, line) DO NOTHING"
                ),
                &args,
            )
        })
        .collect()
}

/// Marks the chunk done and, if it was the last, the job: the first statement of a batch whose
/// later statements (the summary e-mail) are guarded by `job_finished_by`.
pub fn finish_chunk(db: &Db, job_id: &str, chunk: i64, change_id: &str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE import_chunks SET done_at = ?3 WHERE job_id = ?1 AND chunk = ?2 AND done_at IS NULL",
            &[text(job_id), int(chunk), int(now.millis())],
        )?,
        db.stmt(
            "UPDATE import_jobs SET status = 'done', finished_at = ?2, last_change_id = ?3 \
             WHERE id = ?1 AND status IN ('queued', 'running') \
             AND NOT EXISTS (SELECT 1 FROM import_chunks WHERE job_id = ?1 AND done_at IS NULL)",
            &[text(job_id), int(now.millis()), text(change_id)],
        )?,
    ])
}

pub fn job_finished_by<'a>(job_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM import_jobs WHERE id = ? AND last_change_id = ?)",
        args: vec![text(job_id), text(change_id)],
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Counts {
    pub updated: i64,
    pub unchanged: i64,
    pub errors: i64,
}

pub const COUNTS: &str = "SELECT COALESCE(SUM(outcome = 'updated'), 0) AS updated, \
       COALESCE(SUM(outcome = 'unchanged'), 0) AS unchanged, COALESCE(SUM(outcome = 'error'), 0) AS errors \
     FROM import_results WHERE job_id = ?1";

pub async fn counts(db: &Db, job_id: &str) -> ApiResult<Counts> {
    Ok(db.first(COUNTS, &[text(job_id)]).await?.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
pub struct ResultRow {
    pub line: i64,
    pub contact_id: Option<String>,
    pub action: Option<String>,
    pub message: Option<String>,
}

pub const RESULTS_OF_OUTCOME: &str = "SELECT line, contact_id, action, message FROM import_results \
     WHERE job_id = ?1 AND outcome = ?2 ORDER BY line LIMIT ?3";

pub async fn results(db: &Db, job_id: &str, outcome: &str, limit: i64) -> ApiResult<Vec<ResultRow>> {
    db.all(RESULTS_OF_OUTCOME, &[text(job_id), text(outcome), int(limit)]).await
}

/// A guardian `g` (with their family `f`) as a dry run saw them, as one JSON text: their family and
/// whether they are its primary, their access (state and live invitation, so a re-sent invitation
/// counts), e-mail and name. The dry run keeps it with each change; the apply compares it with
/// now, in SQL, so that the snapshot and the check are the same expression.
macro_rules! fingerprint {
    () => {
        "json_array(g.family_id, f.primary_guardian_id = g.id, g.access_state, \
         (SELECT MAX(i.id) FROM invitations i WHERE i.guardian_id = g.id AND i.state = 'pending'), \
         g.email, g.first_name, g.last_name)"
    };
}

/// The changes of dry run `r.job_id` whose contact is gone or changed since (a dry run from before
/// fingerprints were kept counts as changed): `?1` the dry run, `?2` its organization.
macro_rules! stale_changes {
    () => {
        concat!(
            "FROM import_results r LEFT JOIN guardians g ON g.id = r.contact_id AND g.org_id = ?2 \
             LEFT JOIN families f ON f.id = g.family_id \
             WHERE r.job_id = ?1 AND r.outcome = 'updated' \
             AND (r.fingerprint IS NULL OR g.id IS NULL OR ",
            fingerprint!(),
            " != r.fingerprint)"
        )
    };
}

#[derive(Debug, Deserialize)]
pub struct Fingerprint {
    pub id: String,
    pub fingerprint: String,
}

/// The fingerprints of this organization's guardians with these ids (at most `IDS_PER_QUERY`).
pub async fn fingerprints(db: &Db, org_id: &str, ids: &[&str]) -> ApiResult<Vec<Fingerprint>> {
    let placeholders = vec!["?"; ids.len()].join(", ");
    let mut args = vec![text(org_id)];
    args.extend(ids.iter().map(|id| text(id)));
    let sql = format!(
        concat!("SELECT g.id, ", fingerprint!(), " AS fingerprint FROM guardians g JOIN families f ON f.id = g.family_id WHERE g.org_id = ? AND g.id IN ({})"),
        placeholders
    );
    db.all(&sql, &args).await
}

#[derive(Debug, Deserialize)]
pub struct StaleChange {
    pub contact_id: String,
    /// How many of the dry run's changes are stale in all.
    pub count: i64,
}

pub const STALE: &str =
    concat!("SELECT COALESCE(r.contact_id, '') AS contact_id, COUNT(*) OVER () AS count ", stale_changes!(), " ORDER BY r.line LIMIT ?3");

/// The first `named` of a dry run's changes that are stale, each with how many are in all.
pub async fn stale(db: &Db, dry_run_id: &str, org_id: &str, named: i64) -> ApiResult<Vec<StaleChange>> {
    db.all(STALE, &[text(dry_run_id), text(org_id), int(named)]).await
}

pub const STALE_LINES: &str = concat!("SELECT r.line ", stale_changes!(), " AND r.line BETWEEN ?3 AND ?4");

/// The lines from `first` to `last` of a dry run's changes that are stale now.
pub async fn stale_lines(db: &Db, dry_run_id: &str, org_id: &str, first: i64, last: i64) -> ApiResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Row {
        line: i64,
    }
    let rows: Vec<Row> = db.all(STALE_LINES, &[text(dry_run_id), text(org_id), int(first), int(last)]).await?;
    Ok(rows.into_iter().map(|r| r.line).collect())
}

pub const PLANNED_CHANGES: &str =
    "SELECT line, contact_id, action AS plan FROM import_results WHERE job_id = ?1 AND outcome = 'updated' ORDER BY line";

/// Every change a dry run listed (not only the first `MAX_LISTED` its status shows).
pub async fn planned_changes(db: &Db, dry_run_id: &str) -> ApiResult<Vec<PlannedChange>> {
    db.all(PLANNED_CHANGES, &[text(dry_run_id)]).await
}

/// Marks a finished dry run applied by job `applied_by`: only if it was not applied yet and none
/// of its contacts changed since it ran, checked in this statement, so that two Finish clicks make
/// one apply and a contact changed a moment ago is not overwritten. The first statement of the
/// apply's batch; the others are guarded by `applied_by_this`.
pub fn claim_dry_run<'a>(db: &Db, dry_run_id: &'a str, org_id: &'a str, applied_by: &'a str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        concat!(
            "UPDATE import_jobs SET applied_by_job_id = ?3 \
             WHERE id = ?1 AND org_id = ?2 AND dry_run = 1 AND status = 'done' AND applied_by_job_id IS NULL \
             AND NOT EXISTS (SELECT 1 ",
            stale_changes!(),
            ")"
        ),
        &[text(dry_run_id), text(org_id), text(applied_by)],
    )
}

pub fn applied_by_this<'a>(dry_run_id: &'a str, applied_by: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM import_jobs WHERE id = ? AND applied_by_job_id = ?)",
        args: vec![text(dry_run_id), text(applied_by)],
    }
}

/// True while the contact of line `line` of the dry run is as the dry run saw them: an apply's
/// write of that row is guarded by it, so a contact changed after the apply started is not
/// overwritten either.
pub fn unchanged_since_dry_run<'a>(dry_run_id: &'a str, line: i64) -> Guard<'a> {
    Guard {
        sql: concat!(
            "EXISTS (SELECT 1 FROM import_results r JOIN guardians g ON g.id = r.contact_id JOIN families f ON f.id = g.family_id \
             WHERE r.job_id = ? AND r.line = ? AND r.fingerprint = ",
            fingerprint!(),
            ")"
        ),
        args: vec![text(dry_run_id), int(line)],
    }
}
