//! Bulk portal access in the Office Portal: the contacts report (CSV), the import of an edited
//! report, and the import's progress.

use super::authenticate;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::object;
use crate::http::{json, query_param, read_body};
use crate::commands::imports::{self, Uploader};
use crate::store::imports as store;
use portal_core::bulk::{parse_import, parse_yes_no, MAX_IMPORT_BYTES};
use worker::{Headers, Request, Response};

/// `?name=yes|no`, or absent.
fn yes_no_param(req: &Request, name: &str) -> ApiResult<Option<bool>> {
    query_param(req, name)
        .filter(|v| !v.is_empty())
        .map(|v| parse_yes_no(&v).ok_or_else(|| ApiError::invalid_field(format!("{name} must be yes or no."))))
        .transpose()
}

pub async fn report(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let has_customer = yes_no_param(&req, "has_customer")?;
    let has_access = yes_no_param(&req, "has_portal_access")?;
    let family = query_param(&req, "family").filter(|f| !f.trim().is_empty());
    if family.as_ref().is_some_and(|f| f.chars().count() > 100) {
        return Err(ApiError::invalid_field("family must be at most 100 characters."));
    }
    let csv = imports::report_csv(app, &staff.org_id, has_customer, has_access, family.as_deref().map(str::trim)).await?;
    let headers = Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set("content-disposition", "attachment; filename=\"portal-access.csv\"")?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_bytes(csv)?.with_headers(headers))
}

/// Takes the edited report: the whole file is checked (size, encoding, CSV, columns) before
/// anything is stored; then 202 with the job, which the queue carries out.
pub async fn upload(app: &App, mut req: Request, org: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    if !matches!(query_param(&req, "update_matching").as_deref(), None | Some("true" | "1" | "yes")) {
        return Err(ApiError::invalid_field(
            "Only update_matching=true is supported: the import updates the contacts it matches and creates none.",
        ));
    }
    let dry_run = super::is_dry_run(&req);
    let bytes = read_body(&mut req, MAX_IMPORT_BYTES).await?;
    let rows = parse_import(&bytes)?;
    let total = rows.len();
    let uploader = Uploader { org_id: &staff.org_id, staff_id: &staff.id, staff_email: &staff.email };
    let job_id = imports::start(app, &uploader, rows, dry_run).await?;
    json(202, &object!({ "job_id": job_id, "status": "queued", "total": total, "dry_run": dry_run }))
}

pub async fn show(app: &App, req: Request, org: &str, job_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let job = store::find_job(&app.db, job_id)
        .await?
        .filter(|j| j.org_id == staff.org_id)
        .ok_or_else(|| ApiError::not_found("import_not_found", "No import with that id."))?;
    json(200, &imports::job_json(app, &job).await?)
}
