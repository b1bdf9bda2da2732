//! A student's evaluations and Evaluated Skills, for every guardian of the family who can log in.

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Path, Response};
use portal_core::ids::StudentId;
use std::rc::Rc;

pub async fn student_evaluations(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    json(200, &me.family().student_evaluations(&app, &id).await?)
}
