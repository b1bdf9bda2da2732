//! Signed-in devices of the staff member (reached from their name in the header): the list, with
//! **Sign out** per sign-in and **Sign out everywhere else**. The commands of
//! `/office/{org}/api/me/sessions`.

use super::frame::*;
use crate::app::App;
use crate::commands::sign_ins::{self, Owner, SignInView};
use crate::error::ApiResult;
use crate::http::{cleared_cookie, get, post, see_other, Form, OrgSlug, Path, Response, Router, Staff, STAFF_COOKIE};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::ids::SessionId;
use portal_core::time::Timestamp;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/signed-in-devices", get(devices_page))
        .route("/office/:org/signed-in-devices/sign-out-others", post(sign_out_others))
        .route("/office/:org/signed-in-devices/:session_id/sign-out", post(sign_out_one))
}

fn owner(staff: &Staff) -> Owner<'_> {
    Owner::Staff { staff_id: &staff.id, current_session_id: &staff.session_id }
}

/// A sign-in with its times as staff read them.
pub struct SignInLine {
    pub view: SignInView,
    pub began: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "office/devices.html")]
pub struct DevicesPage {
    chrome: Chrome,
    email: String,
    sign_ins: Vec<SignInLine>,
}

pub async fn devices_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let readable = |at: &str| Timestamp::parse_rfc3339(at).map(staff_time).unwrap_or_default();
    let sign_ins = sign_ins::list(&app, &owner(&staff))
        .await?
        .sessions
        .into_iter()
        .map(|view| SignInLine { began: readable(&view.created_at), last_used: readable(&view.last_seen_at), view })
        .collect();
    let page = DevicesPage { chrome: chrome.clone(), email: staff.email.clone(), sign_ins };
    respond(200, &page, &chrome)
}

/// Sign out one sign-in; this device's is signing out (to the sign-in page).
pub async fn sign_out_one(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<SessionId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    sign_ins::end_one(&app, &owner(&staff), &id).await?;
    if *id == staff.session_id {
        let cleared = cleared_cookie(STAFF_COOKIE, format!("/office/{org}"));
        return see_other(&format!("/office/{org}"), &[cleared, Flash::SignedOut.cookie(&org)]);
    }
    redirect_with(&org, "signed-in-devices", Flash::DeviceSignedOut)
}

pub async fn sign_out_others(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    sign_ins::end_others(&app, &owner(&staff)).await?;
    redirect_with(&org, "signed-in-devices", Flash::OthersSignedOut)
}
