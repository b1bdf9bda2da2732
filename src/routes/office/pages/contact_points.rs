//! A family's Contact Info tab: its addresses, e-mails and phones per guardian with an Unassigned
//! group, and Add Mailing Address, Add Email, Add Phone, edit (opt-outs, reassign), delete, each a
//! form answering with a 303 back to the tab. The same commands as the staff JSON API
//! (`commands::contact_points`, as `Editor::Staff`) and the same forms as My Account's.

use super::frame::*;
use crate::app::App;
use crate::commands::contact_points::{self as commands, ContactSection, Who};
use crate::commands::families;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Form, FromRequest, OrgSlug, Path, PathParam, RequestParts, Response, Router, Staff};
use crate::routes::pages::contact_points::*;
use crate::routes::pages::form::*;
use crate::store::contact_points::Table;
use askama::Template;
use portal_core::contact::Editor;
use portal_core::ids::FamilyId;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families/:family_id/contact-info", get(contact_info_page))
        .route("/office/:org/families/:family_id/contact-info/:list", get(new_page).post(create))
        .route("/office/:org/families/:family_id/contact-info/:list/:id", get(edit_page).post(update))
        .route("/office/:org/families/:family_id/contact-info/:list/:id/delete", post(delete))
}

/// The family's Contact Info tab, where each form here leads back to.
fn tab_path(family_id: &FamilyId) -> String {
    format!("families/{family_id}/contact-info")
}

/// Staff act in one of their organization's families: another's is not found. Gives the family's
/// name and who edits.
async fn in_family<'a>(app: &App, staff: &'a Staff, family_id: &'a FamilyId) -> ApiResult<(String, Who<'a>)> {
    let family = families::find(app, &staff.org.id, family_id).await?;
    Ok((family.name, Who { org_id: &staff.org.id, family_id, editor: Editor::Staff, session_id: None }))
}

/// `{family_id}/contact-info/{list}/{id}` in one (a handler takes at most six extractors).
pub struct PointAt {
    family_id: FamilyId,
    list: List,
    id: PointId,
}

impl FromRequest for PointAt {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let param = |name: &str| parts.param(name).map(str::to_string);
        Ok(PointAt { family_id: FamilyId(param(FamilyId::NAME)?), list: List::from(param(List::NAME)?), id: PointId(param(PointId::NAME)?) })
    }
}

#[derive(Template)]
#[template(path = "office/contact_points.html")]
pub struct ContactInfoPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    /// The family tab shown.
    current: &'static str,
    contact: ContactSection,
}

impl ContactInfoPage {
    /// Where each value's Edit and Delete lead.
    fn base(&self) -> String {
        format!("/office/{}/{}", self.chrome.org, tab_path(&self.family_id))
    }
}

pub async fn contact_info_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    let (family_name, who) = in_family(&app, &staff, &family_id).await?;
    let contact = commands::contact_info(&app, &family_id).await?.section(&who.editor);
    let page = ContactInfoPage { chrome: chrome.clone(), family_id: family_id.clone(), family_name, current: "contact-info", contact };
    respond(200, &page, &chrome)
}

#[derive(Template)]
#[template(path = "office/contact_point_form.html")]
pub struct PointPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    title: &'static str,
    button: &'static str,
    action: String,
    list: &'static str,
    owners: Vec<(String, String)>,
    is_login: bool,
    /// Staff see a login e-mail's address as a field (a change is refused with the reason).
    staff: bool,
    form: PointForm,
    errors: Errors,
}

/// What a form page shows besides the form: which list, its title and button, where it posts.
struct Shown {
    list: &'static str,
    title: &'static str,
    button: &'static str,
    action: String,
    is_login: bool,
}

async fn page(app: &App, who: &Who<'_>, chrome: Chrome, family_name: String, shown: Shown, form: PointForm, errors: Errors) -> ApiResult<Response> {
    let owners = commands::contact_info(app, who.family_id).await?.section(&who.editor).owners;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = PointPage {
        chrome: chrome.clone(),
        family_id: FamilyId(who.family_id.to_string()),
        family_name,
        title: shown.title,
        button: shown.button,
        action: shown.action,
        list: shown.list,
        owners,
        is_login: shown.is_login,
        staff: true,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

fn adding(org: &str, family_id: &FamilyId, list: &List) -> Option<(Table, Shown)> {
    let (table, name, title) = list.parts()?;
    let action = format!("/office/{org}/{}/{name}", tab_path(family_id));
    Some((table, Shown { list: name, title, button: "Add", action, is_login: false }))
}

fn editing(org: &str, family_id: &FamilyId, name: &'static str, id: &PointId, is_login: bool) -> Shown {
    let action = format!("/office/{org}/{}/{name}/{}", tab_path(family_id), id.0);
    Shown { list: name, title: "Edit Contact Information", button: "Save", action, is_login }
}

/// A refusal as staff read it: the command's login e-mail message names the customer's way.
fn for_staff(e: ApiError) -> ApiError {
    if e.code == ErrorCode::LoginEmail {
        ApiError::conflict(
            ErrorCode::LoginEmail,
            "The login e-mail address cannot be changed, reassigned or deleted here. While the guardian cannot log in, change it with Edit on Family details; once they can, only they change it.",
        )
    } else {
        e.at_form_field()
    }
}

pub async fn new_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Path(list): Path<List>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (family_name, who) = in_family(&app, &staff, &family_id).await?;
    let Some((_, shown)) = adding(&org, &family_id, &list) else { return Err(page_not_found()) };
    let form = PointForm { kind: "mobile".into(), subscribed: Some("yes".into()), sms_subscribed: Some("yes".into()), ..PointForm::default() };
    page(&app, &who, chrome, family_name, shown, form, Errors::default()).await
}

pub async fn create(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Path(list): Path<List>,
    Form(form): Form<PointForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (family_name, who) = in_family(&app, &staff, &family_id).await?;
    let Some((table, shown)) = adding(&org, &family_id, &list) else { return Err(page_not_found()) };
    let mut errors = Errors::default();
    match commands::add(&app, &who, optional(&form.owner).as_deref(), form.new_values(table)).await {
        Ok(_) => return redirect_with(&org, &tab_path(&family_id), Flash::ContactPointSaved),
        Err(e) => errors.refusal(for_staff(e), FIELDS)?,
    }
    page(&app, &who, chrome, family_name, shown, form, errors).await
}

pub async fn edit_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    PointAt { family_id, list, id }: PointAt,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (family_name, who) = in_family(&app, &staff, &family_id).await?;
    let Some((table, name, _)) = list.parts() else { return Err(page_not_found()) };
    let point = commands::find(&app, &family_id, table, &id.0).await?;
    let shown = editing(&org, &family_id, name, &id, is_login(&point));
    page(&app, &who, chrome, family_name, shown, PointForm::of(&point), Errors::default()).await
}

pub async fn update(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    PointAt { family_id, list, id }: PointAt,
    Form(form): Form<PointForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (family_name, who) = in_family(&app, &staff, &family_id).await?;
    let Some((table, name, _)) = list.parts() else { return Err(page_not_found()) };
    let point = commands::find(&app, &family_id, table, &id.0).await?;
    let login = is_login(&point);
    let mut errors = Errors::default();
    match commands::edit(&app, &who, table, &id.0, form.edit(table, login)).await {
        Ok(_) => return redirect_with(&org, &tab_path(&family_id), Flash::ContactPointSaved),
        Err(e) => errors.refusal(for_staff(e), FIELDS)?,
    }
    page(&app, &who, chrome, family_name, editing(&org, &family_id, name, &id, login), form, errors).await
}

pub async fn delete(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    PointAt { family_id, list, id }: PointAt,
    Form(_): Form<NoFields>,
) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    let (_, who) = in_family(&app, &staff, &family_id).await?;
    let Some((table, _, _)) = list.parts() else { return Err(page_not_found()) };
    commands::delete(&app, &who, table, &id.0).await.map_err(for_staff)?;
    redirect_with(&org, &tab_path(&family_id), Flash::ContactPointDeleted)
}

/// An unknown list in the address: the not-found page, as for an unknown id.
fn page_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::ContactPointNotFound, "There is no such contact information in this family.")
}
