//! The family's makeup tokens, as JSON: a student's tokens in My Account's groups, and redeeming
//! one into a makeup visit (a write, so refused while the portal is off).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Path, PathParam, Query, Response};
use portal_core::ids::{ClassId, MakeupTokenId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

impl PathParam for MakeupTokenId {
    const NAME: &'static str = "token_id";
}

#[derive(Deserialize)]
pub struct MakeupsQuery {
    location_id: Option<String>,
}

pub async fn list(app: Rc<App>, me: Customer, Path(student_id): Path<StudentId>, Query(q): Query<MakeupsQuery>) -> ApiResult<Response> {
    json(200, &me.family().makeup_tokens(&app, &me.options, &student_id, q.location_id.as_deref()).await?)
}

/// `{class_id, date}`: the class and day of the makeup.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redemption {
    class_id: ClassId,
    date: String,
}

pub async fn redeem(app: Rc<App>, me: Customer, Path(id): Path<MakeupTokenId>, Json(body): Json<Redemption>) -> ApiResult<Response> {
    json(201, &me.family().redeem_makeup_token(&app, &me.options, &id, &body.class_id, &body.date).await?)
}
