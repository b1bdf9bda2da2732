//! "Leave this family" on My Account: a confirmation page saying what leaving does, then the
//! command the API's `me/leave-family` calls. Leaving ends this session too, so the person lands on
//! the sign-in page, where they can sign in to their other families.

use super::frame::*;
use crate::app::App;
use crate::commands::leaving::leave_family;
use crate::error::ApiResult;
use crate::http::{cleared_cookie, get, see_other, Form, OrgSlug, Response, Router, GUARDIAN_COOKIE};
use crate::routes::pages::form::*;
use askama::Template;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/account/leave-family", get(confirm_page).post(leave))
}

#[derive(Template)]
#[template(path = "portal/leave_family.html")]
pub struct LeaveFamilyPage {
    chrome: Chrome,
    family_name: String,
    is_primary: bool,
}

pub async fn confirm_page(OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let page = LeaveFamilyPage { chrome: chrome.clone(), family_name: me.family_name.clone(), is_primary: me.me.is_primary };
    respond(200, &page, &chrome)
}

/// "Leave this family", confirmed by pressing the button on the confirmation page.
pub async fn leave(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    leave_family(&app, &me.org, &me.me, &me.person_id, true).await?;
    let cleared = cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{org}"));
    see_other(&format!("/portal/{org}"), &[cleared, Flash::LeftFamily.cookie(&org)])
}
