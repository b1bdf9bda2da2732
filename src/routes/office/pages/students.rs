//! A family's Students tab: its students with their enrollments and requests, Add Student, Edit
//! a student, and Enroll a student in one of the organization's classes. The same commands as
//! the JSON API (`commands::enrollments`); staff enroll whatever the portal switch says.

use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self, ClassView, FamilyStudents, StudentRow};
use crate::commands::families;
use crate::error::ApiResult;
use crate::http::{get, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::enrollment::EnrollmentStatus;
use portal_core::ids::{ClassId, FamilyId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families/:family_id/students", get(students_page))
        .route("/office/:org/families/:family_id/students/new", get(new_student_page).post(add_student))
        .route("/office/:org/families/:family_id/students/:student_id/edit", get(edit_student_page).post(edit_student))
        .route("/office/:org/families/:family_id/students/:student_id/enroll", get(enroll_page).post(enroll))
}

/// The family's Students tab, where each form here leads back to.
fn students_path(family_id: &FamilyId) -> String {
    format!("families/{family_id}/students")
}

/// A student of this family; another family's (or organization's) is not found.
async fn family_student(app: &App, staff: &Staff, family_id: &FamilyId, id: &StudentId) -> ApiResult<StudentRow> {
    let student = enrollments::find_student(app, &staff.org.id, id).await?;
    if student.family_id != *family_id {
        return Err(enrollments::student_not_found());
    }
    Ok(student)
}

#[derive(Template)]
#[template(path = "office/students.html")]
pub struct StudentsPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    /// The family tab shown.
    current: &'static str,
    students: FamilyStudents,
}

impl StudentsPage {
    fn has_pending(&self) -> bool {
        self.students.requests.iter().any(|r| r.is_pending())
    }
}

pub async fn students_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let students = enrollments::family_students(&app, &family_id).await?;
    let page = StudentsPage { chrome: chrome.clone(), family_id, family_name: family.name, current: "students", students };
    respond(200, &page, &chrome)
}

// ---------------------------------------------------------------------------------------------
// Add Student, Edit Student.

#[derive(Template)]
#[template(path = "office/student_form.html")]
pub struct StudentPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    /// None: Add Student.
    student_id: Option<StudentId>,
    form: StudentForm,
    errors: Errors,
}

impl StudentPage {
    fn title(&self) -> String {
        match self.student_id {
            Some(_) => format!("Edit Student: {} {}", self.form.first_name, self.form.last_name),
            None => "Add Student".into(),
        }
    }

    fn action(&self) -> String {
        let students = format!("/office/{}/{}", self.chrome.org, students_path(&self.family_id));
        match &self.student_id {
            Some(id) => format!("{students}/{id}/edit"),
            None => format!("{students}/new"),
        }
    }
}

async fn student_page(
    app: &App,
    staff: &Staff,
    chrome: Chrome,
    family_id: FamilyId,
    student_id: Option<StudentId>,
    form: StudentForm,
    errors: Errors,
) -> ApiResult<Response> {
    let family = families::find(app, &staff.org.id, &family_id).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = StudentPage { chrome: chrome.clone(), family_id, family_name: family.name, student_id, form, errors };
    respond(status, &page, &chrome)
}

pub async fn new_student_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    student_page(&app, &staff, chrome, family_id, None, StudentForm::default(), Errors::default()).await
}

pub async fn add_student(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Form(form): Form<StudentForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    // An unknown family is the not-found page before anything is checked.
    families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    form.required(&mut errors);
    if errors.is_empty() {
        let (first, last, birth) = (&form.first_name, &form.last_name, form.birth_date.trim());
        match enrollments::add_student(&app, &staff.org, &staff.requester(), None, &family_id, first, last, birth).await {
            Ok(_) => return redirect_with(&org, &students_path(&family_id), Flash::StudentAdded),
            Err(e) => errors.refusal(e, STUDENT_FIELDS)?,
        }
    }
    student_page(&app, &staff, chrome, family_id, None, form, errors).await
}

pub async fn edit_student_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let s = family_student(&app, &staff, &family_id, &student_id).await?;
    let form = StudentForm { first_name: s.first_name, last_name: s.last_name, birth_date: s.birth_date };
    student_page(&app, &staff, chrome, family_id, Some(s.id), form, Errors::default()).await
}

pub async fn edit_student(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
    Form(form): Form<StudentForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    family_student(&app, &staff, &family_id, &student_id).await?;
    let mut errors = Errors::default();
    form.required(&mut errors);
    if errors.is_empty() {
        let (first, last, birth) = (Some(&form.first_name[..]), Some(&form.last_name[..]), Some(form.birth_date.trim()));
        match enrollments::staff_edit_student(&app, &staff.org, &staff.requester(), &student_id, first, last, birth).await {
            Ok(_) => return redirect_with(&org, &students_path(&family_id), Flash::StudentUpdated),
            Err(e) => errors.refusal(e, STUDENT_FIELDS)?,
        }
    }
    student_page(&app, &staff, chrome, family_id, Some(student_id), form, errors).await
}

// ---------------------------------------------------------------------------------------------
// Enroll: one of the organization's open classes, for one student.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrollForm {
    class_id: String,
}

#[derive(Template)]
#[template(path = "office/enroll.html")]
pub struct EnrollPage {
    chrome: Chrome,
    family_id: FamilyId,
    student: StudentRow,
    classes: Vec<ClassView>,
    form: EnrollForm,
    errors: Errors,
}

async fn enroll_form(app: &App, staff: &Staff, chrome: Chrome, student: StudentRow, form: EnrollForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = EnrollPage {
        chrome: chrome.clone(),
        family_id: student.family_id.clone(),
        classes: enrollments::classes(app, &staff.org, true).await?,
        student,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn enroll_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let student = family_student(&app, &staff, &family_id, &student_id).await?;
    enroll_form(&app, &staff, chrome, student, EnrollForm::default(), Errors::default()).await
}

pub async fn enroll(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
    Form(form): Form<EnrollForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let student = family_student(&app, &staff, &family_id, &student_id).await?;
    let mut errors = Errors::default();
    if form.class_id.is_empty() {
        errors.field("class_id", "Choose a class.");
    } else {
        let class_id = ClassId(form.class_id.clone());
        match enrollments::staff_enroll(&app, &staff.org, &staff.requester(), &student.id, &class_id).await {
            Ok(made) => {
                let flash = if made.status == EnrollmentStatus::Waitlisted { Flash::Waitlisted } else { Flash::Enrolled };
                return redirect_with(&org, &students_path(&family_id), flash);
            }
            // Every refusal here is about the class chosen (full, ended, already in it).
            Err(e) => {
                let e = if e.field.is_none() { e.at("class_id") } else { e };
                errors.refusal(e, &["class_id"])?
            }
        }
    }
    enroll_form(&app, &staff, chrome, student, form, errors).await
}
