//! My Account, Your Student(s), Makeups in the `requests` mode: the Request a Makeup page (a class,
//! a date and a reason for one student). It calls `commands::makeup_requests`, as the JSON API
//! does; the section on the account page is `commands::makeup_requests::MakeupRequestsSection`.

use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self as enrollments, ClassView, Family};
use crate::error::{ApiResult, ErrorCode};
use crate::http::{get, Form, OrgSlug, Path, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::ids::{ClassId, StudentId};
use portal_core::makeup_request::may_request;
use portal_core::settings::PortalOptions;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/account/students/:student_id/makeup-requests", get(request_page).post(request))
}

const FIELDS: &[&str] = &["class_id", "date", "reason"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MakeupForm {
    class_id: String,
    date: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "portal/makeup_request.html")]
pub struct MakeupRequestPage {
    chrome: Chrome,
    student_id: StudentId,
    student: String,
    classes: Vec<ClassView>,
    form: MakeupForm,
    errors: Errors,
}

/// Offered only in the `requests` mode and to a guardian who may manage (else the page says why).
fn may_ask(family: &Family<'_>, options: &PortalOptions) -> ApiResult<()> {
    may_request(options.makeups)?;
    family.may_manage_visits()
}

async fn request_form(app: &App, family: &Family<'_>, chrome: Chrome, student_id: StudentId, form: MakeupForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let student = family.student(app, &student_id).await?;
    let page = MakeupRequestPage {
        chrome: chrome.clone().with_errors(&errors),
        student_id,
        student: student.full_name(),
        classes: enrollments::classes(app, family.org, true).await?,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn request_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    may_ask(&family, &me.options)?;
    request_form(&app, &family, chrome, id, MakeupForm::default(), Errors::default()).await
}

pub async fn request(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>, Form(form): Form<MakeupForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    let mut errors = visit_errors(&form.class_id, &form.date, "makeup");
    if errors.is_empty() {
        let class_id = ClassId(form.class_id.clone());
        match family.request_makeup(&app, &me.options, &id, &class_id, form.date.trim(), Some(&form.reason)).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::MakeupRequested),
            Err(e) if matches!(e.code, ErrorCode::ClassNotFound | ErrorCode::AlreadyEnrolled | ErrorCode::RequestPending) => {
                errors.refusal(e.at("class_id"), FIELDS)?
            }
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    request_form(&app, &family, chrome, id, form, errors).await
}
