//! My Account, Your Student(s): the section data for the account page and the student pages
//! (Add Student, Edit Student, enroll, Drop, Transfer, Cancel Waitlist). The writes call
//! `commands::enrollments`, as the JSON API does; the actions shown are the API's `actions`.

use super::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self as commands, today, Ask};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Customer, Form, OrgSlug, Path, Query, Response, Router};
use crate::routes::enrollment_views::seen_status;
use crate::store::enrollments::{self as store, ClassRow, EnrollmentRow, StudentRow};
use crate::store::families;
use askama::Template;
use portal_core::enrollment::{enrollment_actions, may_manage_enrollments, EnrollmentStatus, RequestStatus};
use portal_core::ids::{EnrollmentId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub struct EnrollmentLine {
    pub id: String,
    pub class_name: String,
    pub when: String,
    pub location: String,
    pub status: &'static str,
    pub pending: Option<&'static str>,
    pub actions: Vec<&'static str>,
}

impl EnrollmentLine {
    pub fn offers(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
}

pub struct StudentCard {
    pub id: String,
    pub name: String,
    pub birth_date: String,
    pub current: Vec<EnrollmentLine>,
    pub waitlist: Vec<EnrollmentLine>,
    pub past: Vec<EnrollmentLine>,
}

impl StudentCard {
    /// The three lists as the seed names them: (summary, when empty, open at first, list).
    pub fn groups(&self) -> [(&'static str, &'static str, bool, &[EnrollmentLine]); 3] {
        [
            ("View Current Enrollments", "No current enrollments.", true, &self.current),
            ("Show/Hide Waitlist Enrollments", "Not on any waitlist.", !self.waitlist.is_empty(), &self.waitlist),
            ("Show/Hide Past Enrollments", "No past enrollments.", false, &self.past),
        ]
    }
}

pub struct RequestLine {
    pub what: String,
    pub status: &'static str,
    pub pending: bool,
    pub requested: String,
    pub note: Option<String>,
}

/// What the Your Student(s) section shows.
pub struct StudentsSection {
    pub may_manage: bool,
    /// Why the viewer sees no write actions.
    pub why_not: Option<String>,
    pub students: Vec<StudentCard>,
    pub requests: Vec<RequestLine>,
}

fn days_words(stored: &str) -> String {
    let days: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    days.iter()
        .map(|d| {
            let mut c = d.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(e: &EnrollmentRow, me: &Customer, may: bool, app: &App) -> EnrollmentLine {
    let seen = seen_status(e, today(app));
    let c = &e.class;
    EnrollmentLine {
        id: e.id.clone(),
        class_name: c.class_name.clone(),
        when: format!("{} {}–{}, {} to {}", days_words(&c.days), c.start_time, c.end_time, c.start_date, c.end_date),
        location: c.location_name.clone(),
        status: match seen {
            EnrollmentStatus::Active => "Enrolled",
            EnrollmentStatus::Waitlisted => "Waitlisted",
            EnrollmentStatus::Dropped => "Dropped",
            EnrollmentStatus::Transferred => "Transferred",
            EnrollmentStatus::Completed => "Completed",
        },
        pending: e.pending_request_kind.map(|k| match k {
            portal_core::enrollment::RequestKind::Drop => "Drop requested: waiting for the office",
            portal_core::enrollment::RequestKind::Transfer => "Transfer requested: waiting for the office",
        }),
        actions: enrollment_actions(me.request_options, seen, e.pending_request_id.is_some(), may),
    }
}

/// Three reads for the whole family: its students, all their enrollments, its requests.
pub async fn load(app: &App, me: &Customer) -> ApiResult<StudentsSection> {
    let may_manage = may_manage_enrollments(me.me.is_primary, me.can_manage_enrollments);
    let students = store::family_students(&app.db, &me.me.family_id).await?;
    let enrollments = store::family_enrollments(&app.db, &me.me.family_id).await?;
    let requests = store::family_requests(&app.db, &me.me.family_id).await?;
    let cards = students
        .iter()
        .map(|s| {
            let mut card = StudentCard { id: s.id.clone(), name: s.full_name(), birth_date: s.birth_date.clone(), current: vec![], waitlist: vec![], past: vec![] };
            for e in enrollments.iter().filter(|e| e.student_id == s.id) {
                let l = line(e, me, may_manage.is_ok(), app);
                match l.status {
                    "Enrolled" => card.current.push(l),
                    "Waitlisted" => card.waitlist.push(l),
                    _ => card.past.push(l),
                }
            }
            card
        })
        .collect();
    Ok(StudentsSection {
        why_not: may_manage.as_ref().err().map(|e| e.to_string()),
        may_manage: may_manage.is_ok(),
        students: cards,
        requests: requests
            .iter()
            .map(|r| RequestLine {
                what: match &r.to_class_name {
                    Some(to) => format!("Transfer {} {} from {} to {}", r.student_first_name, r.student_last_name, r.from_class_name, to),
                    None => format!("Drop {} {} from {}", r.student_first_name, r.student_last_name, r.from_class_name)
                        + &r.effective_date.as_ref().map(|d| format!(" on {d}")).unwrap_or_default(),
                },
                status: match r.status {
                    RequestStatus::Pending => "Pending",
                    RequestStatus::Approved => "Approved",
                    RequestStatus::Denied => "Denied",
                },
                pending: r.status == RequestStatus::Pending,
                requested: format!("asked by {}", r.requested_by_label),
                note: r.note.clone(),
            })
            .collect(),
    })
}

/// The student pages' routes.
pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/students/add", get(add_student_page).post(add_student))
        .route("/portal/:org/account/students/:student_id/edit", get(edit_student_page).post(edit_student))
        .route("/portal/:org/account/enrollments/enroll", get(enroll_page).post(enroll))
        .route("/portal/:org/account/enrollments/:enrollment_id/drop", get(drop_page).post(drop_request))
        .route("/portal/:org/account/enrollments/:enrollment_id/transfer", get(transfer_page).post(transfer_request))
        .route("/portal/:org/account/enrollments/:enrollment_id/cancel-waitlist", post(cancel_waitlist))
}

fn may_manage(me: &Customer) -> ApiResult<()> {
    Ok(may_manage_enrollments(me.me.is_primary, me.can_manage_enrollments)?)
}

async fn my_student(app: &App, me: &Customer, id: &str) -> ApiResult<StudentRow> {
    store::find_student(&app.db, &me.org.id, id)
        .await?
        .filter(|s| s.family_id == me.me.family_id)
        .ok_or_else(commands::student_not_found)
}

/// A refusal the person can act on goes on the form; anything else is the error page.
fn on_form(e: ApiError, errors: &mut Errors, field: &'static str) -> ApiResult<()> {
    if e.status >= 500 {
        return Err(e);
    }
    errors.field(field, e.message.clone());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Add Student, Edit Student.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StudentForm {
    first_name: String,
    last_name: String,
    birth_date: String,
}

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

fn student_page(chrome: Chrome, org: &str, editing: Option<&str>, form: StudentForm, errors: Errors, status: u16) -> ApiResult<Response> {
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

/// The rule's message names the field it is about.
fn student_field(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("last") {
        "last_name"
    } else if m.contains("birth") || m.contains("date") {
        "birth_date"
    } else {
        "first_name"
    }
}

fn required(form: &StudentForm, errors: &mut Errors) {
    if form.first_name.trim().is_empty() {
        errors.field("first_name", "Enter the student's first name.");
    }
    if form.last_name.trim().is_empty() {
        errors.field("last_name", "Enter the student's last name.");
    }
    if form.birth_date.trim().is_empty() {
        errors.field("birth_date", "Enter the student's birth date, like 2019-04-02.");
    }
}

pub async fn add_student_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let _ = &app;
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    student_page(chrome, &org, None, StudentForm::default(), Errors::default(), 200)
}

pub async fn add_student(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<StudentForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    let mut errors = Errors::default();
    required(&form, &mut errors);
    if errors.is_empty() {
        let family = families::find_family(&app.db, &me.org.id, &me.me.family_id)
            .await?
            .ok_or_else(|| ApiError::internal("the signed-in guardian's family is missing"))?;
        match commands::add_student(&app, &me.org, &me.requester(), &family, &form.first_name, &form.last_name, form.birth_date.trim()).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::StudentAdded),
            Err(e) => {
                let field = student_field(&e.message);
                on_form(e, &mut errors, field)?
            }
        }
    }
    student_page(chrome, &org, None, form, errors, 422)
}

pub async fn edit_student_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    let s = my_student(&app, &me, &id).await?;
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
    may_manage(&me)?;
    let s = my_student(&app, &me, &id).await?;
    let mut errors = Errors::default();
    required(&form, &mut errors);
    if errors.is_empty() {
        let edited = commands::edit_student(
            &app,
            &me.org,
            &me.requester(),
            &s,
            Some(&form.first_name),
            Some(&form.last_name),
            Some(form.birth_date.trim()),
        )
        .await;
        match edited {
            Ok(_) => return back_to_account(&org, "your-students", Flash::StudentUpdated),
            Err(e) => {
                let field = student_field(&e.message);
                on_form(e, &mut errors, field)?
            }
        }
    }
    student_page(chrome, &org, Some(&s.id), form, errors, 422)
}

// ---------------------------------------------------------------------------------------------
// Enroll: pick a student, pick an open class.

pub struct ClassChoice {
    pub id: String,
    pub name: String,
    pub when: String,
    pub seats: String,
}

fn class_choice(c: &ClassRow) -> ClassChoice {
    let free = (c.capacity - c.enrolled).max(0);
    ClassChoice {
        id: c.id.clone(),
        name: c.name.clone(),
        when: format!("{}, {} {}–{}, from {}", c.location_name, days_words(&c.days), c.start_time, c.end_time, c.start_date),
        seats: match (free, c.waitlist != 0) {
            (0, true) => format!("Full: joins the waitlist ({} waiting)", c.waitlisted),
            (0, false) => "Full".into(),
            (1, _) => "1 place left".into(),
            (n, _) => format!("{n} places left"),
        },
    }
}

async fn open_classes(app: &App, me: &Customer) -> ApiResult<Vec<ClassChoice>> {
    let rows = store::classes(&app.db, &me.org.id, Some(today(app))).await?;
    Ok(rows.iter().map(class_choice).collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrollForm {
    student_id: String,
    class_id: String,
}

pub struct StudentChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "portal/enroll.html")]
pub struct EnrollPage {
    chrome: Chrome,
    students: Vec<StudentChoice>,
    classes: Vec<ClassChoice>,
    form: EnrollForm,
    errors: Errors,
}

async fn enroll_form(app: &App, me: &Customer, chrome: Chrome, form: EnrollForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let students = store::family_students(&app.db, &me.me.family_id).await?;
    let page = EnrollPage {
        chrome: chrome.clone().with_errors(&errors),
        students: students.iter().map(|s| StudentChoice { id: s.id.clone(), name: s.full_name() }).collect(),
        classes: open_classes(app, me).await?,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn enroll_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Query(form): Query<EnrollForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    enroll_form(&app, &me, chrome, form, Errors::default(), 200).await
}

pub async fn enroll(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<EnrollForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    let mut errors = Errors::default();
    if form.student_id.is_empty() {
        errors.field("student_id", "Choose the student to enroll.");
    }
    if form.class_id.is_empty() {
        errors.field("class_id", "Choose a class.");
    }
    if errors.is_empty() {
        let outcome = match my_student(&app, &me, &form.student_id).await {
            Ok(student) => commands::enroll(&app, &me.org, &me.requester(), &student, &form.class_id).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(made) => {
                let flash = if made.status == EnrollmentStatus::Waitlisted { Flash::Waitlisted } else { Flash::Enrolled };
                return back_to_account(&org, "your-students", flash);
            }
            Err(e) if e.code == ErrorCode::StudentNotFound => on_form(e, &mut errors, "student_id")?,
            Err(e) => on_form(e, &mut errors, "class_id")?,
        }
    }
    enroll_form(&app, &me, chrome, form, errors, 422).await
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
    enrollment_id: String,
    student: String,
    class_name: String,
    classes: Vec<ClassChoice>,
    form: RequestForm,
    errors: Errors,
}

async fn request_form(
    app: &App,
    me: &Customer,
    chrome: Chrome,
    transfer: bool,
    e: &EnrollmentRow,
    form: RequestForm,
    errors: Errors,
    status: u16,
) -> ApiResult<Response> {
    let student = commands::find_student(app, &me.org.id, &e.student_id).await?;
    let classes = if transfer { open_classes(app, me).await?.into_iter().filter(|c| c.id != e.class.class_id).collect() } else { vec![] };
    let page = RequestPage {
        chrome: chrome.clone().with_errors(&errors),
        transfer,
        enrollment_id: e.id.clone(),
        student: student.full_name(),
        class_name: e.class.class_name.clone(),
        classes,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

/// The enrollment, if the viewer may ask for `action` on it now (the API's `actions`).
async fn offered(app: &App, me: &Customer, id: &str, action: &str) -> ApiResult<EnrollmentRow> {
    may_manage(me)?;
    let e = commands::family_enrollment(app, &me.org.id, &me.me.family_id, id).await?;
    if !line(&e, me, true, app).offers(action) {
        return Err(ApiError::new(409, ErrorCode::NotOffered, "This enrollment does not take that request now: look at My Account for why."));
    }
    Ok(e)
}

pub async fn drop_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<EnrollmentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let e = offered(&app, &me, &id, "drop").await?;
    request_form(&app, &me, chrome, false, &e, RequestForm::default(), Errors::default(), 200).await
}

pub async fn transfer_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<EnrollmentId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let e = offered(&app, &me, &id, "transfer").await?;
    request_form(&app, &me, chrome, true, &e, RequestForm::default(), Errors::default(), 200).await
}

pub async fn drop_request(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<EnrollmentId>,
    Form(form): Form<RequestForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    let e = commands::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    let ask = Ask::Drop { reason: Some(&form.reason), effective_date: Some(form.effective_date.trim()) };
    let mut errors = Errors::default();
    match commands::request_change(&app, &me.org, &me.requester(), me.request_options, &e, ask).await {
        Ok(_) => return back_to_account(&org, "your-students", Flash::DropRequested),
        Err(err) if err.message.contains("effective_date") || err.message.contains("date") => on_form(err, &mut errors, "effective_date")?,
        Err(err) => on_form(err, &mut errors, "reason")?,
    }
    request_form(&app, &me, chrome, false, &e, form, errors, 422).await
}

pub async fn transfer_request(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<EnrollmentId>,
    Form(form): Form<RequestForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    may_manage(&me)?;
    let e = commands::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    let mut errors = Errors::default();
    if form.to_class_id.is_empty() {
        errors.field("to_class_id", "Choose the class to transfer to.");
    } else {
        let ask = Ask::Transfer { to_class_id: &form.to_class_id, reason: Some(&form.reason) };
        match commands::request_change(&app, &me.org, &me.requester(), me.request_options, &e, ask).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::TransferRequested),
            Err(err) if err.message.contains("reason") => on_form(err, &mut errors, "reason")?,
            Err(err) => on_form(err, &mut errors, "to_class_id")?,
        }
    }
    request_form(&app, &me, chrome, true, &e, form, errors, 422).await
}

pub async fn cancel_waitlist(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<EnrollmentId>,
    Form(_): Form<NoFields>,
) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    may_manage(&me)?;
    let e = commands::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    commands::cancel_waitlist(&app, &me.org, &me.requester(), me.request_options, &e).await?;
    back_to_account(&org, "your-students", Flash::WaitlistCancelled)
}
