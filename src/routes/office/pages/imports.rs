//! The bulk-access round trip as pages: the contacts report (filtered, shown, exported as CSV),
//! Contacts Import (upload with "Update matching data"), the Contacts Import Confirmation page
//! (the dry run's changes and row errors, then Finish, which applies exactly that dry run), and
//! the Import Progress page.

use super::frame::*;
use crate::app::App;
use crate::commands::imports::{self, ImportJob, ReportContact, ReportFilter, Uploader};
use crate::error::ApiResult;
use crate::http::response::policy_polling_self;
use crate::http::{get, post, see_other, Form, OrgSlug, Path, Query, Response, Router, Upload};
use crate::routes::pages::assets::IMPORT_PROGRESS_SCRIPT;
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::bulk::{parse_import, parse_yes_no, MAX_IMPORT_BYTES};
use portal_core::ids::ImportJobId;
use serde::Deserialize;
use std::collections::HashMap;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/reports", get(report_page))
        .route("/office/:org/import", get(import_page).post(upload))
        .route("/office/:org/import/:job_id", get(job_page))
        .route("/office/:org/import/:job_id/finish", post(finish))
}

// ---------------------------------------------------------------------------------------------
// The report.

/// The most contacts the page lists; the CSV export holds them all.
const REPORT_ROWS_SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "office/report.html")]
pub struct ReportPage {
    chrome: Chrome,
    query: ReportQuery,
    contacts: Vec<ReportContact>,
    total: usize,
    export_href: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    pub has_customer: String,
    pub has_portal_access: String,
    pub family: String,
}

impl ReportQuery {
    /// The filters as the report command takes them, each refusal beside its field.
    fn filter<'a>(&'a self, errors: &mut Errors) -> ReportFilter<'a> {
        let mut yes_no = |field: &'static str, value: &str| {
            if value.is_empty() {
                return None;
            }
            let parsed = parse_yes_no(value);
            if parsed.is_none() {
                errors.field(field, "Choose Yes, No or Any.");
            }
            parsed
        };
        let has_customer = yes_no("has_customer", &self.has_customer);
        let has_portal_access = yes_no("has_portal_access", &self.has_portal_access);
        let family = self.family.trim();
        if family.chars().count() > 100 {
            errors.field("family", "The family name must be at most 100 characters.");
        }
        ReportFilter { has_customer, has_portal_access, family_name: Some(family).filter(|f| !f.is_empty()) }
    }

    pub fn is(&self, field: &str, value: &str) -> bool {
        match field {
            "has_customer" => self.has_customer == value,
            _ => self.has_portal_access == value,
        }
    }
}

pub async fn report_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff, Query(query): Query<ReportQuery>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let mut errors = Errors::default();
    let filter = query.filter(&mut errors);
    let mut contacts = if errors.is_empty() { imports::report(&app, &staff.org.id, filter).await? } else { Vec::new() };
    let total = contacts.len();
    contacts.truncate(REPORT_ROWS_SHOWN);
    let mut export = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [("has_customer", &query.has_customer), ("has_portal_access", &query.has_portal_access), ("family", &query.family)] {
        if !value.trim().is_empty() {
            export.append_pair(name, value.trim());
        }
    }
    let export_href = format!("/office/{org}/api/reports/portal-access.csv?{}", export.finish());
    let chrome = chrome.at(Section::Reports).with_errors(&errors);
    let status = if errors.is_empty() { 200 } else { 422 };
    respond(status, &ReportPage { chrome: chrome.clone(), query, contacts, total, export_href, errors }, &chrome)
}

// ---------------------------------------------------------------------------------------------
// Contacts Import: the upload is always checked first (a dry run); Finish applies what was shown.

#[derive(Template)]
#[template(path = "office/import.html")]
pub struct ImportPage {
    chrome: Chrome,
    update_matching: bool,
    errors: Errors,
}

pub async fn import_page(OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (_, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Import);
    respond(200, &ImportPage { chrome: chrome.clone(), update_matching: true, errors: Errors::default() }, &chrome)
}

/// Checks the whole file as the API's upload does, then starts the dry run and shows its
/// confirmation page.
pub async fn upload(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, form: Upload<{ MAX_IMPORT_BYTES }>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    let update_matching = form.field("update_matching").is_some();
    if !update_matching {
        errors.field("update_matching", "Tick Update matching data: the import updates the contacts it matches and creates none.");
    }
    let rows = match &form.file {
        None => {
            errors.field("file", "Choose the edited report (a .CSV file).");
            None
        }
        Some(bytes) => match parse_import(bytes) {
            Ok(rows) => Some(rows),
            Err(e) => {
                errors.field("file", e.to_string());
                None
            }
        },
    };
    if let (Some(rows), true) = (rows, errors.is_empty()) {
        let uploader = Uploader { org_id: &staff.org.id, staff_id: &staff.id, staff_email: &staff.email };
        let job_id = imports::start(&app, &uploader, rows, true).await?;
        return see_other(&format!("/office/{org}/import/{job_id}"), &[]);
    }
    let chrome = chrome.at(Section::Import).with_errors(&errors);
    respond(422, &ImportPage { chrome: chrome.clone(), update_matching, errors }, &chrome)
}

// ---------------------------------------------------------------------------------------------
// The confirmation page (a dry run) and the progress page (an import being applied).

/// How often a page of an unfinished job reloads itself without JavaScript.
const REFRESH_SECONDS: u32 = 2;

#[derive(Template)]
#[template(path = "office/import_job.html")]
pub struct JobPage {
    chrome: Chrome,
    job: ImportJob,
    /// The listed contacts' names, by id.
    names: HashMap<String, String>,
    finished: bool,
    script: String,
    errors: Errors,
}

impl JobPage {
    /// "Bob Lee", or the id alone for a contact that is no longer there (or never was).
    pub fn who(&self, contact_id: &Option<String>) -> String {
        match contact_id {
            Some(id) => self.names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => String::new(),
        }
    }

    pub fn action_words(&self, action: &Option<String>) -> &'static str {
        match action.as_deref() {
            Some("revoke") => "Loses access to the portal",
            Some("invite") => "Gets access: an invitation is sent",
            _ => "Changes",
        }
    }
}

pub async fn job_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff, Path(job_id): Path<ImportJobId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let job = imports::find_job(&app, &staff.org.id, &job_id).await?;
    let job = imports::job_view(&app, &job).await?;
    let names = imports::contact_names(&app, &staff.org.id, &job).await?;
    render_job(job, names, chrome.at(Section::Import), Errors::default(), 200)
}

fn render_job(job: ImportJob, names: HashMap<String, String>, chrome: Chrome, errors: Errors, status: u16) -> ApiResult<Response> {
    let finished = matches!(job.status.as_str(), "done" | "failed");
    let chrome = chrome.with_errors(&errors);
    let page = JobPage { chrome: chrome.clone(), job, names, finished, script: IMPORT_PROGRESS_SCRIPT.url("office"), errors };
    let resp = respond(status, &page, &chrome)?;
    if !finished {
        // Without JavaScript the page follows the job by reloading itself; with it, the script
        // moves the bar between reloads.
        resp.headers().set("refresh", &REFRESH_SECONDS.to_string())?;
        resp.headers().set("content-security-policy", &policy_polling_self())?;
    }
    Ok(resp)
}

/// Finish: applies exactly the changes the confirmation page showed, as a new job, and goes to
/// its Import Progress page. A contact changed since the check refuses it (409 `import_stale`),
/// said on the confirmation page.
pub async fn finish(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(job_id): Path<ImportJobId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let uploader = Uploader { org_id: &staff.org.id, staff_id: &staff.id, staff_email: &staff.email };
    match imports::apply(&app, &uploader, &job_id).await {
        Ok(applied) => see_other(&format!("/office/{org}/import/{applied}"), &[]),
        Err(e) if e.status == 409 => {
            let mut errors = Errors::default();
            errors.refusal(e, &[])?;
            let job = imports::find_job(&app, &staff.org.id, &job_id).await?;
            let job = imports::job_view(&app, &job).await?;
            let names = imports::contact_names(&app, &staff.org.id, &job).await?;
            render_job(job, names, chrome.at(Section::Import), errors, 409)
        }
        Err(e) => Err(e),
    }
}
