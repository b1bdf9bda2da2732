//! Locations, classes, students and enrollments as staff keep them, and the families' requests
//! staff decide. Staff routes are never stopped by the portal switch.

use crate::app::App;
use crate::commands::enrollments::{self, today};
use crate::commands::families;
use crate::error::ApiResult;
use crate::http::{json, Json, OptionalJson, Path, Query, Response, Staff};
use crate::routes::bodies::{ClassQuery, NewEnrollment, NewStudent};
use crate::routes::enrollment_views::{class_json, enrollment_json, request_json, student_json};
use crate::store::enrollments as store;
use portal_core::enrollment::{ClassInput, RequestOptions, RequestStatus};
use portal_core::ids::{ClassId, FamilyId, RequestId};
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    name: String,
}

pub async fn add_location(app: Rc<App>, staff: Staff, Json(body): Json<NewLocation>) -> ApiResult<Response> {
    let location = enrollments::add_location(&app, &staff.org, &body.name).await?;
    json(201, &json!({ "id": location.id, "name": location.name }))
}

pub async fn locations(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    let rows = store::locations(&app.db, &staff.org.id).await?;
    json(200, &json!({ "locations": rows.iter().map(|l| json!({ "id": l.id, "name": l.name })).collect::<Vec<_>>() }))
}

pub async fn add_class(app: Rc<App>, staff: Staff, Json(body): Json<ClassInput>) -> ApiResult<Response> {
    let class = enrollments::save_class(&app, &staff.org, None, body).await?;
    json(201, &class_json(&class, today(&app)))
}

pub async fn classes(app: Rc<App>, staff: Staff, Query(q): Query<ClassQuery>) -> ApiResult<Response> {
    let today = today(&app);
    let rows = store::classes(&app.db, &staff.org.id, q.open.unwrap_or(false).then_some(today)).await?;
    json(200, &json!({ "classes": rows.iter().map(|c| class_json(c, today)).collect::<Vec<_>>() }))
}

/// A class's description is replaced whole (the same body as creating one).
pub async fn edit_class(app: Rc<App>, staff: Staff, Path(id): Path<ClassId>, Json(body): Json<ClassInput>) -> ApiResult<Response> {
    let class = enrollments::save_class(&app, &staff.org, Some(&id), body).await?;
    json(200, &class_json(&class, today(&app)))
}

pub async fn add_student(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewStudent>) -> ApiResult<Response> {
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let student =
        enrollments::add_student(&app, &staff.org, &staff.requester(), &family, &body.first_name, &body.last_name, &body.birth_date)
            .await?;
    json(201, &student_json(&student))
}

/// Staff enroll whatever the portal switch says.
pub async fn enroll(app: Rc<App>, staff: Staff, Json(body): Json<NewEnrollment>) -> ApiResult<Response> {
    let student = enrollments::find_student(&app, &staff.org.id, &body.student_id).await?;
    let made = enrollments::enroll(&app, &staff.org, &staff.requester(), &student, &body.class_id).await?;
    // Actions are what a family is offered: none for staff.
    json(201, &enrollment_json(&made, RequestOptions::default(), false, today(&app)))
}

#[derive(Deserialize)]
pub struct RequestQuery {
    status: Option<RequestStatus>,
}

pub async fn requests(app: Rc<App>, staff: Staff, Query(q): Query<RequestQuery>) -> ApiResult<Response> {
    let rows = store::org_requests(&app.db, &staff.org.id, q.status).await?;
    json(200, &json!({ "requests": rows.iter().map(request_json).collect::<Vec<_>>() }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    note: Option<String>,
}

async fn decide(app: &App, staff: &Staff, id: &str, approve: bool, body: Decision) -> ApiResult<Response> {
    let request = store::find_request(&app.db, &staff.org.id, id).await?.ok_or_else(enrollments::request_not_found)?;
    let decided = enrollments::decide(app, &staff.org, &staff.requester(), &request, approve, body.note.as_deref()).await?;
    json(200, &request_json(&decided))
}

pub async fn approve(app: Rc<App>, staff: Staff, Path(id): Path<RequestId>, OptionalJson(body): OptionalJson<Decision>) -> ApiResult<Response> {
    decide(&app, &staff, &id, true, body).await
}

pub async fn deny(app: Rc<App>, staff: Staff, Path(id): Path<RequestId>, OptionalJson(body): OptionalJson<Decision>) -> ApiResult<Response> {
    decide(&app, &staff, &id, false, body).await
}
