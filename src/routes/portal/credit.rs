//! Apply Credit (My Account, Payments): `POST /portal/{org}/api/credit/apply`.

use crate::app::App;
use crate::commands::credit;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Response};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    amount_cents: Option<i64>,
}

pub async fn apply(app: Rc<App>, me: Customer, Json(body): Json<ApplyBody>) -> ApiResult<Response> {
    json(200, &credit::apply(&app, &me.account(), me.options.show_credit, body.amount_cents).await?)
}
