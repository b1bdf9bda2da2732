//! Your Student(s) in My Account, as JSON: the family's students and their enrollments, enrolling,
//! drop and transfer requests, cancelling a waitlist spot. Writes need the Primary Guardian or a
//! guardian allowed to manage enrollments; a disabled portal stops them all (the session check
//! reads the switch from D1).

use crate::app::App;
use crate::commands::enrollments::{self, Ask, StudentRow};
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, OptionalJson, Path, Query, Response};
use crate::routes::bodies::{ClassList, ClassQuery, NewEnrollment, NewStudent, RequestList, StudentChange};
use portal_core::ids::{ClassId, EnrollmentId, StudentId};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Serialize)]
struct StudentList {
    students: Vec<StudentRow>,
}

pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &StudentList { students: me.family().students(&app).await? })
}

pub async fn add(app: Rc<App>, me: Customer, Json(body): Json<NewStudent>) -> ApiResult<Response> {
    let student = me.family().add_student(&app, &body.first_name, &body.last_name, &body.birth_date).await?;
    json(201, &student)
}

pub async fn edit(app: Rc<App>, me: Customer, Path(id): Path<StudentId>, Json(body): Json<StudentChange>) -> ApiResult<Response> {
    let (first, last, birth) = (body.first_name.as_deref(), body.last_name.as_deref(), body.birth_date.as_deref());
    json(200, &me.family().edit_student(&app, &id, first, last, birth).await?)
}

/// The classes a student may enroll in: those not yet ended (`?open=false` lists every class).
pub async fn classes(app: Rc<App>, me: Customer, Query(q): Query<ClassQuery>) -> ApiResult<Response> {
    json(200, &ClassList { classes: enrollments::classes(&app, &me.org, q.open.unwrap_or(true)).await? })
}

pub async fn student_enrollments(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    json(200, &me.family().student_enrollments(&app, &id).await?)
}

pub async fn enroll(app: Rc<App>, me: Customer, Json(body): Json<NewEnrollment>) -> ApiResult<Response> {
    json(201, &me.family().enroll(&app, &body.student_id, &body.class_id).await?)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DropBody {
    reason: Option<String>,
    effective_date: Option<String>,
}

pub async fn drop_request(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>, OptionalJson(body): OptionalJson<DropBody>) -> ApiResult<Response> {
    let ask = Ask::Drop { reason: body.reason.as_deref(), effective_date: body.effective_date.as_deref() };
    json(201, &me.family().ask(&app, &id, ask).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    to_class_id: ClassId,
    reason: Option<String>,
}

pub async fn transfer_request(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>, Json(body): Json<TransferBody>) -> ApiResult<Response> {
    let ask = Ask::Transfer { to_class_id: &body.to_class_id, reason: body.reason.as_deref() };
    json(201, &me.family().ask(&app, &id, ask).await?)
}

pub async fn cancel_waitlist(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>) -> ApiResult<Response> {
    json(200, &me.family().cancel_waitlist(&app, &id).await?)
}

pub async fn requests(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &RequestList { requests: me.family().requests(&app).await? })
}
