//! Requests: the families' drop, transfer and makeup requests waiting for staff, each with Approve and
//! Deny (Deny on its own page, which asks for a note to the family), and the decided ones below.
//! The commands of the JSON API's `/requests`; the family is e-mailed each outcome.

use super::frame::*;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{self, RequestView};
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Path, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::ids::RequestId;
use serde::Deserialize;
use std::rc::Rc;

/// The decided requests shown under the pending ones, newest first.
const DECIDED_SHOWN: usize = 50;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/requests", get(requests_page))
        .route("/office/:org/requests/:request_id/approve", post(approve))
        .route("/office/:org/requests/:request_id/deny", get(deny_page).post(deny))
}

/// A request as the page shows it.
pub struct RequestLine {
    pub request: RequestView,
    pub requested_at: String,
    pub decided_at: Option<String>,
}

impl RequestLine {
    fn of(request: RequestView) -> Self {
        RequestLine { requested_at: when(&request.requested_at), decided_at: request.decided_at.as_deref().map(when), request }
    }
}

#[derive(Template)]
#[template(path = "office/requests.html")]
pub struct RequestsPage {
    chrome: Chrome,
    pending: Vec<RequestLine>,
    decided: Vec<RequestLine>,
    more_decided: bool,
    errors: Errors,
}

async fn list(app: &App, chrome: Chrome, org: &OrgContext, errors: Errors, status: u16) -> ApiResult<Response> {
    let (pending, decided): (Vec<_>, Vec<_>) = enrollments::requests(app, org, None).await?.into_iter().partition(RequestView::is_pending);
    let chrome = chrome.at(Section::Requests).with_errors(&errors);
    let more_decided = decided.len() > DECIDED_SHOWN;
    let page = RequestsPage {
        chrome: chrome.clone(),
        pending: pending.into_iter().map(RequestLine::of).collect(),
        decided: decided.into_iter().take(DECIDED_SHOWN).map(RequestLine::of).collect(),
        more_decided,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn requests_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    list(&app, chrome, &staff.org, Errors::default(), 200).await
}

/// Approve: a request decided meanwhile (or a class now full) is said on the list, with its status.
pub async fn approve(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<RequestId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    match crate::commands::requests::decide(&app, &staff.org, &staff.requester(), &id, true, None).await {
        Ok(_) => redirect_with(&org, "requests", Flash::RequestApproved),
        Err(e) => {
            let status = e.status;
            let mut errors = Errors::default();
            errors.refusal(e, &[])?;
            list(&app, chrome, &staff.org, errors, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "office/requests_deny.html")]
pub struct DenyPage {
    chrome: Chrome,
    line: RequestLine,
    note: String,
    errors: Errors,
}

fn deny_form(chrome: Chrome, request: RequestView, note: String, errors: Errors, status: u16) -> ApiResult<Response> {
    let chrome = chrome.at(Section::Requests).with_errors(&errors);
    respond(status, &DenyPage { chrome: chrome.clone(), line: RequestLine::of(request), note, errors }, &chrome)
}

pub async fn deny_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff, Path(id): Path<RequestId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let request = enrollments::find_request(&app, &staff.org, &id).await?;
    deny_form(chrome, request, String::new(), Errors::default(), 200)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DenyForm {
    pub note: String,
}

/// Deny, with the note the family reads in the e-mail.
pub async fn deny(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<RequestId>, Form(form): Form<DenyForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    match crate::commands::requests::decide(&app, &staff.org, &staff.requester(), &id, false, Some(&form.note)).await {
        Ok(_) => redirect_with(&org, "requests", Flash::RequestDenied),
        Err(e) => {
            let status = e.status;
            let mut errors = Errors::default();
            errors.refusal(e, &["note"])?;
            let request = enrollments::find_request(&app, &staff.org, &id).await?;
            deny_form(chrome, request, form.note, errors, status)
        }
    }
}
