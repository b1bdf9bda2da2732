//! A family's Makeup Tokens (from the Family details): the tokens issued to its students and Issue
//! Makeup Token. The same command as the JSON API (`commands::makeup_tokens`).

use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::{locations, LocationRow, StudentRow};
use crate::commands::families;
use crate::commands::makeup_tokens::{self, Issue, TokenView};
use crate::error::ApiResult;
use crate::http::{get, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::pages::form::*;
use crate::store::enrollments as enrollment_store;
use askama::Template;
use portal_core::ids::{FamilyId, StudentId};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org/families/:family_id/makeup-tokens", get(tokens_page).post(issue))
}

const FIELDS: &[&str] = &["student_id", "location_id", "expires_on", "reason"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IssueForm {
    student_id: String,
    location_id: String,
    expires_on: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "office/family_makeup_tokens.html")]
pub struct TokensPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    tokens: Vec<TokenView>,
    students: Vec<StudentRow>,
    locations: Vec<LocationRow>,
    form: IssueForm,
    errors: Errors,
}

impl TokensPage {
    fn student_name(&self, id: &StudentId) -> String {
        self.students.iter().find(|s| &s.id == id).map_or_else(|| "another student".into(), StudentRow::full_name)
    }
}

async fn page(app: &App, staff: &Staff, chrome: Chrome, family_id: FamilyId, form: IssueForm, errors: Errors) -> ApiResult<Response> {
    let family = families::find(app, &staff.org.id, &family_id).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = TokensPage {
        chrome: chrome.clone(),
        tokens: makeup_tokens::family_tokens(app, &staff.org, &family_id).await?,
        students: enrollment_store::family_students(&app.db, &family_id).await?,
        locations: locations(app, &staff.org).await?,
        family_id,
        family_name: family.name,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn tokens_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, FlashIn(flash): FlashIn, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    page(&app, &staff, chrome, family_id, IssueForm::default(), Errors::default()).await
}

pub async fn issue(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<IssueForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    if form.student_id.is_empty() {
        errors.field("student_id", "Choose the student.");
    }
    if form.location_id.is_empty() {
        errors.field("location_id", "Choose the location.");
    }
    if errors.is_empty() {
        let student_id = StudentId(form.student_id.clone());
        let issue = Issue { student_id: &student_id, location_id: &form.location_id, expires_on: form.expires_on.trim(), reason: Some(form.reason.as_str()) };
        match makeup_tokens::issue(&app, &staff.org, &staff.requester(), &family_id, issue).await {
            Ok(_) => return redirect_with(&org, &format!("families/{family_id}/makeup-tokens"), Flash::MakeupTokenIssued),
            Err(e) => errors.refusal(e, FIELDS)?,
        }
    }
    page(&app, &staff, chrome, family_id, form, errors).await
}
