//! A family's Passes (from the Family details): the passes sold to it, Sell a Pass, and switching
//! a pass on or off. The same commands as the JSON API (`commands::passes`).

use super::frame::*;
use crate::app::App;
use crate::commands::{families, passes};
use crate::commands::enrollments::StudentRow;
use crate::commands::passes::{PassView, Sale};
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::pages::form::*;
use crate::store::enrollments as enrollment_store;
use askama::Template;
use portal_core::ids::{FamilyId, PassId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families/:family_id/passes", get(passes_page).post(sell))
        .route("/office/:org/passes/:pass_id/active", post(set_active))
}

const FIELDS: &[&str] = &["name", "punches", "amount", "expires_on", "student_id"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SellForm {
    name: String,
    punches: String,
    /// In dollars, like the ledger's forms.
    amount: String,
    expires_on: String,
    /// Empty: any student of the family.
    student_id: String,
}

#[derive(Template)]
#[template(path = "office/family_passes.html")]
pub struct PassesPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    passes: Vec<PassView>,
    students: Vec<StudentRow>,
    form: SellForm,
    errors: Errors,
}

impl PassesPage {
    fn student_name(&self, id: &StudentId) -> String {
        self.students.iter().find(|s| &s.id == id).map_or_else(|| "another student".into(), StudentRow::full_name)
    }
}

async fn page(app: &App, staff: &Staff, chrome: Chrome, family_id: FamilyId, form: SellForm, errors: Errors) -> ApiResult<Response> {
    let family = families::find(app, &staff.org.id, &family_id).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = PassesPage {
        chrome: chrome.clone(),
        passes: passes::family_passes(app, &staff.org, &family_id).await?,
        students: enrollment_store::family_students(&app.db, &family_id).await?,
        family_id,
        family_name: family.name,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn passes_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    FlashIn(flash): FlashIn,
    Path(family_id): Path<FamilyId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    page(&app, &staff, chrome, family_id, SellForm::default(), Errors::default()).await
}

pub async fn sell(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<SellForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    let punches = form.punches.trim().parse::<i64>().ok();
    if punches.is_none() {
        errors.field("punches", "Enter the number of punches, like 10.");
    }
    let amount = parse_money(&form.amount);
    if amount.is_none() {
        errors.field("amount", "Enter the amount paid in dollars, like 90.00.");
    }
    if let (Some(punches), Some(amount_paid_cents), true) = (punches, amount, errors.is_empty()) {
        let student_id = (!form.student_id.is_empty()).then(|| StudentId(form.student_id.clone()));
        let expires_on = Some(form.expires_on.trim()).filter(|d| !d.is_empty());
        let sale = Sale { name: &form.name, punches, amount_paid_cents, expires_on, student_id: student_id.as_ref() };
        match passes::sell(&app, &staff.org, &staff.requester(), &family_id, sale).await {
            Ok(_) => return redirect_with(&org, &format!("families/{family_id}/passes"), Flash::PassSold),
            Err(e) if e.field.as_deref() == Some("amount_paid_cents") => errors.refusal(e.at("amount"), FIELDS)?,
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    page(&app, &staff, chrome, family_id, form, errors).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActiveForm {
    /// "yes" or "no".
    active: String,
}

pub async fn set_active(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<PassId>, Form(form): Form<ActiveForm>) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    let active = form.active == "yes";
    let pass = passes::set_active(&app, &staff.org, &staff.requester(), &id, active).await?;
    let family_id = passes::family_of(&app, &staff.org, &pass.id).await?;
    let flash = if active { Flash::PassActivated } else { Flash::PassDeactivated };
    redirect_with(&org, &format!("families/{family_id}/passes"), flash)
}
