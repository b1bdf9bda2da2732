//! A student's attendance, while the organization shows it (else 403 `attendance_disabled`).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Path, Response};
use portal_core::ids::StudentId;
use std::rc::Rc;

pub async fn student_attendance(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    json(200, &me.family().student_attendance(&app, &me.options, &id).await?)
}
