//! My Account, Your Student(s), Passes: the Redeem a Punch page (a class and a date for one
//! student, paid with one punch of a pass). It calls `commands::passes`, as the JSON API does; the
//! section on the account page is `commands::passes::passes_section`.

use crate::routes::pages::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{self as enrollments, ClassView, Family};
use crate::commands::passes::PassView;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, OrgSlug, Path, Query, Response, Router, Form};
use askama::Template;
use portal_core::ids::{ClassId, PassId, StudentId};
use portal_core::settings::PortalOptions;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/account/passes/:pass_id/redeem", get(redeem_page).post(redeem))
}

const FIELDS: &[&str] = &["class_id", "date"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RedeemForm {
    student_id: String,
    class_id: String,
    date: String,
}

#[derive(Template)]
#[template(path = "portal/pass_redeem.html")]
pub struct RedeemPage {
    chrome: Chrome,
    pass: PassView,
    student: String,
    classes: Vec<ClassView>,
    form: RedeemForm,
    errors: Errors,
}

async fn redeem_form(app: &App, family: &Family<'_>, options: &PortalOptions, chrome: Chrome, pass_id: &PassId, form: RedeemForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let section = family.passes(app, options).await?;
    let pass = section.passes.into_iter().find(|p| &p.id == pass_id).ok_or_else(crate::commands::passes::pass_not_found)?;
    let student = family.student(app, &StudentId(form.student_id.clone())).await?;
    let page = RedeemPage {
        chrome: chrome.clone().with_errors(&errors),
        pass,
        student: student.full_name(),
        classes: enrollments::classes(app, family.org, true).await?,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

/// Offered only where the family may redeem (else the page says why, as the API would).
async fn may_redeem(app: &App, family: &Family<'_>, options: &PortalOptions) -> ApiResult<()> {
    if family.passes(app, options).await?.may_redeem {
        return Ok(());
    }
    family.may_manage_visits()?;
    Err(ApiError::forbidden(ErrorCode::PassRedemptionDisabled, "This organization does not let families redeem passes in the Customer Portal."))
}

pub async fn redeem_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<PassId>,
    Query(form): Query<RedeemForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    may_redeem(&app, &family, &me.options).await?;
    redeem_form(&app, &family, &me.options, chrome, &id, form, Errors::default()).await
}

pub async fn redeem(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<PassId>, Form(form): Form<RedeemForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let family = me.family();
    let mut errors = visit_errors(&form.class_id, &form.date, "visit");
    if errors.is_empty() {
        let (student_id, class_id) = (StudentId(form.student_id.clone()), ClassId(form.class_id.clone()));
        match family.redeem_pass(&app, &me.options, &id, &student_id, &class_id, form.date.trim()).await {
            Ok(_) => return back_to_account(&org, "your-students", Flash::PunchRedeemed),
            Err(e) if e.code == ErrorCode::ClassNotFound => errors.refusal(e.at("class_id"), FIELDS)?,
            Err(e) if e.code == ErrorCode::ClassFull => errors.refusal(e.at("class_id"), FIELDS)?,
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    redeem_form(&app, &family, &me.options, chrome, &id, form, errors).await
}
