//! Students' evaluations.

use super::{int, opt_text, text, Db};
use crate::error::ApiResult;
use portal_core::ids::{ClassId, EvaluationId, FamilyId, StudentId};
use portal_core::time::Timestamp;
use serde::Deserialize;

/// An evaluation with its class's name; `skills` is the stored JSON array.
#[derive(Debug, Deserialize)]
pub struct EvaluationRow {
    pub id: EvaluationId,
    pub student_id: StudentId,
    pub class_id: Option<ClassId>,
    pub class_name: Option<String>,
    pub skills: String,
    pub note: Option<String>,
    pub evaluated_at: i64,
    pub evaluated_by: String,
}

macro_rules! evaluation_select {
    () => {
        "SELECT v.id, v.student_id, v.class_id, c.name AS class_name, v.skills, v.note, v.evaluated_at, v.evaluated_by \
         FROM evaluations v LEFT JOIN classes c ON c.id = v.class_id"
    };
}

/// A student's evaluations, newest first.
pub const STUDENT_EVALUATIONS: &str = concat!(evaluation_select!(), " WHERE v.student_id = ?1 ORDER BY v.evaluated_at DESC, v.rowid DESC");
/// Every evaluation of a family's students in one read (My Account), newest first.
pub const FAMILY_EVALUATIONS: &str = concat!(
    evaluation_select!(),
    " JOIN students s ON s.id = v.student_id WHERE s.family_id = ?1 ORDER BY v.evaluated_at DESC, v.rowid DESC"
);
pub const FIND_EVALUATION: &str = concat!(evaluation_select!(), " WHERE v.id = ?1");

pub async fn student_evaluations(db: &Db, student_id: &StudentId) -> ApiResult<Vec<EvaluationRow>> {
    db.all(STUDENT_EVALUATIONS, &[text(student_id)]).await
}

pub async fn family_evaluations(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<EvaluationRow>> {
    db.all(FAMILY_EVALUATIONS, &[text(family_id)]).await
}

pub async fn find(db: &Db, id: &EvaluationId) -> ApiResult<Option<EvaluationRow>> {
    db.first(FIND_EVALUATION, &[text(id)]).await
}

pub struct NewEvaluation<'a> {
    pub id: &'a EvaluationId,
    pub org_id: &'a str,
    pub student_id: &'a StudentId,
    pub class_id: Option<&'a ClassId>,
    pub skills_json: &'a str,
    pub note: Option<&'a str>,
    pub evaluated_by: &'a str,
}

pub async fn insert(db: &Db, e: &NewEvaluation<'_>, now: Timestamp) -> ApiResult<()> {
    db.run(
        "INSERT INTO evaluations (id, org_id, student_id, class_id, skills, note, evaluated_at, evaluated_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            text(e.id),
            text(e.org_id),
            text(e.student_id),
            opt_text(e.class_id.map(|c| &c[..])),
            text(e.skills_json),
            opt_text(e.note),
            int(now.millis()),
            text(e.evaluated_by),
        ],
    )
    .await?;
    Ok(())
}
