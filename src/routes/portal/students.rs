//! Your Student(s) in My Account, as JSON: the family's students and their enrollments, enrolling,
//! drop and transfer requests, cancelling a waitlist spot. Writes need the Primary Guardian or a
//! guardian allowed to manage enrollments; a disabled portal stops them all (the session check
//! reads the switch from D1).

use crate::app::App;
use crate::commands::enrollments::{self, today, Ask};
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, OptionalJson, Path, Query, Response};
use crate::routes::enrollment_views::{class_json, enrollment_json, enrollments_json, request_json, student_json};
use crate::routes::bodies::{ClassQuery, NewEnrollment, NewStudent};
use crate::store::enrollments::{self as store, StudentRow};
use crate::store::families;
use portal_core::enrollment::may_manage_enrollments;
use portal_core::ids::{EnrollmentId, StudentId};
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

fn may_manage(me: &Customer) -> ApiResult<()> {
    Ok(may_manage_enrollments(me.me.is_primary, me.can_manage_enrollments)?)
}

/// A student of the signed-in family; any other is not found.
async fn my_student(app: &App, me: &Customer, id: &str) -> ApiResult<StudentRow> {
    store::find_student(&app.db, &me.org.id, id)
        .await?
        .filter(|s| s.family_id == me.me.family_id)
        .ok_or_else(enrollments::student_not_found)
}

pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let students = store::family_students(&app.db, &me.me.family_id).await?;
    json(200, &json!({ "students": students.iter().map(student_json).collect::<Vec<_>>() }))
}

pub async fn add(app: Rc<App>, me: Customer, Json(body): Json<NewStudent>) -> ApiResult<Response> {
    may_manage(&me)?;
    let family = families::find_family(&app.db, &me.org.id, &me.me.family_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::internal("signed-in family missing"))?;
    let student = enrollments::add_student(&app, &me.org, &me.requester(), &family, &body.first_name, &body.last_name, &body.birth_date).await?;
    json(201, &student_json(&student))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentChange {
    first_name: Option<String>,
    last_name: Option<String>,
    birth_date: Option<String>,
}

pub async fn edit(app: Rc<App>, me: Customer, Path(id): Path<StudentId>, Json(body): Json<StudentChange>) -> ApiResult<Response> {
    may_manage(&me)?;
    let student = my_student(&app, &me, &id).await?;
    let edited = enrollments::edit_student(
        &app,
        &me.org,
        &me.requester(),
        &student,
        body.first_name.as_deref(),
        body.last_name.as_deref(),
        body.birth_date.as_deref(),
    )
    .await?;
    json(200, &student_json(&edited))
}

/// The classes a student may enroll in: those not yet ended (`?open=false` lists every class).
pub async fn classes(app: Rc<App>, me: Customer, Query(q): Query<ClassQuery>) -> ApiResult<Response> {
    let today = today(&app);
    let rows = store::classes(&app.db, &me.org.id, q.open.unwrap_or(true).then_some(today)).await?;
    json(200, &json!({ "classes": rows.iter().map(|c| class_json(c, today)).collect::<Vec<_>>() }))
}

pub async fn student_enrollments(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let student = my_student(&app, &me, &id).await?;
    let rows = store::student_enrollments(&app.db, &student.id, &student.family_id).await?;
    let may = may_manage(&me).is_ok();
    json(200, &enrollments_json(&rows, me.request_options, may, today(&app)))
}

pub async fn enroll(app: Rc<App>, me: Customer, Json(body): Json<NewEnrollment>) -> ApiResult<Response> {
    may_manage(&me)?;
    let student = my_student(&app, &me, &body.student_id).await?;
    let made = enrollments::enroll(&app, &me.org, &me.requester(), &student, &body.class_id).await?;
    json(201, &enrollment_json(&made, me.request_options, true, today(&app)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DropBody {
    reason: Option<String>,
    effective_date: Option<String>,
}

pub async fn drop_request(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>, OptionalJson(body): OptionalJson<DropBody>) -> ApiResult<Response> {
    may_manage(&me)?;
    let enrollment = enrollments::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    let ask = Ask::Drop { reason: body.reason.as_deref(), effective_date: body.effective_date.as_deref() };
    let request = enrollments::request_change(&app, &me.org, &me.requester(), me.request_options, &enrollment, ask).await?;
    json(201, &request_json(&request))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    to_class_id: String,
    reason: Option<String>,
}

pub async fn transfer_request(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>, Json(body): Json<TransferBody>) -> ApiResult<Response> {
    may_manage(&me)?;
    let enrollment = enrollments::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    let ask = Ask::Transfer { to_class_id: &body.to_class_id, reason: body.reason.as_deref() };
    let request = enrollments::request_change(&app, &me.org, &me.requester(), me.request_options, &enrollment, ask).await?;
    json(201, &request_json(&request))
}

pub async fn cancel_waitlist(app: Rc<App>, me: Customer, Path(id): Path<EnrollmentId>) -> ApiResult<Response> {
    may_manage(&me)?;
    let enrollment = enrollments::family_enrollment(&app, &me.org.id, &me.me.family_id, &id).await?;
    let cancelled = enrollments::cancel_waitlist(&app, &me.org, &me.requester(), me.request_options, &enrollment).await?;
    json(200, &enrollment_json(&cancelled, me.request_options, true, today(&app)))
}

pub async fn requests(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let rows = store::family_requests(&app.db, &me.me.family_id).await?;
    json(200, &json!({ "requests": rows.iter().map(request_json).collect::<Vec<_>>() }))
}
