//! My Account, Your Student(s): the student pages (Add Student, Edit Student, enroll, Drop,
//! Transfer, Cancel Waitlist). They call `commands::enrollments`, as the JSON API does, and read
//! its views; the section on the account page is `commands::enrollments::students_section`.

use crate::routes::pages::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self as commands, Ask, ClassView, EnrollmentView, Family};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Form, OrgSlug, Path, Query, Response, Router};
use askama::Template;
use portal_core::enrollment::EnrollmentStatus;
use portal_core::ids::{ClassId, EnrollmentId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

/// The student pages' routes.
pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/students/add", get(add_student_page).post(add_student))
        .route("/portal/:org/account/students/:student_id/edit", get(edit_student_page).post(edit_student))
        .route("/portal/:org/account/enrollments/enroll", get(enroll_page).post(enroll))
        .route(
            "/portal/:org/account/enrollments/:enrollment_id/drop",
            get(|app, org, me, id| request_page(app, org, me, id, Asking::Drop))
                .post(|app, org, me, id, form| send_request(app, org, me, id, form, Asking::Drop)),
        )
        .route(
            "/portal/:org/account/enrollments/:enrollment_id/transfer",
            get(|app, org, me, id| request_page(app, org, me, id, Asking::Transfer))
                .post(|app, org, me, id, form| send_request(app, org, me, id, form, Asking::Transfer)),
        )
        .route("/portal/:org/account/enrollments/:enrollment_id/cancel-waitlist", post(cancel_waitlist))
}

// ---------------------------------------------------------------------------------------------
// Add Student, Edit Student.

#[derive(Template)]
#[template(path = "portal/student_form.html")]
pub struct StudentPage {
    chrome: Chrome,
    title: String,
    action: String,
    button: &'static str,
    form: StudentForm,
    errors: Errors,
}

fn student_page(chrome: Chrome, org: &str, editing: Option<&StudentId>, form: StudentForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let page = StudentPage {
        chrome: chrome.clone().with_errors(&errors),
        title: match editing {
            Some(_) => format!("Edit Student: {} {}", form.first_name, form.last_name),
            None => "Add Student".into(),
        },
        action: match editing {
            Some(id) => format!("/portal/{org}/account/students/{id}/edit"),
            None => format!("/portal/{org}/account/students/add"),
        },
        button: if editing.is_some() { "Save" } else { "Add Student" },
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn add_student_page(OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    me.family().may_manage()?;
    student_page(chrome, &org, None, StudentForm::default(), Errors::default(), 200)
}

pub async fn add_student(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<StudentForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    let mut errors = Errors::default();
    form.required(&mut errors);
    if errors.is_empty() {
        match family.add_student(&app, &form.first_name, &form.last_name, form.birth_date.trim()).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::StudentAdded),
            Err(e) => errors.refusal(e, STUDENT_FIELDS)?,
        }
    }
    student_page(chrome, &org, None, form, errors, 422)
}

pub async fn edit_student_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    let s = family.student(&app, &id).await?;
    let form = StudentForm { first_name: s.first_name, last_name: s.last_name, birth_date: s.birth_date };
    student_page(chrome, &org, Some(&s.id), form, Errors::default(), 200)
}

pub async fn edit_student(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<StudentId>,
    Form(form): Form<StudentForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    // An unknown student is the not-found page before anything is checked.
    family.student(&app, &id).await?;
    let mut errors = Errors::default();
    form.required(&mut errors);
    if errors.is_empty() {
        let (first, last, birth) = (Some(&form.first_name[..]), Some(&form.last_name[..]), Some(form.birth_date.trim()));
        match family.edit_student(&app, &id, first, last, birth).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::StudentUpdated),
            Err(e) => errors.refusal(e, STUDENT_FIELDS)?,
        }
    }
    student_page(chrome, &org, Some(&id), form, errors, 422)
}

// ---------------------------------------------------------------------------------------------
// Enroll: pick a student, pick an open class.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrollForm {
    student_id: String,
    class_id: String,
}

#[derive(Template)]
#[template(path = "portal/enroll.html")]
pub struct EnrollPage {
    chrome: Chrome,
    students: Vec<commands::StudentRow>,
    classes: Vec<ClassView>,
    form: EnrollForm,
    errors: Errors,
}

async fn enroll_form(app: &App, family: &Family<'_>, chrome: Chrome, form: EnrollForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let page = EnrollPage {
        chrome: chrome.clone().with_errors(&errors),
        students: family.students(app).await?,
        classes: commands::classes(app, family.org, true).await?,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn enroll_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Query(form): Query<EnrollForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    enroll_form(&app, &family, chrome, form, Errors::default(), 200).await
}

pub async fn enroll(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<EnrollForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    let mut errors = Errors::default();
    if form.student_id.is_empty() {
        errors.field("student_id", "Choose the student to enroll.");
    }
    if form.class_id.is_empty() {
        errors.field("class_id", "Choose a class.");
    }
    if errors.is_empty() {
        let (student_id, class_id) = (StudentId(form.student_id.clone()), ClassId(form.class_id.clone()));
        match family.enroll(&app, &student_id, &class_id).await {
            Ok(made) => {
                let flash = if made.status == EnrollmentStatus::Waitlisted { Flash::Waitlisted } else { Flash::Enrolled };
                return back_to_account(&org, "your-students", flash);
            }
            // The one refusal about the student rather than the class.
            Err(e) if e.code == ErrorCode::StudentNotFound => errors.refusal(e.at("student_id"), &["student_id"])?,
            Err(e) => errors.refusal(e, &["student_id", "class_id"])?,
        }
    }
    enroll_form(&app, &family, chrome, form, errors, 422).await
}

// ---------------------------------------------------------------------------------------------
// Drop and Transfer requests, Cancel Waitlist.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestForm {
    reason: String,
    effective_date: String,
    to_class_id: String,
}

#[derive(Template)]
#[template(path = "portal/enrollment_request.html")]
pub struct RequestPage {
    chrome: Chrome,
    transfer: bool,
    enrollment_id: EnrollmentId,
    student: String,
    class_name: String,
    classes: Vec<ClassView>,
    form: RequestForm,
    errors: Errors,
}

/// A drop or a transfer request: the two pages differ in little else.
#[derive(Clone, Copy, PartialEq)]
enum Asking {
    Drop,
    Transfer,
}

impl Asking {
    /// The action in the enrollment's `actions` that offers this request.
    fn action(self) -> &'static str {
        match self {
            Asking::Drop => "drop",
            Asking::Transfer => "transfer",
        }
    }

    /// The form's fields a refusal may name. The API calls a transfer's class `class_id` when
    /// refusing it (`SameClass`); on the form it is `to_class_id`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Asking::Drop => &["effective_date", "reason"],
            Asking::Transfer => &["to_class_id", "reason"],
        }
    }

    fn on_form(self, e: ApiError) -> ApiError {
        if self == Asking::Transfer && e.field.as_deref() == Some("class_id") {
            return e.at("to_class_id");
        }
        e
    }
}

/// The Drop or Transfer form: blank (200), or as sent with what to fix (422).
async fn request_form(app: &App, family: &Family<'_>, chrome: Chrome, asking: Asking, e: EnrollmentView, form: RequestForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let student = family.student(app, &e.student_id).await?;
    let classes = match asking {
        Asking::Transfer => commands::classes(app, family.org, true).await?.into_iter().filter(|c| c.id != e.class.id).collect(),
        Asking::Drop => vec![],
    };
    let page = RequestPage {
        chrome: chrome.clone().with_errors(&errors),
        transfer: asking == Asking::Transfer,
        enrollment_id: e.id,
        student: student.full_name(),
        class_name: e.class.name,
        classes,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

/// The Drop or Transfer page, if the viewer may ask for it on this enrollment now (the API's
/// `actions`).
async fn request_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<EnrollmentId>, asking: Asking) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    let e = family.enrollment(&app, &id).await?;
    if !e.offers(asking.action()) {
        return Err(ApiError::new(409, ErrorCode::NotOffered, "This enrollment does not take that request now: look at My Account for why."));
    }
    request_form(&app, &family, chrome, asking, e, RequestForm::default(), Errors::default()).await
}

/// Sends a drop or transfer request; a refusal goes back on the form.
async fn send_request(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<EnrollmentId>,
    Form(form): Form<RequestForm>,
    asking: Asking,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage()?;
    let mut errors = Errors::default();
    let to_class_id = ClassId(form.to_class_id.clone());
    let (ask, flash) = match asking {
        Asking::Drop => {
            (Ask::Drop { reason: Some(&form.reason), effective_date: Some(form.effective_date.trim()) }, Flash::DropRequested)
        }
        Asking::Transfer => (Ask::Transfer { to_class_id: &to_class_id, reason: Some(&form.reason) }, Flash::TransferRequested),
    };
    if asking == Asking::Transfer && form.to_class_id.is_empty() {
        errors.field("to_class_id", "Choose the class to transfer to.");
    } else {
        match family.ask(&app, &id, ask).await {
            Ok(_) => return back_to_account(&org, "your-students", flash),
            Err(e) => errors.refusal(asking.on_form(e), asking.fields())?,
        }
    }
    let e = family.enrollment(&app, &id).await?;
    request_form(&app, &family, chrome, asking, e, form, errors).await
}

pub async fn cancel_waitlist(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<EnrollmentId>,
    Form(_): Form<NoFields>,
) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    me.family().cancel_waitlist(&app, &id).await?;
    back_to_account(&org, "your-students", Flash::WaitlistCancelled)
}
