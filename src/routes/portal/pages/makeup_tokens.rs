//! My Account, Your Student(s), Makeups: the Use Makeup Token page (a class of the token's location
//! and a date). It calls `commands::makeup_tokens`, as the JSON API does; the section on the account
//! page is `commands::makeup_tokens::makeup_tokens_section`.

use crate::routes::pages::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self as enrollments, ClassView, Family};
use crate::commands::makeup_tokens::TokenView;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, Form, OrgSlug, Path, Response, Router};
use askama::Template;
use portal_core::ids::{ClassId, MakeupTokenId};
use portal_core::settings::PortalOptions;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/account/makeup-tokens/:token_id/redeem", get(redeem_page).post(redeem))
}

const FIELDS: &[&str] = &["class_id", "date"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeemForm {
    class_id: String,
    date: String,
}

#[derive(Template)]
#[template(path = "portal/makeup_token_redeem.html")]
pub struct RedeemPage {
    chrome: Chrome,
    token: TokenView,
    student: String,
    /// The open classes of the token's location.
    classes: Vec<ClassView>,
    form: RedeemForm,
    errors: Errors,
}

async fn redeem_form(app: &App, family: &Family<'_>, options: &PortalOptions, chrome: Chrome, id: &MakeupTokenId, form: RedeemForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let token = family.makeup_token(app, options, id).await?;
    let student = family.student(app, &token.student_id).await?;
    let classes = enrollments::classes(app, family.org, true).await?.into_iter().filter(|c| c.location.id == token.location.id).collect();
    let page = RedeemPage { chrome: chrome.clone().with_errors(&errors), token, student: student.full_name(), classes, form, errors };
    respond(status, &page, &chrome)
}

pub async fn redeem_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<MakeupTokenId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    family.may_manage_visits()?;
    let token = family.makeup_token(&app, &me.options, &id).await?;
    if !token.available() {
        return Err(ApiError::conflict(ErrorCode::TokenNotAvailable, "This makeup token has already been used or has expired."));
    }
    redeem_form(&app, &family, &me.options, chrome, &id, RedeemForm::default(), Errors::default()).await
}

pub async fn redeem(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<MakeupTokenId>, Form(form): Form<RedeemForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    let mut errors = visit_errors(&form.class_id, &form.date, "makeup");
    if errors.is_empty() {
        match family.redeem_makeup_token(&app, &me.options, &id, &ClassId(form.class_id.clone()), form.date.trim()).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::MakeupTokenUsed),
            Err(e) if e.code == ErrorCode::ClassNotFound || e.code == ErrorCode::ClassFull => errors.refusal(e.at("class_id"), FIELDS)?,
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    redeem_form(&app, &family, &me.options, chrome, &id, form, errors).await
}
