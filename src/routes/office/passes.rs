//! Punch passes as staff keep them: selling one to a family, switching it on or off, redeeming a
//! punch for a student's visit (never stopped by the portal switch).

use crate::app::App;
use crate::commands::passes::{self, Sale};
use crate::error::ApiResult;
use crate::http::{json, Json, Path, Response, Staff};
use crate::routes::passes::Redemption;
use portal_core::ids::{FamilyId, PassId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPass {
    name: String,
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    punches: i64,
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    amount_paid_cents: i64,
    expires_on: Option<String>,
    student_id: Option<StudentId>,
}

pub async fn sell(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewPass>) -> ApiResult<Response> {
    let sale = Sale {
        name: &body.name,
        punches: body.punches,
        amount_paid_cents: body.amount_paid_cents,
        expires_on: body.expires_on.as_deref(),
        student_id: body.student_id.as_ref(),
    };
    json(201, &passes::sell(&app, &staff.org, &staff.requester(), &family_id, sale).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassChange {
    active: bool,
}

pub async fn edit(app: Rc<App>, staff: Staff, Path(id): Path<PassId>, Json(body): Json<PassChange>) -> ApiResult<Response> {
    json(200, &passes::set_active(&app, &staff.org, &staff.requester(), &id, body.active).await?)
}

pub async fn redeem(app: Rc<App>, staff: Staff, Path(id): Path<PassId>, Json(body): Json<Redemption>) -> ApiResult<Response> {
    let made = passes::staff_redeem(&app, &staff.org, &staff.requester(), &id, &body.student_id, &body.class_id, &body.date).await?;
    json(201, &made)
}
