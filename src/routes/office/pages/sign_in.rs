//! Staff sign in and sign out: the same command, throttles and session cookie as the API's
//! `/office/{org}/api/session`.

use super::frame::*;
use crate::app::App;
use crate::commands::sign_in;
use crate::context::Client;
use crate::error::{ApiError, ApiResult};
use crate::http::{cleared_cookie, get, post, see_other, Form, OrgSlug, Response, Router, STAFF_COOKIE};
use crate::routes::pages::form::*;
use crate::store::{invitations, sessions};
use askama::Template;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org", get(sign_in_page).post(sign_in)).route("/office/:org/sign-out", post(sign_out))
}

#[derive(Template)]
#[template(path = "office/sign_in.html")]
pub struct SignInPage {
    chrome: Chrome,
    email: String,
    errors: Errors,
}

/// The frame of a page before sign-in: the organization's name, or 404 for no such organization.
async fn chrome_for(app: &App, org: &str) -> ApiResult<Chrome> {
    match invitations::reset_organization(&app.db, org).await? {
        Some(o) => Ok(Chrome::of(org, &o.name)),
        None => Err(ApiError::route_not_found()),
    }
}

/// The Office Portal's entry page; a signed-in staff member goes on to FAMILIES.
pub async fn sign_in_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    if me.0.is_ok() {
        return see_other(&format!("/office/{org}/families"), &[]);
    }
    let chrome = chrome_for(&app, &org).await?.with_flash(flash);
    respond(200, &SignInPage { chrome: chrome.clone(), email: String::new(), errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
}

pub async fn sign_in(app: Rc<App>, OrgSlug(org): OrgSlug, client: Client, Form(form): Form<SignInForm>) -> ApiResult<Response> {
    let mut errors = Errors::default();
    let mut retry_after = None;
    if let Some(email) = sign_in_fields(&mut errors, &form.email, &form.password) {
        match sign_in::staff(&app, &org, &client, &email, &form.password).await {
            Ok(signed_in) => return see_other(&format!("/office/{org}/families"), &signed_in.session.cookies()),
            Err(e) => retry_after = sign_in_refusal(&mut errors, e)?,
        }
    }
    let status = if retry_after.is_some() { 429 } else { 422 };
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    let resp = respond(status, &SignInPage { chrome: chrome.clone(), email: form.email.trim().to_string(), errors }, &chrome)?;
    if let Some(seconds) = retry_after {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

/// Ends the session (as the API's sign-out does) whether or not it was still live: the staff
/// member asked to be signed out, and is.
pub async fn sign_out(app: Rc<App>, OrgSlug(org): OrgSlug, Form(_): Form<NoFields>, MaybeStaff(me): MaybeStaff) -> ApiResult<Response> {
    if let Ok(me) = me {
        sessions::end(&app.db, &me.session_id, "signed_out", app.now()).await?;
    }
    let cleared = cleared_cookie(STAFF_COOKIE, format!("/office/{org}"));
    see_other(&format!("/office/{org}"), &[cleared, Flash::SignedOut.cookie(&org)])
}
