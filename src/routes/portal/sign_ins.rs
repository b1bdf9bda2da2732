//! Signed-in devices (`/api/me/sessions`) and the Mobile App's refresh (`/api/session/refresh`).

use crate::app::App;
use crate::commands::sign_ins::{self, Owner, RefreshAnswer};
use crate::error::{ApiError, ApiResult};
use crate::http::{cleared_cookie, json, no_content, Customer, OrgSlug, Path, Query, Response, SignInJson, GUARDIAN_COOKIE};
use portal_core::ids::SessionId;
use serde::Deserialize;
use std::rc::Rc;

/// Every live sign-in of the person, in every family; this one marked `current`.
pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &sign_ins::list(&app, &owner(&me)).await?)
}

fn owner(me: &Customer) -> Owner<'_> {
    Owner::Person { person_id: &me.person_id, current_session_id: &me.session_id }
}

/// Ends one sign-in of the person's; ending this one signs out (the cookie goes too).
pub async fn end_one(app: Rc<App>, me: Customer, Path(id): Path<SessionId>) -> ApiResult<Response> {
    sign_ins::end_one(&app, &owner(&me), &id).await?;
    let resp = no_content()?;
    if *id == me.session_id {
        resp.headers().set("set-cookie", &cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{}", me.org.slug)))?;
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct Others {
    others: Option<bool>,
}

/// `?others=true`: Sign out everywhere else. Without it nothing is ended: a client that forgot the
/// parameter must not sign the person out of everything.
pub async fn end_others(app: Rc<App>, me: Customer, Query(q): Query<Others>) -> ApiResult<Response> {
    if q.others != Some(true) {
        return Err(ApiError::invalid_field("others", "Say others=true to end every sign-in but this one."));
    }
    sign_ins::end_others(&app, &owner(&me)).await?;
    no_content()
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

/// The Mobile App's refresh: a new access token and refresh token; the presented one is spent.
pub async fn refresh(app: Rc<App>, OrgSlug(org_slug): OrgSlug, SignInJson(body): SignInJson<RefreshBody>) -> ApiResult<Response> {
    let presented = sign_ins::presented(&app, &org_slug, &body.refresh_token).await?;
    Customer::of_session(&app, presented.claims(), &org_slug).await?;
    let session = sign_ins::rotate(&app, &org_slug, presented).await?;
    let tokens = session.app.as_ref().ok_or_else(|| ApiError::internal("a refresh without a refresh token"))?;
    json(200, &RefreshAnswer::of(&session, tokens))
}
