//! Bulk portal access: the contacts report as CSV, and the import that applies an edited report
//! through the queue, a chunk of rows at a time, with one result per row and a summary e-mail.

use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use crate::store::families::{self};
use crate::store::imports::{self as store, JobRow, NewJob, RowResult, KIND_IMPORT_CHUNK};
use crate::store::outbox::{self};
use portal_core::access::{AccessState, AccessStatus};
use portal_core::bulk::{self, write_report, ImportRow, ReportLine};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The contacts report, filtered by "has customer", "has access to portal" and family name.
pub async fn report_csv(
    app: &App,
    org_id: &str,
    has_customer: Option<bool>,
    has_portal_access: Option<bool>,
    family_name: Option<&str>,
) -> ApiResult<Vec<u8>> {
    // Every contact here belongs to a customer (a family): "has customer = No" is an empty report.
    let rows = if has_customer == Some(false) {
        Vec::new()
    } else {
        families::contacts_report(&app.db, org_id, family_name).await?
    };
    let lines = rows.iter().filter_map(|r| {
        let access = has_access(r.access_state, r.invitation_expires_at, app.now());
        has_portal_access.is_none_or(|wanted| wanted == access).then_some(ReportLine {
            contact_id: &r.id,
            customer_id: &r.family_id,
            first_name: &r.first_name,
            last_name: &r.last_name,
            customer_name: &r.family_name,
            has_access: access,
        })
    });
    write_report(lines).map_err(ApiError::internal)
}

#[derive(Serialize, Deserialize)]
pub struct ChunkJob {
    pub job_id: String,
    pub chunk: i64,
}

/// Stores the parsed rows in chunks and queues one job per chunk; answers at once.
/// Who uploaded an import: they are its actor and get its summary.
pub struct Uploader<'a> {
    pub org_id: &'a str,
    pub staff_id: &'a str,
    pub staff_email: &'a str,
}

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
        },
        app.now(),
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
        })
        .collect();
    statements.extend(store::insert_results(&app.db, &job_id, &repeats)?);
    let mut outbox_ids = Vec::new();
    for (i, part) in rows.chunks(ROWS_PER_CHUNK).enumerate() {
        let rows_json = serde_json::to_string(part).map_err(ApiError::internal)?;
        statements.push(store::insert_chunk(&app.db, &job_id, i as i64, &rows_json)?);
        let payload = serde_json::to_string(&ChunkJob { job_id: job_id.clone(), chunk: i as i64 }).map_err(ApiError::internal)?;
        let row = outbox::insert(&app.db, Some(staff.org_id), KIND_IMPORT_CHUNK, &payload, app.now(), None)?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    app.commit(statements, &outbox_ids).await?;
    Ok(job_id)
}

/// The most rows of each kind (changes, errors) one status answer lists.
pub const MAX_LISTED: i64 = 1000;

pub async fn job_json(app: &App, job: &JobRow) -> ApiResult<Value> {
    let counts = store::counts(&app.db, &job.id).await?;
    let listed = |rows: Vec<store::ResultRow>, with_action: bool| -> Vec<Value> {
        rows.into_iter()
            .map(|r| {
                if with_action {
                    json!({ "row": r.line, "contact_id": r.contact_id, "action": r.action })
                } else {
                    json!({ "row": r.line, "contact_id": r.contact_id, "message": r.message })
                }
            })
            .collect()
    };
    Ok(json!({
        "id": job.id,
        "status": job.status,
        "dry_run": job.dry_run != 0,
        "total": job.total,
        "processed": counts.updated + counts.unchanged + counts.errors,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "errors": listed(store::results(&app.db, &job.id, "error", MAX_LISTED).await?, false),
        "changes": listed(store::results(&app.db, &job.id, "updated", MAX_LISTED).await?, true),
        "error": job.error,
        "created_at": Timestamp(job.created_at).to_rfc3339(),
        "finished_at": job.finished_at.map(|t| Timestamp(t).to_rfc3339()),
    }))
}
