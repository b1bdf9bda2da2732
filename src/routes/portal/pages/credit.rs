//! Apply Credit, from the Payments section of My Account: the same command as the JSON API.

use super::frame::*;
use crate::app::App;
use crate::commands::credit;
use crate::error::{ApiResult, ErrorCode};
use crate::http::{post, Form, OrgSlug, Response, Router};
use crate::routes::pages::form::NoFields;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/account/payments/apply-credit", post(apply_credit))
}

pub async fn apply_credit(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    match credit::apply(&app, &me.account(), me.options.show_credit, None).await {
        Ok(_) => back_to_account(&org, "payments", Flash::CreditApplied),
        // A second click, or another device, applied it first.
        Err(e) if e.code == ErrorCode::NothingToApply => back_to_account(&org, "payments", Flash::NoCreditToApply),
        Err(e) => Err(e),
    }
}
