//! Makeup tokens as staff issue them: to a student of a family, for one location, until a date
//! (never stopped by the portal switch).

use crate::app::App;
use crate::commands::makeup_tokens::{self, Issue};
use crate::error::ApiResult;
use crate::http::{json, Json, Path, Response, Staff};
use portal_core::ids::{FamilyId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    student_id: StudentId,
    location_id: String,
    expires_on: String,
    reason: Option<String>,
}

pub async fn issue(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewToken>) -> ApiResult<Response> {
    let issue = Issue { student_id: &body.student_id, location_id: &body.location_id, expires_on: &body.expires_on, reason: body.reason.as_deref() };
    json(201, &makeup_tokens::issue(&app, &staff.org, &staff.requester(), &family_id, issue).await?)
}
