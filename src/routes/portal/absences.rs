//! Future absences: report one (by date or by enrollment), list those still to come, cancel one
//! before it starts. Writes need the option, the permission to manage the student, and a live
//! portal.

use crate::app::App;
use crate::commands::absences::NewAbsenceInput;
use crate::error::ApiResult;
use crate::http::{json, no_content, Customer, Json, Path, Response};
use portal_core::ids::{AbsenceId, StudentId};
use std::rc::Rc;

pub async fn report(app: Rc<App>, me: Customer, Path(id): Path<StudentId>, Json(body): Json<NewAbsenceInput>) -> ApiResult<Response> {
    json(201, &me.family().report_absence(&app, &me.options, &id, body).await?)
}

pub async fn list(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    json(200, &me.family().student_absences(&app, &me.options, &id).await?)
}

pub async fn cancel(app: Rc<App>, me: Customer, Path(id): Path<AbsenceId>) -> ApiResult<Response> {
    me.family().cancel_absence(&app, &me.options, &id).await?;
    no_content()
}
