//! A staff member's signed-in devices: `/office/{org}/api/me/sessions`, as the Customer Portal's.

use crate::app::App;
use crate::commands::sign_ins::{self, Owner};
use crate::error::{ApiError, ApiResult};
use crate::http::{cleared_cookie, json, no_content, Path, Query, Response, Staff, STAFF_COOKIE};
use portal_core::ids::SessionId;
use serde::Deserialize;
use std::rc::Rc;

pub async fn list(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    json(200, &sign_ins::list(&app, &owner(&staff)).await?)
}

fn owner(staff: &Staff) -> Owner<'_> {
    Owner::Staff { staff_id: &staff.id, current_session_id: &staff.session_id }
}

/// Ends one of the staff member's sign-ins; ending this one signs out (the cookie goes too).
pub async fn end_one(app: Rc<App>, staff: Staff, Path(id): Path<SessionId>) -> ApiResult<Response> {
    sign_ins::end_one(&app, &owner(&staff), &id).await?;
    let resp = no_content()?;
    if *id == staff.session_id {
        resp.headers().set("set-cookie", &cleared_cookie(STAFF_COOKIE, format!("/office/{}", staff.org.slug)))?;
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct Others {
    others: Option<bool>,
}

/// `?others=true`: Sign out everywhere else (required, so that a forgotten parameter ends nothing).
pub async fn end_others(app: Rc<App>, staff: Staff, Query(q): Query<Others>) -> ApiResult<Response> {
    if q.others != Some(true) {
        return Err(ApiError::invalid_field("others", "Say others=true to end every sign-in but this one."));
    }
    sign_ins::end_others(&app, &owner(&staff)).await?;
    no_content()
}
