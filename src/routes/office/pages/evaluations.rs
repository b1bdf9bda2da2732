//! A student's evaluations in the Office Portal, reached from the family's Students tab: the
//! evaluations recorded so far and Record Evaluation (up to five skills at a time, a note, the
//! class). The same command as `POST /office/{org}/api/students/{id}/evaluations`.

use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self, ClassView, StudentRow};
use crate::commands::evaluations::{self, StudentEvaluations};
use crate::error::ApiResult;
use crate::http::{get, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::evaluation::{Skill, SkillLevel};
use portal_core::ids::{ClassId, FamilyId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org/families/:family_id/students/:student_id/evaluations", get(evaluations_page).post(record))
}

/// The skill rows the form offers at a time.
pub const SKILL_ROWS: usize = 5;

/// A student of this family; another family's (or organization's) is not found.
async fn family_student(app: &App, staff: &Staff, family_id: &FamilyId, id: &StudentId) -> ApiResult<StudentRow> {
    let student = enrollments::find_student(app, &staff.org.id, id).await?;
    if student.family_id != *family_id {
        return Err(enrollments::student_not_found());
    }
    Ok(student)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EvaluationForm {
    class_id: String,
    skill_1: String,
    level_1: String,
    skill_2: String,
    level_2: String,
    skill_3: String,
    level_3: String,
    skill_4: String,
    level_4: String,
    skill_5: String,
    level_5: String,
    note: String,
}

impl EvaluationForm {
    /// The rows as typed: (row number, skill, level).
    pub fn rows(&self) -> [(usize, &str, &str); SKILL_ROWS] {
        [
            (1, &self.skill_1, &self.level_1),
            (2, &self.skill_2, &self.level_2),
            (3, &self.skill_3, &self.level_3),
            (4, &self.skill_4, &self.level_4),
            (5, &self.skill_5, &self.level_5),
        ]
    }

    /// The skills filled in; a row with a name and no level is an error.
    fn skills(&self, errors: &mut Errors) -> Vec<Skill> {
        let mut skills = Vec::new();
        for (_, name, level) in self.rows() {
            if name.trim().is_empty() {
                continue;
            }
            let level = match level {
                "not_yet" => SkillLevel::NotYet,
                "progressing" => SkillLevel::Progressing,
                "passed" => SkillLevel::Passed,
                _ => {
                    errors.field("skills", format!("Choose a level for {}.", name.trim()));
                    continue;
                }
            };
            skills.push(Skill { name: name.to_string(), level });
        }
        if skills.is_empty() && errors.is_empty() {
            errors.field("skills", "Enter at least one skill and its level.");
        }
        skills
    }
}

pub const LEVELS: [(&str, &str); 3] = [("not_yet", "Not yet"), ("progressing", "Progressing"), ("passed", "Passed")];

#[derive(Template)]
#[template(path = "office/evaluations.html")]
pub struct EvaluationsPage {
    chrome: Chrome,
    family_id: FamilyId,
    student: StudentRow,
    evaluations: StudentEvaluations,
    classes: Vec<ClassView>,
    form: EvaluationForm,
    levels: [(&'static str, &'static str); 3],
    errors: Errors,
}

impl EvaluationsPage {
    fn chose(&self, level: &str, code: &str) -> bool {
        level == code
    }
}

async fn show(app: &App, staff: &Staff, chrome: Chrome, student: StudentRow, form: EvaluationForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = EvaluationsPage {
        chrome: chrome.clone(),
        family_id: student.family_id.clone(),
        evaluations: evaluations::of_student(app, &student.id).await?,
        classes: enrollments::classes(app, &staff.org, false).await?,
        student,
        form,
        levels: LEVELS,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn evaluations_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let student = family_student(&app, &staff, &family_id, &student_id).await?;
    show(&app, &staff, chrome, student, EvaluationForm::default(), Errors::default()).await
}

pub async fn record(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(student_id): Path<StudentId>,
    Form(form): Form<EvaluationForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let student = family_student(&app, &staff, &family_id, &student_id).await?;
    let mut errors = Errors::default();
    let skills = form.skills(&mut errors);
    if errors.is_empty() {
        let class_id = (!form.class_id.is_empty()).then(|| ClassId(form.class_id.clone()));
        let note = Some(form.note.as_str());
        match evaluations::record(&app, &staff.org, &staff.actor().label, &student.id, class_id.as_ref(), skills, note).await {
            Ok(_) => return redirect_with(&org, &format!("families/{family_id}/students/{student_id}/evaluations"), Flash::EvaluationRecorded),
            Err(e) => errors.refusal(e, &["class_id", "skills", "note"])?,
        }
    }
    show(&app, &staff, chrome, student, form, errors).await
}
