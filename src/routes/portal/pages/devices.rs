//! Signed-in devices, on My Account's Login/Security part: **Sign out** one sign-in, **Sign out
//! everywhere else**. The commands of `DELETE /api/me/sessions[/{id}]`.

use super::frame::*;
use crate::app::App;
use crate::commands::sign_ins::{self, Owner};
use crate::error::ApiResult;
use crate::http::{cleared_cookie, post, see_other, Form, OrgSlug, Path, Response, Router, GUARDIAN_COOKIE};
use crate::routes::pages::form::NoFields;
use portal_core::ids::SessionId;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/sessions/sign-out-others", post(sign_out_others))
        .route("/portal/:org/account/sessions/:session_id/sign-out", post(sign_out_one))
}

/// Sign out one sign-in; this device's is signing out (to the sign-in page, as the header's button).
pub async fn sign_out_one(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<SessionId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    sign_ins::end_one(&app, &Owner::Person { person_id: &me.person_id, current_session_id: &me.session_id }, &id).await?;
    if *id == me.session_id {
        let cleared = cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{org}"));
        return see_other(&format!("/portal/{org}"), &[cleared, Flash::SignedOut.cookie(&org)]);
    }
    back_to_account(&org, "login-security", Flash::DeviceSignedOut)
}

pub async fn sign_out_others(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    sign_ins::end_others(&app, &Owner::Person { person_id: &me.person_id, current_session_id: &me.session_id }).await?;
    back_to_account(&org, "login-security", Flash::OthersSignedOut)
}
