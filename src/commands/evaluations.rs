//! Evaluations: staff record one for a student (skills and their levels, a note, maybe the
//! class); the family reads them newest first with Evaluated Skills, the latest level of each skill.
//! Always shown: no portal option turns them off.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{class_not_found, find_student, Family};
use crate::error::{ApiError, ApiResult};
use crate::store::enrollments as enrollment_store;
use crate::store::evaluations::{self as store, EvaluationRow, NewEvaluation};
use portal_core::evaluation::{evaluated_skills, EvaluationSpec, Skill, SkillLevel};
use portal_core::ids::{ClassId, EvaluationId, FamilyId, StudentId};
use portal_core::time::Timestamp;
use serde::Serialize;

/// A class as an evaluation names it.
#[derive(Debug, Serialize)]
pub struct ClassRef {
    pub id: ClassId,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct EvaluationView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ClassRef>,
    pub evaluated_at: String,
    pub evaluated_by: String,
    pub id: EvaluationId,
    pub note: Option<String>,
    pub skills: Vec<Skill>,
    pub student_id: StudentId,
}

impl EvaluationView {
    fn of(row: EvaluationRow) -> ApiResult<EvaluationView> {
        let skills = serde_json::from_str(&row.skills).map_err(ApiError::internal)?;
        let class = match (row.class_id, row.class_name) {
            (Some(id), Some(name)) => Some(ClassRef { id, name }),
            _ => None,
        };
        Ok(EvaluationView {
            class,
            evaluated_at: Timestamp(row.evaluated_at).to_rfc3339(),
            evaluated_by: row.evaluated_by,
            id: row.id,
            note: row.note,
            skills,
            student_id: row.student_id,
        })
    }

    /// "2026-09-14": the day it was recorded, as the page shows it.
    pub fn day(&self) -> &str {
        self.evaluated_at.get(..10).unwrap_or(&self.evaluated_at)
    }
}

/// Evaluated Skills: a skill's latest level.
#[derive(Debug, Serialize)]
pub struct EvaluatedSkillView {
    pub evaluated_at: String,
    pub level: SkillLevel,
    pub name: String,
}

impl EvaluatedSkillView {
    pub fn day(&self) -> &str {
        self.evaluated_at.get(..10).unwrap_or(&self.evaluated_at)
    }
}

/// A student's evaluations, newest first, and their Evaluated Skills.
#[derive(Debug, Serialize)]
pub struct StudentEvaluations {
    pub evaluations: Vec<EvaluationView>,
    pub skills: Vec<EvaluatedSkillView>,
}

impl StudentEvaluations {
    fn of(rows: Vec<EvaluationRow>) -> ApiResult<StudentEvaluations> {
        let evaluations = rows.into_iter().map(EvaluationView::of).collect::<ApiResult<Vec<_>>>()?;
        let stamps: Vec<Timestamp> = evaluations.iter().map(|e| Timestamp::parse_rfc3339(&e.evaluated_at).unwrap_or(Timestamp(0))).collect();
        let skills = evaluated_skills(stamps.iter().zip(&evaluations).map(|(at, e)| (*at, &e.skills[..])))
            .into_iter()
            .map(|s| EvaluatedSkillView { evaluated_at: s.evaluated_at.to_rfc3339(), level: s.level, name: s.name })
            .collect();
        Ok(StudentEvaluations { evaluations, skills })
    }
}

/// Staff record an evaluation of a student of the organization (another's is not found); a class
/// it names must be the organization's.
pub async fn record(
    app: &App,
    org: &OrgContext,
    evaluated_by: &str,
    student_id: &StudentId,
    class_id: Option<&ClassId>,
    skills: Vec<Skill>,
    note: Option<&str>,
) -> ApiResult<EvaluationView> {
    let student = find_student(app, &org.id, student_id).await?;
    let spec = EvaluationSpec::parse(skills, note)?;
    if let Some(class_id) = class_id {
        if enrollment_store::find_class(&app.db, &org.id, class_id).await?.is_none() {
            return Err(ApiError::invalid_field("class_id", class_not_found().message.clone()));
        }
    }
    let id = EvaluationId(new_id("evl")?);
    let skills_json = serde_json::to_string(&spec.skills).map_err(ApiError::internal)?;
    let new = NewEvaluation {
        id: &id,
        org_id: &org.id,
        student_id: &student.id,
        class_id,
        skills_json: &skills_json,
        note: spec.note.as_deref(),
        evaluated_by,
    };
    store::insert(&app.db, &new, app.now()).await?;
    let row = store::find(&app.db, &id).await?.ok_or_else(|| ApiError::internal("a recorded evaluation is gone"))?;
    EvaluationView::of(row)
}

/// A student's evaluations, as staff see them (the caller found the student in the organization).
pub async fn of_student(app: &App, student_id: &StudentId) -> ApiResult<StudentEvaluations> {
    StudentEvaluations::of(store::student_evaluations(&app.db, student_id).await?)
}

/// Every student's evaluations in a family, from one read (My Account's Your Student(s)).
pub struct FamilyEvaluations(Vec<(StudentId, StudentEvaluations)>);

impl FamilyEvaluations {
    pub async fn load(app: &App, family: &FamilyId) -> ApiResult<FamilyEvaluations> {
        let mut by_student: Vec<(StudentId, Vec<EvaluationRow>)> = Vec::new();
        for row in store::family_evaluations(&app.db, family).await? {
            match by_student.iter_mut().find(|(id, _)| *id == row.student_id) {
                Some((_, rows)) => rows.push(row),
                None => by_student.push((row.student_id.clone(), vec![row])),
            }
        }
        let students = by_student.into_iter().map(|(id, rows)| Ok((id, StudentEvaluations::of(rows)?))).collect::<ApiResult<_>>()?;
        Ok(FamilyEvaluations(students))
    }

    /// A student's evaluations; None: none yet.
    pub fn of(&self, student: &StudentId) -> Option<&StudentEvaluations> {
        self.0.iter().find(|(id, _)| id == student).map(|(_, e)| e)
    }
}

impl Family<'_> {
    /// Every guardian who can log in reads them; another family's student is not found.
    pub async fn student_evaluations(&self, app: &App, id: &StudentId) -> ApiResult<StudentEvaluations> {
        let student = self.student(app, id).await?;
        of_student(app, &student.id).await
    }
}
