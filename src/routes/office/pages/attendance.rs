//! The attendance sheet of a class meeting: pick a date, then mark everyone in one form (present,
//! absent, excused), with the future absences families reported. Reached from a family's Students
//! tab (each enrollment's class). The same commands as `/office/{org}/api/classes/{id}/attendance`.

use super::frame::*;
use crate::app::App;
use crate::commands::attendance::{self, parse_date, MarkInput, Sheet};
use crate::error::{ApiError, ApiResult};
use crate::http::{get, Form, OrgSlug, Path, Query, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::attendance::AttendanceStatus;
use portal_core::ids::{ClassId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org/classes/:class_id/attendance", get(sheet_page).post(mark))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DateQuery {
    date: String,
}

#[derive(Template)]
#[template(path = "office/attendance.html")]
pub struct SheetPage {
    chrome: Chrome,
    class_id: ClassId,
    date: String,
    /// None: the class does not meet that day (the message is in `errors`).
    sheet: Option<Sheet>,
    statuses: [AttendanceStatus; 3],
    errors: Errors,
}

async fn show(app: &App, staff: &crate::http::Staff, chrome: Chrome, class_id: ClassId, date: String, mut errors: Errors) -> ApiResult<Response> {
    let sheet = match parse_date(&date, "date") {
        Ok(day) => match attendance::sheet(app, &staff.org, &class_id, day).await {
            Ok(sheet) => Some(sheet),
            Err(e) if e.status == 404 => return Err(e),
            Err(e) => {
                errors.refusal(e, &["date"])?;
                None
            }
        },
        Err(e) => {
            errors.refusal(e, &["date"])?;
            None
        }
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = SheetPage { chrome: chrome.clone(), class_id, date, sheet, statuses: AttendanceStatus::ALL, errors };
    respond(status, &page, &chrome)
}

pub async fn sheet_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(class_id): Path<ClassId>,
    Query(q): Query<DateQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let date = if q.date.is_empty() { attendance::org_today(&app, &staff.org).await?.to_string() } else { q.date };
    show(&app, &staff, chrome, class_id, date, Errors::default()).await
}

/// The form: `date`, and `status-{student_id}` for each student marked (unmarked ones are left).
pub async fn mark(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(class_id): Path<ClassId>,
    Form(fields): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let date = fields.iter().find(|(k, _)| k == "date").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut records = Vec::new();
    for (key, value) in &fields {
        let Some(student) = key.strip_prefix("status-") else { continue };
        let status = AttendanceStatus::ALL.into_iter().find(|s| s.as_str() == value);
        let status = status.ok_or_else(|| ApiError::bad_request(crate::error::ErrorCode::MalformedForm, "The form could not be read. Go back to the page and try again."))?;
        records.push(MarkInput { student_id: StudentId(student.to_string()), status });
    }
    let mut errors = Errors::default();
    match parse_date(&date, "date") {
        Ok(day) => match attendance::mark(&app, &staff.org, &staff.actor().label, &class_id, day, &records).await {
            Ok(_) => return redirect_with(&org, &format!("classes/{class_id}/attendance?date={day}"), Flash::AttendanceSaved),
            Err(e) if e.status == 404 => return Err(e),
            Err(e) => errors.refusal(e, &["date"])?,
        },
        Err(e) => errors.refusal(e, &["date"])?,
    }
    show(&app, &staff, chrome, class_id, date, errors).await
}
