//! Account Information's contact points in My Account: Add Mailing Address, Add Email, Add Phone,
//! edit (opt-outs, reassign to a guardian or Unassigned) and delete, each a form answering with a
//! 303 back to My Account. The same commands as the JSON API (`commands::contact_points`).

use super::frame::*;
use crate::app::App;
use crate::commands::contact_points::{self as commands, Who};
use crate::error::ApiResult;
use crate::http::{get, post, Customer, Form, OrgSlug, Path, Response, Router};
use crate::routes::pages::contact_points::*;
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::contact::Editor;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/contact-points/:list", get(new_page).post(create))
        .route("/portal/:org/account/contact-points/:list/:id", get(edit_page).post(update))
        .route("/portal/:org/account/contact-points/:list/:id/delete", post(delete))
}

fn who(me: &Customer) -> Who<'_> {
    Who {
        org_id: &me.org.id,
        family_id: &me.me.family_id,
        editor: Editor::Guardian { guardian_id: me.me.id.clone(), is_primary: me.me.is_primary },
        session_id: Some(&me.session_id),
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
    /// False: a login e-mail's address is not a field here (Change Login E-mail changes it).
    staff: bool,
    form: PointForm,
    errors: Errors,
}

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
    let page = PointPage { chrome: chrome.clone(), title, button, action, list, owners, is_login, staff: false, form, errors };
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
