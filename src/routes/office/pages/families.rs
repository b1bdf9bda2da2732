//! FAMILIES: the searchable, paged list of the organization's families, and creating a family
//! with its Primary Guardian.

use super::frame::*;
use crate::app::App;
use crate::commands::families::{self, FamilyListing};
use crate::error::ApiResult;
use crate::http::{get, Form, OrgSlug, Query, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::family::{parse_family_name, Contact};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families", get(families_page))
        .route("/office/:org/families/new", get(new_family_page).post(create_family))
}

#[derive(Template)]
#[template(path = "office/families.html")]
pub struct FamiliesPage {
    chrome: Chrome,
    q: String,
    families: Vec<FamilyListing>,
    page: i64,
    has_next: bool,
    errors: Errors,
}

impl FamiliesPage {
    /// The address of another page of the same search.
    pub fn page_href(&self, page: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        let path = format!("/office/{}/families", self.chrome.org);
        if query.is_empty() { path } else { format!("{path}?{query}") }
    }
}

#[derive(Deserialize)]
pub struct FamiliesQuery {
    #[serde(default)]
    q: String,
    page: Option<u32>,
}

pub async fn families_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Query(query): Query<FamiliesQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    let q = query.q.trim().to_string();
    let mut errors = Errors::default();
    let found = match families::families_page(&app, &staff.org.id, &q, i64::from(query.page.unwrap_or(1))).await {
        Ok(found) => Some(found),
        Err(e) => {
            errors.refusal(e, &["q"])?;
            None
        }
    };
    let chrome = chrome.with_errors(&errors);
    let status = if errors.is_empty() { 200 } else { 422 };
    let (families, page, has_next) = found.map(|f| (f.families, f.page, f.has_next)).unwrap_or((Vec::new(), 1, false));
    respond(status, &FamiliesPage { chrome: chrome.clone(), q, families, page, has_next, errors }, &chrome)
}

#[derive(Template)]
#[template(path = "office/new_family.html")]
pub struct NewFamilyPage {
    chrome: Chrome,
    form: NewFamilyForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewFamilyForm {
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}

pub async fn new_family_page(OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (_, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    respond(200, &NewFamilyPage { chrome: chrome.clone(), form: NewFamilyForm::default(), errors: Errors::default() }, &chrome)
}

/// A field that may be left empty.
fn optional(input: &str) -> Option<&str> {
    Some(input.trim()).filter(|s| !s.is_empty())
}

/// Creates the family with the command the API uses, then shows its Family details.
pub async fn create_family(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Form(form): Form<NewFamilyForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    let name = match parse_family_name(&form.name) {
        Ok(name) => Some(name),
        Err(e) => {
            errors.field("name", e.to_string());
            None
        }
    };
    let contact = Contact::parse(&form.first_name, &form.last_name, optional(&form.email), optional(&form.phone));
    let contact = match contact {
        Ok(contact) => Some(contact),
        Err(e) => {
            errors.refusal(e.into(), &["first_name", "last_name", "email", "phone"])?;
            None
        }
    };
    if let (Some(name), Some(contact)) = (name, contact) {
        match families::create(&app, &staff.org, &staff.requester(), name, contact).await {
            Ok(family_id) => return redirect_with(&org, &format!("families/{family_id}"), Flash::FamilyCreated),
            Err(e) => errors.refusal(e, &["email"])?,
        }
    }
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    respond(422, &NewFamilyPage { chrome: chrome.clone(), form, errors }, &chrome)
}
