//! Account Information's contact points in My Account: Add Mailing Address, Add Email, Add Phone,
//! edit (opt-outs, reassign to a guardian or Unassigned) and delete, each a form answering with a
//! 303 back to My Account. The same commands as the JSON API (`commands::contact_points`).

use super::frame::*;
use crate::app::App;
use crate::commands::contact_points::{self as commands, AddressEdit, Edit, NewValues, PointView, Who};
use crate::error::ApiResult;
use crate::http::{get, post, Customer, Form, OrgSlug, Path, PathParam, Response, Router};
use crate::routes::pages::form::*;
use crate::store::contact_points::Table;
use askama::Template;
use portal_core::contact::{AddressInput, Editor};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/contact-points/:list", get(new_page).post(create))
        .route("/portal/:org/account/contact-points/:list/:id", get(edit_page).post(update))
        .route("/portal/:org/account/contact-points/:list/:id/delete", post(delete))
}

/// Which list a page is about: `addresses`, `emails` or `phones` in the address.
pub struct List(String);

impl From<String> for List {
    fn from(s: String) -> Self {
        List(s)
    }
}

impl PathParam for List {
    const NAME: &'static str = "list";
}

pub struct PointId(String);

impl From<String> for PointId {
    fn from(s: String) -> Self {
        PointId(s)
    }
}

impl PathParam for PointId {
    const NAME: &'static str = "id";
}

impl List {
    /// The table, the list's name in addresses, and its Add page's title.
    fn parts(&self) -> Option<(Table, &'static str, &'static str)> {
        match self.0.as_str() {
            "addresses" => Some((Table::Addresses, "addresses", "Add Mailing Address")),
            "emails" => Some((Table::Emails, "emails", "Add Email")),
            "phones" => Some((Table::Phones, "phones", "Add Phone")),
            _ => None,
        }
    }
}

fn who(me: &Customer) -> Who<'_> {
    Who {
        org_id: &me.org.id,
        family_id: &me.me.family_id,
        editor: Editor::Guardian { guardian_id: me.me.id.clone(), is_primary: me.me.is_primary },
        session_id: Some(&me.session_id),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PointForm {
    /// A guardian id, or empty for Unassigned.
    owner: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    email: String,
    subscribed: Option<String>,
    number: String,
    kind: String,
    sms_subscribed: Option<String>,
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl PointForm {
    fn address(&self) -> AddressInput {
        AddressInput {
            line1: self.line1.clone(),
            line2: optional(&self.line2),
            city: self.city.clone(),
            region: optional(&self.region),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        }
    }

    fn new_values(&self, table: Table) -> NewValues {
        match table {
            Table::Addresses => NewValues::Address(self.address()),
            Table::Emails => NewValues::Email { email: self.email.clone(), subscribed: Some(self.subscribed.is_some()) },
            Table::Phones => NewValues::Phone { number: self.number.clone(), kind: Some(self.kind.clone()), sms_subscribed: Some(self.sms_subscribed.is_some()) },
        }
    }

    /// Every field of the list as the form has it (an unchanged login e-mail is left out).
    fn edit(&self, table: Table, is_login: bool) -> Edit {
        let owner = (!is_login).then(|| optional(&self.owner));
        match table {
            Table::Addresses => {
                let a = self.address();
                Edit {
                    guardian_id: owner,
                    address: AddressEdit { line1: Some(a.line1), line2: Some(a.line2), city: Some(a.city), region: Some(a.region), postal_code: Some(a.postal_code), country: Some(a.country) },
                    ..Edit::default()
                }
            }
            Table::Emails => Edit { guardian_id: owner, email: (!is_login).then(|| self.email.clone()), subscribed: Some(self.subscribed.is_some()), ..Edit::default() },
            Table::Phones => Edit {
                guardian_id: owner,
                number: Some(self.number.clone()),
                kind: Some(self.kind.clone()),
                sms_subscribed: Some(self.sms_subscribed.is_some()),
                ..Edit::default()
            },
        }
    }

    fn of(point: &PointView) -> PointForm {
        let yes = |b: bool| b.then(|| "yes".to_string());
        match point {
            PointView::Address(a) => PointForm {
                owner: a.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                line1: a.line1.clone(),
                line2: a.line2.clone().unwrap_or_default(),
                city: a.city.clone(),
                region: a.region.clone().unwrap_or_default(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
                ..PointForm::default()
            },
            PointView::Email(e) => PointForm {
                owner: e.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                email: e.email.clone(),
                subscribed: yes(e.subscribed),
                ..PointForm::default()
            },
            PointView::Phone(p) => PointForm {
                owner: p.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                number: p.number.clone(),
                kind: p.kind.as_str().to_string(),
                sms_subscribed: yes(p.sms_subscribed),
                ..PointForm::default()
            },
        }
    }
}

#[derive(Template)]
#[template(path = "portal/contact_point_form.html")]
pub struct PointPage {
    chrome: Chrome,
    title: String,
    button: &'static str,
    action: String,
    list: &'static str,
    owners: Vec<(String, String)>,
    is_login: bool,
    form: PointForm,
    errors: Errors,
}

const FIELDS: &[&str] = &["owner", "line1", "line2", "city", "region", "postal_code", "country", "email", "number", "kind"];

/// The form page: its owners are those the guardian may add to, plus the value's own owner.
#[allow(clippy::too_many_arguments)]
async fn page(app: &App, me: &Customer, chrome: Chrome, list: &'static str, title: String, action: String, form: PointForm, is_login: bool, errors: Errors) -> ApiResult<Response> {
    let section = commands::contact_info(app, &me.me.family_id).await?.section(&who(me).editor);
    let mut owners = section.owners;
    if !owners.iter().any(|(id, _)| *id == form.owner) {
        let name = section.groups.iter().find(|g| form.owner.is_empty() && g.name == "Unassigned").map(|g| g.name.clone());
        owners.insert(0, (form.owner.clone(), name.unwrap_or_else(|| "Its current guardian".into())));
    }
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.with_errors(&errors);
    let button = if action.ends_with(list) { "Add" } else { "Save" };
    let page = PointPage { chrome: chrome.clone(), title, button, action, list, owners, is_login, form, errors };
    respond(status, &page, &chrome)
}

pub async fn new_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(list): Path<List>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let Some((_, name, title)) = list.parts() else { return not_found() };
    let form = PointForm { owner: me.me.id.to_string(), kind: "mobile".into(), subscribed: Some("yes".into()), sms_subscribed: Some("yes".into()), ..PointForm::default() };
    page(&app, &me, chrome, name, title.into(), format!("/portal/{org}/account/contact-points/{name}"), form, false, Errors::default()).await
}

pub async fn create(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(list): Path<List>, Form(form): Form<PointForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let Some((table, name, title)) = list.parts() else { return not_found() };
    let mut errors = Errors::default();
    match commands::add(&app, &who(&me), optional(&form.owner).as_deref(), form.new_values(table)).await {
        Ok(_) => return back_to_account(&org, "account-information", Flash::ContactPointSaved),
        Err(e) => errors.refusal(e.at_form_field(), FIELDS)?,
    }
    page(&app, &me, chrome, name, title.into(), format!("/portal/{org}/account/contact-points/{name}"), form, false, errors).await
}

fn is_login(point: &PointView) -> bool {
    matches!(point, PointView::Email(e) if e.is_login)
}

pub async fn edit_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(list): Path<List>, Path(id): Path<PointId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let Some((table, name, _)) = list.parts() else { return not_found() };
    let point = commands::find(&app, &me.me.family_id, table, &id.0).await?;
    let action = format!("/portal/{org}/account/contact-points/{name}/{}", id.0);
    page(&app, &me, chrome, name, "Edit Contact Information".into(), action, PointForm::of(&point), is_login(&point), Errors::default()).await
}

pub async fn update(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(list): Path<List>, Path(id): Path<PointId>, Form(form): Form<PointForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let Some((table, name, _)) = list.parts() else { return not_found() };
    let point = commands::find(&app, &me.me.family_id, table, &id.0).await?;
    let login = is_login(&point);
    let mut errors = Errors::default();
    match commands::edit(&app, &who(&me), table, &id.0, form.edit(table, login)).await {
        Ok(_) => return back_to_account(&org, "account-information", Flash::ContactPointSaved),
        Err(e) => errors.refusal(e.at_form_field(), FIELDS)?,
    }
    let mut form = form;
    if login {
        form.email = PointForm::of(&point).email;
    }
    let action = format!("/portal/{org}/account/contact-points/{name}/{}", id.0);
    page(&app, &me, chrome, name, "Edit Contact Information".into(), action, form, login, errors).await
}

pub async fn delete(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(list): Path<List>, Path(id): Path<PointId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let Some((table, _, _)) = list.parts() else { return not_found() };
    commands::delete(&app, &who(&me), table, &id.0).await?;
    back_to_account(&org, "account-information", Flash::ContactPointDeleted)
}

trait AtFormField {
    /// The API's `guardian_id` is the form's `owner`.
    fn at_form_field(self) -> Self;
}

impl AtFormField for crate::error::ApiError {
    fn at_form_field(self) -> Self {
        if self.field.as_deref() == Some("guardian_id") { self.at("owner") } else { self }
    }
}
