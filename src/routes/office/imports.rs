//! Bulk portal access in the Office Portal: the contacts report (CSV), the import of an edited
//! report, and the import's progress.

use crate::http::{json, Bytes, DryRun, OptionalJson, Path, Query, Staff};
use portal_core::ids::ImportJobId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::commands::imports::{self, ReportFilter, Uploader};
use portal_core::bulk::{parse_import, parse_yes_no, MAX_IMPORT_BYTES};
use crate::http::{response, Response};

/// `?has_customer=&has_portal_access=&family=`: which contacts the report lists.
#[derive(Deserialize)]
pub struct ReportQuery {
    has_customer: Option<String>,
    has_portal_access: Option<String>,
    family: Option<String>,
}

/// `yes`, `no`, or absent (or empty): not filtered.
fn yes_no(value: Option<&str>, name: &'static str) -> ApiResult<Option<bool>> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| parse_yes_no(v).ok_or_else(|| ApiError::invalid_field(name, format!("{name} must be yes or no."))))
        .transpose()
}

pub async fn report(app: Rc<App>, staff: Staff, Query(query): Query<ReportQuery>) -> ApiResult<Response> {
    let app = &*app;
    let has_customer = yes_no(query.has_customer.as_deref(), "has_customer")?;
    let has_access = yes_no(query.has_portal_access.as_deref(), "has_portal_access")?;
    let family = query.family.filter(|f| !f.trim().is_empty());
    if family.as_ref().is_some_and(|f| f.chars().count() > 100) {
        return Err(ApiError::invalid_field("family", "family must be at most 100 characters."));
    }
    let filter = ReportFilter { has_customer, has_portal_access: has_access, family_name: family.as_deref().map(str::trim) };
    let csv = imports::report_csv(app, &staff.org.id, filter).await?;
    response::with_headers(
        200,
        &csv,
        &[
            ("content-type", "text/csv; charset=utf-8"),
            ("content-disposition", "attachment; filename=\"portal-access.csv\""),
            ("cache-control", "no-store"),
        ],
    )
}

#[derive(Deserialize)]
pub struct UploadQuery {
    update_matching: Option<String>,
}

/// Takes the edited report: the whole file is checked (size, encoding, CSV, columns) before
/// anything is stored; then 202 with the job, which the queue carries out.
pub async fn upload(
    app: Rc<App>,
    staff: Staff,
    Query(query): Query<UploadQuery>,
    DryRun(dry_run): DryRun,
    Bytes(bytes): Bytes<MAX_IMPORT_BYTES>,
) -> ApiResult<Response> {
    let app = &*app;
    if !matches!(query.update_matching.as_deref(), None | Some("true")) {
        return Err(ApiError::invalid_field(
            "update_matching",
            "Only update_matching=true is supported: the import updates the contacts it matches and creates none.",
        ));
    }
    let rows = parse_import(&bytes)?;
    let total = rows.len();
    let job_id = imports::start(app, &uploader(&staff), rows, dry_run).await?;
    json(202, &Queued { dry_run, job_id: &job_id, status: "queued", total })
}

/// An upload's answer: the job to follow. (Fields by name: the order the JSON has always had.)
#[derive(Serialize)]
struct Queued<'a> {
    dry_run: bool,
    job_id: &'a str,
    status: &'static str,
    total: usize,
}

fn uploader(staff: &Staff) -> Uploader<'_> {
    Uploader { org_id: &staff.org.id, staff_id: &staff.id, staff_email: &staff.email }
}

pub async fn show(app: Rc<App>, staff: Staff, Path(job_id): Path<ImportJobId>) -> ApiResult<Response> {
    let app = &*app;
    let job = imports::find_job(app, &staff.org.id, &job_id).await?;
    json(200, &imports::job_view(app, &job).await?)
}

/// Applying a dry run takes nothing but its id: no body, or `{}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {}

/// Finish: applies a finished dry run's changes as a new job; 202 with the job to follow.
pub async fn apply(app: Rc<App>, staff: Staff, Path(job_id): Path<ImportJobId>, OptionalJson(_): OptionalJson<ApplyBody>) -> ApiResult<Response> {
    let job_id = imports::apply(&app, &uploader(&staff), &job_id).await?;
    json(202, &Applied { job_id: &job_id })
}

#[derive(Serialize)]
struct Applied<'a> {
    job_id: &'a str,
}
