//! "Access End Date" for a secondary, from the guardian's card on My Account: the Primary Guardian
//! sets, extends or clears the day their access ends, with the command the API's `access-end`
//! calls. A date before today comes back with the error beside the field.

use super::frame::*;
use crate::app::App;
use crate::commands::access::load_target;
use crate::commands::access_end::set_access_end;
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Path, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::access_end::parse_ends_on;
use portal_core::ids::GuardianId;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/guardians/:guardian_id/access-end", get(access_end_page).post(save))
        .route("/portal/:org/account/guardians/:guardian_id/access-end/clear", post(clear))
}

#[derive(Template)]
#[template(path = "portal/access_end.html")]
pub struct AccessEndPage {
    chrome: Chrome,
    guardian_id: String,
    name: String,
    /// The day on file, if any (the Clear button is offered then).
    on_file: Option<String>,
    ends_on: String,
    time_zone: &'static str,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccessEndForm {
    ends_on: String,
}

pub async fn access_end_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    me.require_primary()?;
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    if target.family_id != me.me.family_id {
        return Err(portal_core::access::AccessError::GuardianNotFound.into());
    }
    let page = AccessEndPage {
        chrome: chrome.clone(),
        guardian_id: target.id.clone(),
        name: target.full_name(),
        ends_on: target.access_ends_on.clone().unwrap_or_default(),
        on_file: target.access_ends_on.clone(),
        time_zone: me.options.time_zone.name(),
        errors: Errors::default(),
    };
    respond(200, &page, &chrome)
}

/// "Save End Date".
pub async fn save(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(form): Form<AccessEndForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    let outcome = match parse_ends_on(&form.ends_on) {
        Ok(day) => set_access_end(&app, &me.org, &me.me, &me.options.time_zone, &guardian_id, Some(day)).await,
        Err(e) => Err(e.into()),
    };
    let target = match outcome {
        Ok(_) => return back_to_account(&org, "account-information", Flash::AccessEndSaved),
        Err(e) => {
            errors.refusal(e, &["ends_on"])?;
            load_target(&app, &me.org, &guardian_id).await?.0
        }
    };
    let page = AccessEndPage {
        chrome: chrome.clone().with_errors(&errors),
        guardian_id: target.id.clone(),
        name: target.full_name(),
        on_file: target.access_ends_on.clone(),
        ends_on: form.ends_on,
        time_zone: me.options.time_zone.name(),
        errors,
    };
    respond(422, &page, &chrome)
}

/// "Clear End Date": their access no longer ends by itself.
pub async fn clear(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    set_access_end(&app, &me.org, &me.me, &me.options.time_zone, &guardian_id, None).await?;
    back_to_account(&org, "account-information", Flash::AccessEndCleared)
}
