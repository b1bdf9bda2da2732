//! Sign in and sign out; Forgot password, and the e-mailed reset link.

use crate::routes::pages::form::*;
use super::frame::*;
use crate::context::Client;
use crate::app::App;
use crate::commands::links::{self};
use crate::commands::sign_in;
use crate::error::ApiResult;
use crate::http::{get, post, Router, 
    cleared_cookie, see_other, Response, Form, OrgSlug, GUARDIAN_COOKIE,
};
use crate::store::sessions;
use askama::Template;
use portal_core::sign_ins::SignInClient;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org", get(sign_in_page).post(sign_in))
        .route("/portal/:org/sign-out", post(sign_out))
        .route("/portal/:org/forgot-password", get(forgot_password_page).post(forgot_password))
        .route("/portal/:org/forgot-password/sent", get(reset_sent))
}

// Sign in and sign out.

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
pub struct SignInPage {
    chrome: Chrome,
    email: String,
    errors: Errors,
}

/// The portal's entry page; someone already signed in goes on to My Account.
pub async fn sign_in_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeCustomer) -> ApiResult<Response> {
    if me.0.is_ok() {
        return see_other(&format!("/portal/{org}/account"), &[]);
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

/// Signs in with the command the API uses; success sets the same session cookie and goes to My Account.
pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    client: Client,
    Form(form): Form<SignInForm>,
) -> ApiResult<Response> {
    let mut errors = Errors::default();
    let mut retry_after = None;
    if let Some(email) = sign_in_fields(&mut errors, &form.email, &form.password) {
        // No family named: the person's first family; the Family Switcher moves them on.
        match sign_in::guardian(&app, &org, &client, &email, &form.password, None, SignInClient::Browser).await {
            Ok(signed_in) => return see_other(&format!("/portal/{org}/account"), &signed_in.session.cookies()),
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

/// Ends the session (as the API's sign-out does) and clears the cookie, whether or not the session
/// was still live: the person asked to be signed out, and is.
pub async fn sign_out(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Form(_): Form<NoFields>,
    MaybeCustomer(me): MaybeCustomer,
) -> ApiResult<Response> {
    if let Ok(me) = me {
        sessions::end(&app.db, &me.session_id, "signed_out", app.now()).await?;
    }
    let cleared = cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{org}"));
    see_other(&format!("/portal/{org}"), &[cleared, Flash::SignedOut.cookie(&org)])
}

// ---------------------------------------------------------------------------------------------
// Forgot password (the e-mailed reset link is `links`).

#[derive(Template)]
#[template(path = "portal/forgot_password.html")]
pub struct ForgotPasswordPage {
    chrome: Chrome,
    email: String,
    errors: Errors,
}

pub async fn forgot_password_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?.with_flash(flash);
    respond(200, &ForgotPasswordPage { chrome: chrome.clone(), email: String::new(), errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

/// Asks for a reset link; the next page says the same whether or not the address has an account.
pub async fn forgot_password(app: Rc<App>, OrgSlug(org): OrgSlug, Form(form): Form<EmailForm>) -> ApiResult<Response> {
    let mut errors = Errors::default();
    if let Some(email) = email_field(&mut errors, "email", &form.email) {
        links::request_password_reset(&app, &org, email.as_str()).await?;
        return see_other(&format!("/portal/{org}/forgot-password/sent"), &[]);
    }
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    respond(422, &ForgotPasswordPage { chrome: chrome.clone(), email: form.email.trim().to_string(), errors }, &chrome)
}

#[derive(Template)]
#[template(path = "portal/reset_sent.html")]
pub struct ResetSentPage {
    chrome: Chrome,
}

pub async fn reset_sent(app: Rc<App>, OrgSlug(org): OrgSlug) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?;
    respond(200, &ResetSentPage { chrome: chrome.clone() }, &chrome)
}
