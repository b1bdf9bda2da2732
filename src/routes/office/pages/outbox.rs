//! Failed e-mails: what could not be delivered, to whom and why, with Send again once the cause is
//! fixed (owners and admins, as in the API). The commands of the JSON API's
//! `GET /outbox?status=failed` and `POST /outbox/{id}/retry`.

use super::frame::*;
use crate::app::App;
use crate::commands::failed_emails::{self, FailedEmail};
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::bodies::OutboxId;
use crate::routes::pages::form::*;
use askama::Template;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/outbox", get(outbox_page))
        .route("/office/:org/outbox/:outbox_id/retry", post(send_again))
}

/// A failed e-mail as the list shows it.
pub struct FailedLine {
    pub email: FailedEmail,
    pub failed_at: String,
}

#[derive(Template)]
#[template(path = "office/outbox.html")]
pub struct OutboxPage {
    chrome: Chrome,
    may_send_again: bool,
    messages: Vec<FailedLine>,
    errors: Errors,
}

async fn list(app: &App, staff: &Staff, chrome: Chrome, errors: Errors, status: u16) -> ApiResult<Response> {
    let messages = failed_emails::list(app, Some(&staff.org.id)).await?.messages;
    let chrome = chrome.at(Section::Settings).with_errors(&errors);
    let page = OutboxPage {
        chrome: chrome.clone(),
        may_send_again: staff.require_settings_role().is_ok(),
        messages: messages.into_iter().map(|email| FailedLine { failed_at: when(&email.failed_at), email }).collect(),
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn outbox_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    list(&app, &staff, chrome, Errors::default(), 200).await
}

/// Send again: an e-mail sent or re-sent meanwhile is said on the list, with its status.
pub async fn send_again(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(OutboxId(id)): Path<OutboxId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    staff.require_settings_role()?;
    match failed_emails::retry(&app, &id, Some(&staff.org.id)).await {
        Ok(_) => redirect_with(&org, "outbox", Flash::EmailSentAgain),
        Err(e) => {
            let status = e.status;
            let mut errors = Errors::default();
            errors.refusal(e, &[])?;
            list(&app, &staff, chrome, errors, status).await
        }
    }
}
