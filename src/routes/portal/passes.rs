//! The family's punch passes, as JSON: the list (where the organization shows passes) and
//! redeeming a punch (where it allows that; a write, so refused while the portal is off).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Path, Response};
use crate::routes::passes::Redemption;
use portal_core::ids::PassId;
use std::rc::Rc;

pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &me.family().passes(&app, &me.options).await?)
}

pub async fn redeem(app: Rc<App>, me: Customer, Path(id): Path<PassId>, Json(body): Json<Redemption>) -> ApiResult<Response> {
    json(201, &me.family().redeem_pass(&app, &me.options, &id, &body.student_id, &body.class_id, &body.date).await?)
}
