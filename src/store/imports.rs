//! Portal-access imports: jobs, their chunks of rows, and one result per row.

use super::{flag, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::time::Timestamp;
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
}

pub const FIND_JOB: &str = "SELECT id, org_id, staff_id, staff_email, dry_run, status, total, error, created_at, finished_at \
     FROM import_jobs WHERE id = ?1";

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
}

pub fn insert_job(db: &Db, job: &NewJob<'_>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO import_jobs (id, org_id, staff_id, staff_email, dry_run, status, total, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7)",
        &[
            text(job.id),
            text(job.org_id),
            text(job.staff_id),
            text(job.staff_email),
            flag(job.dry_run),
            int(job.total),
            int(now.millis()),
        ],
    )
}

pub fn insert_chunk(db: &Db, job_id: &str, chunk: i64, rows_json: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO import_chunks (job_id, chunk, rows) VALUES (?1, ?2, ?3)",
        &[text(job_id), int(chunk), text(rows_json)],
    )
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
}

/// Six values a row, so that a statement stays within D1's 100 bound values.
const RESULTS_PER_STATEMENT: usize = 16;

pub fn insert_results(db: &Db, job_id: &str, results: &[RowResult<'_>]) -> ApiResult<Vec<D1PreparedStatement>> {
    results
        .chunks(RESULTS_PER_STATEMENT)
        .map(|part| {
            let mut args = Vec::with_capacity(part.len() * 6);
            for r in part {
                args.extend([
                    text(job_id),
                    int(r.line),
                    text(r.contact_id),
                    text(r.outcome),
                    opt_text(r.action),
                    opt_text(r.message),
                ]);
            }
            let values = vec!["(?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
            db.stmt(
                &format!(
                    "INSERT INTO import_results (job_id, line, contact_id, outcome, action, message) VALUES {values} \
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
