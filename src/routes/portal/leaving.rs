//! A secondary guardian leaves the family they are signed in to.

use crate::app::App;
use crate::commands::leaving::leave_family;
use crate::error::ApiResult;
use crate::http::{json, Customer, OptionalJson, Response};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveBody {
    #[serde(default)]
    confirm: bool,
}

/// `{confirm: true}`: this session ends with the others of this family; the answer lists the
/// families the person can still log in to.
pub async fn leave(app: Rc<App>, me: Customer, OptionalJson(body): OptionalJson<LeaveBody>) -> ApiResult<Response> {
    json(200, &leave_family(&app, &me.org, &me.me, &me.person_id, body.confirm).await?)
}
