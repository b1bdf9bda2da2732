//! A student's makeups, as JSON: the one GET answers in the organization's makeup mode (tokens or
//! requests), and the `requests` mode takes makeup requests (a write, so refused while the portal is off).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Path, Query, Response};
use portal_core::ids::{ClassId, StudentId};
use portal_core::makeup_request::MakeupRequestError;
use portal_core::settings::MakeupMode;
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
pub struct MakeupsQuery {
    location_id: Option<String>,
}

/// Tokens (by the chosen location) or requests, as the organization offers makeups.
pub async fn student_makeups(app: Rc<App>, me: Customer, Path(id): Path<StudentId>, Query(q): Query<MakeupsQuery>) -> ApiResult<Response> {
    match me.options.makeups {
        MakeupMode::Tokens => json(200, &me.family().makeup_tokens(&app, &me.options, &id, q.location_id.as_deref()).await?),
        MakeupMode::Requests => json(200, &me.family().makeup_requests(&app, &me.options, &id).await?),
        MakeupMode::None => Err(MakeupRequestError::Disabled.into()),
    }
}

/// `{class_id, date, reason?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeupRequestBody {
    pub class_id: ClassId,
    pub date: String,
    pub reason: Option<String>,
}

pub async fn request(app: Rc<App>, me: Customer, Path(id): Path<StudentId>, Json(body): Json<MakeupRequestBody>) -> ApiResult<Response> {
    let asked = me.family().request_makeup(&app, &me.options, &id, &body.class_id, &body.date, body.reason.as_deref()).await?;
    json(201, &asked)
}
