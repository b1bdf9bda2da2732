//! Bulk portal access: the contacts report as CSV, and the import that applies an edited report
//! through the queue, a chunk of rows at a time, with one result per row and a summary e-mail.

use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::families::{self};
use crate::store::imports::{self as store, JobRow, NewJob, RowResult, KIND_IMPORT_CHUNK};
use crate::store::outbox::{self};
use crate::store::{won, Guard};
use portal_core::access::{AccessState, AccessStatus};
use portal_core::bulk::{self, may_apply, write_report, ApplyError, DryRunFacts, ImportRow, ReportLine, STALE_NAMED};
use portal_core::ids::ImportJobId;
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Rows per queue job: small enough for one invocation's CPU and D1 budget, large enough that a
/// 10,000-row file is 40 jobs.
pub const ROWS_PER_CHUNK: usize = 250;

/// The report's "Yes": the contact can log in or holds a live invitation. Import compares with the
/// same rule, so exporting and importing an unedited report changes nothing.
pub fn has_access(state: AccessState, invitation_expires_at: Option<i64>, now: Timestamp) -> bool {
    matches!(
        AccessStatus::of(state, invitation_expires_at.map(Timestamp), now),
        AccessStatus::CanLogIn | AccessStatus::InviteSent
    )
}

/// Which contacts the report lists: "Has Customer", "Has Access To Portal" (each yes, no or not
/// filtered) and a family name.
#[derive(Clone, Copy, Default)]
pub struct ReportFilter<'a> {
    pub has_customer: Option<bool>,
    pub has_portal_access: Option<bool>,
    pub family_name: Option<&'a str>,
}

/// One contact of the report, as its columns say it.
pub struct ReportContact {
    pub contact_id: String,
    pub customer_id: String,
    pub first_name: String,
    pub last_name: String,
    pub customer_name: String,
    pub has_access: bool,
}

impl ReportContact {
    fn line(&self) -> ReportLine<'_> {
        ReportLine {
            contact_id: &self.contact_id,
            customer_id: &self.customer_id,
            first_name: &self.first_name,
            last_name: &self.last_name,
            customer_name: &self.customer_name,
            has_access: self.has_access,
        }
    }
}

/// The contacts report: what the Reports page shows and the CSV export holds.
pub async fn report(app: &App, org_id: &str, filter: ReportFilter<'_>) -> ApiResult<Vec<ReportContact>> {
    // Every contact here belongs to a customer (a family): "has customer = No" is an empty report.
    if filter.has_customer == Some(false) {
        return Ok(Vec::new());
    }
    let rows = families::contacts_report(&app.db, org_id, filter.family_name).await?;
    let now = app.now();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let access = has_access(r.access_state, r.invitation_expires_at, now);
            filter.has_portal_access.is_none_or(|wanted| wanted == access).then_some(ReportContact {
                contact_id: r.id,
                customer_id: r.family_id,
                first_name: r.first_name,
                last_name: r.last_name,
                customer_name: r.family_name,
                has_access: access,
            })
        })
        .collect())
}

/// The contacts report as the CSV file staff export, edit and import again.
pub async fn report_csv(app: &App, org_id: &str, filter: ReportFilter<'_>) -> ApiResult<Vec<u8>> {
    let contacts = report(app, org_id, filter).await?;
    write_report(contacts.iter().map(ReportContact::line)).map_err(ApiError::internal)
}

/// The queue job of one chunk of an import's rows.
#[derive(Serialize, Deserialize)]
pub struct ChunkJob {
    pub job_id: String,
    pub chunk: i64,
}

/// The queue job of a finished import's summary e-mail.
#[derive(Serialize, Deserialize)]
pub struct SummaryJob {
    pub job_id: String,
}

/// Who uploaded an import (or applied a dry run): they are its actor and get its summary.
pub struct Uploader<'a> {
    pub org_id: &'a str,
    pub staff_id: &'a str,
    pub staff_email: &'a str,
}

/// Stores the parsed rows in chunks and queues one job per chunk; answers at once.
pub async fn start(app: &App, staff: &Uploader<'_>, rows: Vec<ImportRow>, dry_run: bool) -> ApiResult<String> {
    let job_id = new_id("imp")?;
    let mut statements = vec![store::insert_job(
        &app.db,
        &NewJob {
            id: &job_id,
            org_id: staff.org_id,
            staff_id: staff.staff_id,
            staff_email: staff.staff_email,
            dry_run,
            total: rows.len() as i64,
            dry_run_job_id: None,
        },
        app.now(),
        None,
    )?];
    // A contact listed twice: its later lines are errors, known before any chunk runs.
    let repeated = bulk::repeated_contacts(&rows);
    let repeats: Vec<RowResult<'_>> = rows
        .iter()
        .filter(|r| repeated.contains(&r.line))
        .map(|r| RowResult {
            line: r.line as i64,
            contact_id: &r.contact_id,
            outcome: "error",
            action: None,
            message: Some("This contact is listed more than once; only its first line is applied."),
            fingerprint: None,
        })
        .collect();
    statements.extend(store::insert_results(&app.db, &job_id, &repeats)?);
    let outbox_ids = queue_chunks(app, staff.org_id, &job_id, &rows, || None, &mut statements)?;
    app.commit(statements, &outbox_ids).await?;
    Ok(job_id)
}

/// Adds a job's rows, a chunk at a time, and one queue job per chunk, to the batch (each statement
/// under `guard`); the outbox ids to hand to the queue once it is committed. At least one chunk, so
/// that a job with no rows finishes too (and sends its summary).
fn queue_chunks<'a, T: Serialize>(
    app: &App,
    org_id: &str,
    job_id: &str,
    rows: &[T],
    guard: impl Fn() -> Option<Guard<'a>>,
    statements: &mut Vec<worker::D1PreparedStatement>,
) -> ApiResult<Vec<String>> {
    let chunks: Vec<&[T]> = if rows.is_empty() { vec![rows] } else { rows.chunks(ROWS_PER_CHUNK).collect() };
    let mut outbox_ids = Vec::with_capacity(chunks.len());
    for (i, part) in chunks.into_iter().enumerate() {
        let rows_json = serde_json::to_string(part).map_err(ApiError::internal)?;
        statements.push(store::insert_chunk(&app.db, job_id, i as i64, &rows_json, guard())?);
        let payload = serde_json::to_string(&ChunkJob { job_id: job_id.to_string(), chunk: i as i64 }).map_err(ApiError::internal)?;
        let row = outbox::insert(&app.db, Some(org_id), KIND_IMPORT_CHUNK, &payload, app.now(), guard())?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    Ok(outbox_ids)
}

/// An import of this organization; another organization's is not found.
pub async fn find_job(app: &App, org_id: &str, job_id: &str) -> ApiResult<JobRow> {
    store::find_job(&app.db, job_id)
        .await?
        .filter(|j| j.org_id == org_id)
        .ok_or_else(|| ApiError::not_found(ErrorCode::ImportNotFound, "No import with that id."))
}

/// Finish on the confirmation page: applies a finished dry run's changes, exactly those, as a new
/// job (followed like any import), without the file again. Refused while the dry run is unfinished
/// or already applied, and when a contact it would change has changed since it ran (access, name,
/// family or e-mail): then nothing is applied. The new job's id.
pub async fn apply(app: &App, staff: &Uploader<'_>, dry_run_id: &str) -> ApiResult<String> {
    let dry_run = find_job(app, staff.org_id, dry_run_id).await?;
    may_apply(&facts(&dry_run))?;
    refuse_if_stale(app, &dry_run).await?;
    let changes = store::planned_changes(&app.db, &dry_run.id).await?;

    let job_id = new_id("imp")?;
    let guard = || Some(store::applied_by_this(&dry_run.id, &job_id));
    let mut statements = vec![
        store::claim_dry_run(&app.db, &dry_run.id, staff.org_id, &job_id)?,
        store::insert_job(
            &app.db,
            &NewJob {
                id: &job_id,
                org_id: staff.org_id,
                staff_id: staff.staff_id,
                staff_email: staff.staff_email,
                dry_run: false,
                total: changes.len() as i64,
                dry_run_job_id: Some(&dry_run.id),
            },
            app.now(),
            guard(),
        )?,
    ];
    let outbox_ids = queue_chunks(app, staff.org_id, &job_id, &changes, guard, &mut statements)?;
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        // Another Finish won, or a contact changed since the checks above: say which.
        let now = find_job(app, staff.org_id, &dry_run.id).await?;
        may_apply(&facts(&now))?;
        refuse_if_stale(app, &now).await?;
        return Err(ApiError::internal("an apply lost its claim on a dry run for no reason found"));
    }
    app.enqueue(&outbox_ids).await;
    Ok(job_id)
}

fn facts(job: &JobRow) -> DryRunFacts<'_> {
    DryRunFacts { dry_run: job.dry_run != 0, status: &job.status, applied_by: job.applied_by_job_id.as_deref() }
}

/// 409 `import_stale`, naming the first few, if a contact the dry run would change has changed since it ran.
async fn refuse_if_stale(app: &App, dry_run: &JobRow) -> ApiResult<()> {
    let stale = store::stale(&app.db, &dry_run.id, &dry_run.org_id, STALE_NAMED as i64).await?;
    match stale.first() {
        None => Ok(()),
        Some(first) => {
            let count = usize::try_from(first.count).unwrap_or(stale.len());
            Err(ApplyError::Stale { count, contacts: stale.into_iter().map(|s| s.contact_id).collect() }.into())
        }
    }
}

/// The most rows of each kind (changes, errors) one status answer lists.
pub const MAX_LISTED: i64 = 1000;

/// An import job as its status answer shows it. Fields in alphabetical order: the JSON the API has
/// always answered.
#[derive(Serialize)]
pub struct ImportJob {
    /// A dry run: the job that applied it, if one has.
    pub applied_by_job_id: Option<ImportJobId>,
    /// The rows that changed a contact's access (or would, in a dry run).
    pub changes: Vec<ImportChange>,
    pub created_at: String,
    pub dry_run: bool,
    /// An apply: the dry run it applies.
    pub dry_run_job_id: Option<ImportJobId>,
    /// Why the whole job failed, if it did.
    pub error: Option<String>,
    /// The rows that could not be applied, each with why.
    pub errors: Vec<ImportRowError>,
    pub finished_at: Option<String>,
    pub id: ImportJobId,
    pub processed: i64,
    pub status: String,
    pub total: i64,
    pub unchanged: i64,
    pub updated: i64,
}

#[derive(Serialize)]
pub struct ImportChange {
    pub action: Option<String>,
    pub contact_id: Option<String>,
    pub row: i64,
}

#[derive(Serialize)]
pub struct ImportRowError {
    pub contact_id: Option<String>,
    pub message: Option<String>,
    pub row: i64,
}

pub async fn job_view(app: &App, job: &JobRow) -> ApiResult<ImportJob> {
    let counts = store::counts(&app.db, &job.id).await?;
    let errors = store::results(&app.db, &job.id, "error", MAX_LISTED).await?;
    let changes = store::results(&app.db, &job.id, "updated", MAX_LISTED).await?;
    Ok(ImportJob {
        applied_by_job_id: job.applied_by_job_id.clone().map(ImportJobId),
        changes: changes.into_iter().map(|r| ImportChange { action: r.action, contact_id: r.contact_id, row: r.line }).collect(),
        created_at: Timestamp(job.created_at).to_rfc3339(),
        dry_run: job.dry_run != 0,
        dry_run_job_id: job.dry_run_job_id.clone().map(ImportJobId),
        error: job.error.clone(),
        errors: errors.into_iter().map(|r| ImportRowError { contact_id: r.contact_id, message: r.message, row: r.line }).collect(),
        finished_at: job.finished_at.map(|t| Timestamp(t).to_rfc3339()),
        id: ImportJobId(job.id.clone()),
        processed: counts.updated + counts.unchanged + counts.errors,
        status: job.status.clone(),
        total: job.total,
        unchanged: counts.unchanged,
        updated: counts.updated,
    })
}

/// The names of the contacts a job lists (its changes and row errors), by contact id: the
/// confirmation page says who gets access and who loses it, not only their ids.
pub async fn contact_names(app: &App, org_id: &str, job: &ImportJob) -> ApiResult<std::collections::HashMap<String, String>> {
    let ids: Vec<&str> = job
        .changes
        .iter()
        .filter_map(|c| c.contact_id.as_deref())
        .chain(job.errors.iter().filter_map(|e| e.contact_id.as_deref()))
        .collect();
    let mut names = std::collections::HashMap::new();
    for part in ids.chunks(families::IDS_PER_QUERY) {
        for g in families::guardians_by_ids(&app.db, org_id, part).await? {
            names.insert(g.id, format!("{} {}", g.first_name, g.last_name));
        }
    }
    Ok(names)
}
