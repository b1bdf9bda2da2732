//! Change Login Email (issue 26): the form in My Account (new address, current password), and the
//! link e-mailed to the new address: a page that shows the change and a button that confirms it
//! (opening the link alone changes nothing, so a mail scanner following it does no harm), or a
//! page of its own for a link that is expired, used or not ours.

use crate::routes::pages::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::email_change::{self, usable_link};
use crate::context::Client;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, see_other, Form, OrgSlug, Path, Response, Router};
use askama::Template;
use portal_core::ids::LinkToken;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/login-email", get(change_page).post(change))
        .route("/portal/:org/email-change/:token", get(confirm_page).post(confirm))
}

const FIELDS: &[&str] = &["new_email", "current_password"];

#[derive(Template)]
#[template(path = "portal/change_login_email.html")]
pub struct ChangeLoginEmailPage {
    chrome: Chrome,
    current_email: String,
    new_email: String,
    errors: Errors,
}

pub async fn change_page(OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let page = ChangeLoginEmailPage { chrome: chrome.clone(), current_email: me.email.unwrap_or_default(), new_email: String::new(), errors: Errors::default() };
    respond(200, &page, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    new_email: String,
    current_password: String,
}

/// Sends the link with the API's command; My Account then says to look in the new inbox.
pub async fn change(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, client: Client, Form(form): Form<ChangeForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    if form.new_email.trim().is_empty() {
        errors.field("new_email", "Enter the new e-mail address.");
    }
    if form.current_password.is_empty() {
        errors.field("current_password", "Enter your current password.");
    }
    let mut status = 422;
    if errors.is_empty() {
        match email_change::request(&app, &me.signed_in(), &client, &form.new_email, &form.current_password).await {
            Ok(()) => return back_to_account(&org, "account-information", Flash::CheckNewInbox),
            Err(e) if e.status == 429 => {
                status = 429;
                errors.form(e.message.clone());
            }
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    let page = ChangeLoginEmailPage {
        chrome: chrome.clone().with_errors(&errors),
        current_email: me.email.unwrap_or_default(),
        new_email: form.new_email,
        errors,
    };
    respond(status, &page, &chrome)
}

#[derive(Template)]
#[template(path = "portal/confirm_login_email.html")]
pub struct ConfirmPage {
    chrome: Chrome,
    token: LinkToken,
    first_name: String,
    new_email: String,
}

#[derive(Template)]
#[template(path = "portal/link_problem.html")]
pub struct LinkProblemPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
    next_step: String,
    link_href: String,
    link_text: &'static str,
}

/// A link that does not work: not found, expired or used, each with its words and what to do.
async fn link_problem(app: &App, org: &str, e: ApiError) -> ApiResult<Response> {
    let title = match e.code {
        ErrorCode::EmailChangeLinkNotFound => "Link not found",
        ErrorCode::EmailChangeLinkExpired => "This link has expired",
        ErrorCode::EmailChangeLinkUsed => "This link has already been used",
        ErrorCode::EmailInUse => "That e-mail address is taken",
        _ => return Err(e),
    };
    let next_step = if e.code == ErrorCode::EmailChangeLinkUsed {
        "If you confirmed the change, sign in with your new e-mail address. Otherwise, sign in and ask again under Change Login Email."
    } else {
        "Sign in with the e-mail address you use now and ask again under Change Login Email in My Account."
    };
    let chrome = chrome_for(app, org).await?;
    let page = LinkProblemPage {
        chrome: chrome.clone(),
        title,
        message: e.message.clone(),
        next_step: next_step.to_string(),
        link_href: format!("/portal/{org}/account#account-information"),
        link_text: "Go to My Account",
    };
    respond(e.status, &page, &chrome)
}

/// The link's page: what confirming will do, and the button; nothing changes until it is pressed.
pub async fn confirm_page(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    match usable_link(&app, &org, &token).await {
        Ok(change) => {
            let chrome = Chrome::of(&org, change.org_name);
            let page = ConfirmPage { chrome: chrome.clone(), token, first_name: change.first_name, new_email: change.new_email };
            respond(200, &page, &chrome)
        }
        Err(e) => link_problem(&app, &org, e).await,
    }
}

/// Confirms with the command; My Account (or sign-in, in a browser without the session that
/// asked) says the login is the new address now.
pub async fn confirm(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    match email_change::confirm(&app, &org, &token).await {
        Ok(_) => see_other(&format!("/portal/{org}/account#account-information"), &[Flash::LoginEmailChanged.cookie(&org)]),
        Err(e) => link_problem(&app, &org, e).await,
    }
}
