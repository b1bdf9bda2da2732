//! My Account, Future Absences: Create Future Absence By Date (days, or a few hours on one day),
//! Create Future Absence By Enrollment (one class on one date), and Cancel. They call
//! `commands::absences`, as the JSON API does; times typed here are the organization's local time.

use super::frame::*;
use crate::app::App;
use crate::commands::absences::NewAbsenceInput;
use crate::commands::enrollments::EnrollmentView;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Customer, Form, OrgSlug, Path, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use chrono::{NaiveDate, NaiveTime};
use portal_core::enrollment::EnrollmentStatus;
use portal_core::ids::{AbsenceId, EnrollmentId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/students/:student_id/absences/by-date", get(by_date_page).post(by_date))
        .route("/portal/:org/account/students/:student_id/absences/by-enrollment", get(by_enrollment_page).post(by_enrollment))
        .route("/portal/:org/account/absences/:absence_id/cancel", post(cancel))
}

const DATE_FIELDS: &[&str] = &["from_date", "from_time", "to_date", "to_time", "reason"];
const ENROLLMENT_FIELDS: &[&str] = &["enrollment_id", "date", "reason"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ByDateForm {
    from_date: String,
    from_time: String,
    to_date: String,
    to_time: String,
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ByEnrollmentForm {
    enrollment_id: String,
    date: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "portal/absence_form.html")]
pub struct AbsencePage {
    chrome: Chrome,
    student_name: String,
    action: String,
    by_date: Option<ByDateForm>,
    by_enrollment: Option<ByEnrollmentForm>,
    enrollments: Vec<EnrollmentView>,
    time_zone: &'static str,
    errors: Errors,
}

impl AbsencePage {
    fn title(&self) -> &'static str {
        if self.by_date.is_some() { "Create Future Absence By Date" } else { "Create Future Absence By Enrollment" }
    }
    fn chose(&self, id: &str) -> bool {
        self.by_enrollment.as_ref().is_some_and(|f| f.enrollment_id == id)
    }
}

/// The page of either form (`by_date` or `by_enrollment` set), after the checks every write makes.
async fn page(app: &App, me: &Customer, chrome: Chrome, student_id: &StudentId, by_date: Option<ByDateForm>, by_enrollment: Option<ByEnrollmentForm>, errors: Errors) -> ApiResult<Response> {
    let family = me.family();
    if !me.options.allow_future_absences {
        return Err(portal_core::absence::AbsenceError::Disabled.into());
    }
    let student = family.student(app, student_id).await?;
    let kind = if by_date.is_some() { "by-date" } else { "by-enrollment" };
    let enrollments = family.student_enrollments(app, &student.id).await?.current.into_iter().filter(|e| e.status == EnrollmentStatus::Active).collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.with_errors(&errors);
    let page = AbsencePage {
        chrome: chrome.clone(),
        student_name: student.full_name(),
        action: format!("/portal/{}/account/students/{}/absences/{kind}", chrome.org, student.id),
        by_date,
        by_enrollment,
        enrollments,
        time_zone: me.options.time_zone.name(),
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn by_date_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    page(&app, &me, chrome, &id, Some(ByDateForm::default()), None, Errors::default()).await
}

pub async fn by_enrollment_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    page(&app, &me, chrome, &id, None, Some(ByEnrollmentForm::default()), Errors::default()).await
}

/// A local date and time typed on the form, as an RFC 3339 instant (None: not a date and time).
fn local(me: &Customer, date: &str, time: &str, default: NaiveTime) -> Option<String> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let time = if time.trim().is_empty() { default } else { NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()? };
    Some(me.options.time_zone.local_to_utc(date, time).to_rfc3339())
}

pub async fn by_date(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>, Form(form): Form<ByDateForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    let from = local(&me, &form.from_date, &form.from_time, NaiveTime::MIN);
    // Without an end time, the whole last day.
    let to_date = if form.to_date.trim().is_empty() { &form.from_date } else { &form.to_date };
    let to = match (form.to_time.trim().is_empty(), NaiveDate::parse_from_str(to_date.trim(), "%Y-%m-%d")) {
        (true, Ok(day)) => day.succ_opt().map(|next| me.options.time_zone.start_of_day(next).to_rfc3339()),
        _ => local(&me, to_date, &form.to_time, NaiveTime::MIN),
    };
    match (&from, &to) {
        (None, _) => errors.field("from_date", "Enter the first day of the absence, like 2026-03-09, and a time like 16:30 if only a few hours."),
        (_, None) => errors.field("to_date", "Enter the last day of the absence, like 2026-03-13, and a time like 18:00 if only a few hours."),
        (Some(from), Some(to)) => {
            let input = NewAbsenceInput::Date { from: from.clone(), to: to.clone(), reason: Some(form.reason.clone()) };
            match me.family().report_absence(&app, &me.options, &id, input).await {
                Ok(_) => return back_to_account(&org, "your-students", Flash::AbsenceCreated),
                Err(e) if e.status == 403 || e.status == 404 => return Err(e),
                Err(e) => {
                    let e = match e.field.as_deref() {
                        Some("from") => e.at("from_date"),
                        Some("to") => e.at("to_date"),
                        _ => e,
                    };
                    errors.refusal(e, DATE_FIELDS)?
                }
            }
        }
    }
    page(&app, &me, chrome, &id, Some(form), None, errors).await
}

pub async fn by_enrollment(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>, Form(form): Form<ByEnrollmentForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    if form.enrollment_id.is_empty() {
        errors.field("enrollment_id", "Choose a class.");
    }
    if form.date.trim().is_empty() {
        errors.field("date", "Enter the date of the class the student will miss, like 2026-03-09.");
    }
    if errors.is_empty() {
        let input = NewAbsenceInput::Enrollment {
            enrollment_id: EnrollmentId(form.enrollment_id.clone()),
            date: form.date.trim().to_string(),
            reason: Some(form.reason.clone()),
        };
        match me.family().report_absence(&app, &me.options, &id, input).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::AbsenceCreated),
            Err(e) if e.status == 403 || e.code == ErrorCode::StudentNotFound => return Err(e),
            Err(e) => {
                let e = if e.status == 404 { ApiError::invalid_field("enrollment_id", e.message.clone()) } else { e };
                errors.refusal(e, ENROLLMENT_FIELDS)?
            }
        }
    }
    page(&app, &me, chrome, &id, None, Some(form), errors).await
}

pub async fn cancel(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<AbsenceId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    me.family().cancel_absence(&app, &me.options, &id).await?;
    back_to_account(&org, "your-students", Flash::AbsenceCancelled)
}
