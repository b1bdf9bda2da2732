//! Staff record a student's evaluation.

use crate::app::App;
use crate::commands::evaluations;
use crate::error::ApiResult;
use crate::http::{json, Json, Path, Response, Staff};
use portal_core::evaluation::Skill;
use portal_core::ids::{ClassId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvaluation {
    class_id: Option<ClassId>,
    skills: Vec<Skill>,
    note: Option<String>,
}

pub async fn record(app: Rc<App>, staff: Staff, Path(student_id): Path<StudentId>, Json(body): Json<NewEvaluation>) -> ApiResult<Response> {
    let by = staff.actor().label;
    let made = evaluations::record(&app, &staff.org, &by, &student_id, body.class_id.as_ref(), body.skills, body.note.as_deref()).await?;
    json(201, &made)
}
