//! Locations, classes, students and enrollments as staff keep them, and the families' requests
//! staff decide. Staff routes are never stopped by the portal switch.

use crate::app::App;
use crate::commands::enrollments::{self, LocationRow};
use crate::commands::families;
use crate::error::ApiResult;
use crate::http::{json, Json, OptionalJson, Path, Query, Response, Staff};
use crate::routes::bodies::{ClassList, ClassQuery, NewEnrollment, NewStudent, RequestList, StudentChange};
use portal_core::enrollment::{ClassInput, ClassPatch, RequestStatus};
use portal_core::ids::{ClassId, FamilyId, RequestId, StudentId};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Serialize)]
struct LocationList {
    locations: Vec<LocationRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    name: String,
}

pub async fn add_location(app: Rc<App>, staff: Staff, Json(body): Json<NewLocation>) -> ApiResult<Response> {
    json(201, &enrollments::add_location(&app, &staff.org, &body.name).await?)
}

pub async fn locations(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    json(200, &LocationList { locations: enrollments::locations(&app, &staff.org).await? })
}

pub async fn add_class(app: Rc<App>, staff: Staff, Json(body): Json<ClassInput>) -> ApiResult<Response> {
    json(201, &enrollments::save_class(&app, &staff.org, None, body).await?)
}

pub async fn classes(app: Rc<App>, staff: Staff, Query(q): Query<ClassQuery>) -> ApiResult<Response> {
    json(200, &ClassList { classes: enrollments::classes(&app, &staff.org, q.open.unwrap_or(false)).await? })
}

/// A PATCH changes what it names and nothing else; the class is then checked whole.
pub async fn edit_class(app: Rc<App>, staff: Staff, Path(id): Path<ClassId>, Json(body): Json<ClassPatch>) -> ApiResult<Response> {
    json(200, &enrollments::patch_class(&app, &staff.org, &id, body).await?)
}

pub async fn add_student(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewStudent>) -> ApiResult<Response> {
    families::find(&app, &staff.org.id, &family_id).await?;
    let (first, last, birth) = (&body.first_name, &body.last_name, &body.birth_date);
    json(201, &enrollments::add_student(&app, &staff.org, &staff.requester(), None, &family_id, first, last, birth).await?)
}

/// What the body names changes, the rest stays; the student is checked whole, as when added.
pub async fn edit_student(app: Rc<App>, staff: Staff, Path(id): Path<StudentId>, Json(body): Json<StudentChange>) -> ApiResult<Response> {
    let (first, last, birth) = (body.first_name.as_deref(), body.last_name.as_deref(), body.birth_date.as_deref());
    json(200, &enrollments::staff_edit_student(&app, &staff.org, &staff.requester(), &id, first, last, birth).await?)
}

/// Staff enroll whatever the portal switch says.
pub async fn enroll(app: Rc<App>, staff: Staff, Json(body): Json<NewEnrollment>) -> ApiResult<Response> {
    json(201, &enrollments::staff_enroll(&app, &staff.org, &staff.requester(), &body.student_id, &body.class_id).await?)
}

#[derive(Deserialize)]
pub struct RequestQuery {
    status: Option<RequestStatus>,
}

pub async fn requests(app: Rc<App>, staff: Staff, Query(q): Query<RequestQuery>) -> ApiResult<Response> {
    json(200, &RequestList { requests: enrollments::requests(&app, &staff.org, q.status).await? })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    note: Option<String>,
}

async fn decide(app: &App, staff: &Staff, id: &RequestId, approve: bool, body: Decision) -> ApiResult<Response> {
    json(200, &crate::commands::requests::decide(app, &staff.org, &staff.requester(), id, approve, body.note.as_deref()).await?)
}

pub async fn approve(app: Rc<App>, staff: Staff, Path(id): Path<RequestId>, OptionalJson(body): OptionalJson<Decision>) -> ApiResult<Response> {
    decide(&app, &staff, &id, true, body).await
}

pub async fn deny(app: Rc<App>, staff: Staff, Path(id): Path<RequestId>, OptionalJson(body): OptionalJson<Decision>) -> ApiResult<Response> {
    decide(&app, &staff, &id, false, body).await
}
