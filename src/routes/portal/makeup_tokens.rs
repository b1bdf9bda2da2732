//! The family's makeup tokens, as JSON: redeeming one into a makeup visit, a write, so refused while
//! the portal is off (a student's tokens in My Account's groups: `makeups::student_makeups`).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Path, PathParam, Response};
use portal_core::ids::{ClassId, MakeupTokenId};
use serde::Deserialize;
use std::rc::Rc;

impl PathParam for MakeupTokenId {
    const NAME: &'static str = "token_id";
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
