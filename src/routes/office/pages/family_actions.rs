//! The Family details actions that have pages of their own: Revoke Login (a reason, then what it
//! will do, then the revoke), Add Guardian, Edit (a guardian's contact details, the family's name),
//! Change Primary Guardian, Family Merge and Move Contact (each warning first). Each page
//! calls the command the JSON API calls and goes back to the Family details with a message.

use super::frame::*;
use crate::app::App;
use crate::commands::access::{load_target, parse_reason, revoke, revoke_preview, staff_edit_guardian};
use crate::commands::families;
use crate::commands::operations;
use crate::error::{ApiError, ApiResult};
use crate::http::{get, Form, OrgSlug, Path, Query, Response, Router, Staff};
use crate::routes::pages::form::*;
use crate::store::families::{ContactChange, FamilyRow, GuardianRow};
use askama::Template;
use portal_core::access::{may_staff_change_email, AccessState};
use portal_core::family::{parse_optional_email, parse_person_name, parse_phone, Contact, FamilyStatus};
use portal_core::ids::{FamilyId, GuardianId};
use portal_core::operations::OperationError;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/guardians/:guardian_id/revoke", get(revoke_reason_page).post(revoke_login))
        .route("/office/:org/guardians/:guardian_id/revoke/confirm", get(revoke_confirm_page))
        .route("/office/:org/families/:family_id/edit", get(rename_page).post(rename))
        .route("/office/:org/families/:family_id/guardians/new", get(add_guardian_page).post(add_guardian))
        .route("/office/:org/guardians/:guardian_id/edit", get(edit_guardian_page).post(edit_guardian))
        .route("/office/:org/families/:family_id/primary-guardian", get(change_primary_page).post(change_primary))
        .route("/office/:org/families/:family_id/merge", get(merge_page).post(merge))
        .route("/office/:org/guardians/:guardian_id/move", get(move_page).post(move_contact))
}

/// Back to a family's details with a message.
fn to_family(org: &str, family_id: &str, flash: Flash) -> ApiResult<Response> {
    redirect_with(org, &format!("families/{family_id}"), flash)
}

/// A command's refusal on the form; an id that is not this organization's is the 404 page, as
/// for the API.
fn refusal(errors: &mut Errors, e: ApiError, fields: &[&'static str]) -> ApiResult<()> {
    if e.status == 404 {
        return Err(e);
    }
    errors.refusal(e, fields)
}

/// A family staff may still change: a merged one is refused as `families::active_family` refuses it.
fn active(family: &FamilyRow) -> ApiResult<()> {
    if family.status == FamilyStatus::Merged {
        return Err(OperationError::FamilyMerged(family.name.clone()).into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Revoke Login: a reason, then the preview with the button that revokes.

#[derive(Template)]
#[template(path = "office/revoke.html")]
pub struct RevokeReasonPage {
    chrome: Chrome,
    guardian_id: String,
    /// A secondary's revoke is told to the Primary Guardian, with the reason.
    is_primary: bool,
    family_id: String,
    name: String,
    family_name: String,
    reason: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

/// The first step of Revoke Login: why (kept in the access history and told to the Primary Guardian).
/// `?reason=` keeps the reason when coming back from the next step to change it.
pub async fn revoke_reason_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Query(form): Query<ReasonForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    reason_page(chrome, &target, &family, form.reason, Errors::default())
}

fn reason_page(chrome: Chrome, target: &GuardianRow, family: &FamilyRow, reason: String, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = RevokeReasonPage {
        chrome: chrome.clone(),
        guardian_id: target.id.clone(),
        is_primary: target.is_primary,
        family_id: family.id.clone(),
        name: target.full_name(),
        family_name: family.name.clone(),
        reason,
        errors,
    };
    respond(status, &page, &chrome)
}

#[derive(Template)]
#[template(path = "office/revoke_confirm.html")]
pub struct RevokeConfirmPage {
    chrome: Chrome,
    guardian_id: String,
    is_primary: bool,
    family_id: String,
    name: String,
    family_name: String,
    already_revoked: bool,
    sessions_ended: i64,
    emails: Vec<String>,
    methods: Vec<String>,
    recurring: bool,
    reason: String,
    errors: Errors,
}

impl RevokeConfirmPage {
    /// Back to the first step, the reason kept.
    fn change_reason_href(&self) -> String {
        let path = format!("/office/{}/guardians/{}/revoke", self.chrome.org, self.guardian_id);
        match self.reason.trim() {
            "" => path,
            reason => format!("{path}?{}", form_urlencoded::Serializer::new(String::new()).append_pair("reason", reason).finish()),
        }
    }
}

/// The second step: what revoking will do (the API's dry run), with the button that does it.
pub async fn revoke_confirm_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Query(form): Query<ReasonForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    if let Err(e) = parse_reason(Some(&form.reason)) {
        let mut errors = Errors::default();
        errors.refusal(e, &["reason"])?;
        return reason_page(chrome, &target, &family, form.reason, errors);
    }
    confirm_page(&app, &staff, chrome, &target, &family, form.reason, Errors::default()).await
}

async fn confirm_page(
    app: &App,
    staff: &Staff,
    chrome: Chrome,
    target: &GuardianRow,
    family: &FamilyRow,
    reason: String,
    errors: Errors,
) -> ApiResult<Response> {
    let preview = revoke_preview(app, &staff.requester(), target).await?;
    let methods = preview
        .payment_methods_deleted
        .iter()
        .map(|m| if m.recurring_authorized { format!("{} (used for recurring billing)", m.label) } else { m.label.clone() })
        .collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = RevokeConfirmPage {
        chrome: chrome.clone(),
        guardian_id: target.id.clone(),
        is_primary: target.is_primary,
        family_id: family.id.clone(),
        name: target.full_name(),
        family_name: family.name.clone(),
        already_revoked: preview.already_revoked,
        sessions_ended: preview.sessions_ended,
        emails: preview.emails.into_iter().map(|e| e.to).collect(),
        methods,
        recurring: preview.recurring_affected,
        reason,
        errors,
    };
    respond(status, &page, &chrome)
}

/// Revoke Login, with the reason given: sessions end at once, the e-mail goes, saved payment
/// methods are deleted.
pub async fn revoke_login(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Form(form): Form<ReasonForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    let mut errors = Errors::default();
    let done = match parse_reason(Some(&form.reason)) {
        Ok(reason) => revoke(&app, &staff.org, &staff.requester(), &target, &family, reason).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => return to_family(&org, &family.id, Flash::LoginRevoked),
        Err(e) => refusal(&mut errors, e, &[])?,
    }
    confirm_page(&app, &staff, chrome, &target, &family, form.reason, errors).await
}

// ---------------------------------------------------------------------------------------------
// Add Guardian (and, below, Edit): a guardian's contact details.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
}

/// The contact form's fields, where a command's refusal may point.
const CONTACT_FIELDS: &[&str] = &["first_name", "last_name", "email", "phone"];

/// The form's fields parsed as the API parses them; each problem beside its field.
fn parse_contact(form: &ContactForm, errors: &mut Errors) -> Option<Contact> {
    let first = parse_person_name(&form.first_name, "first name").map_err(|e| errors.field("first_name", e.to_string())).ok();
    let last = parse_person_name(&form.last_name, "last name").map_err(|e| errors.field("last_name", e.to_string())).ok();
    let email = parse_optional_email(Some(&form.email)).map_err(|e| errors.field("email", e.to_string())).ok();
    let phone = match form.phone.trim() {
        "" => Some(None),
        p => parse_phone(p).map(Some).map_err(|e| errors.field("phone", e.to_string())).ok(),
    };
    Some(Contact { first_name: first?, last_name: last?, email: email?, phone: phone? })
}

#[derive(Template)]
#[template(path = "office/guardian_form.html")]
pub struct GuardianFormPage {
    chrome: Chrome,
    /// "Add Guardian" or "Edit NAME".
    title: String,
    action: String,
    button: &'static str,
    family_id: String,
    family_name: String,
    /// The address someone logs in with: shown, not a field (only they may change it).
    login_email: Option<String>,
    email_hint: &'static str,
    form: ContactForm,
    errors: Errors,
}

fn add_guardian_form(chrome: Chrome, family: &FamilyRow, form: ContactForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = GuardianFormPage {
        chrome: chrome.clone(),
        title: "Add Guardian".into(),
        action: format!("/office/{}/families/{}/guardians/new", chrome.org, family.id),
        button: "Add Guardian",
        family_id: family.id.clone(),
        family_name: family.name.clone(),
        login_email: None,
        email_hint: INVITE_HINT,
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn add_guardian_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::active_family(&app, &staff.org.id, &family_id).await?;
    add_guardian_form(chrome, &family, ContactForm::default(), Errors::default())
}

/// Add Guardian: a contact without access (only the Primary Guardian invites a secondary).
pub async fn add_guardian(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Form(form): Form<ContactForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    if let Some(contact) = parse_contact(&form, &mut errors) {
        match families::add_guardian(&app, &staff.org, &staff.requester(), &family.id, &contact).await {
            Ok(_) => return to_family(&org, &family.id, Flash::GuardianAdded),
            Err(e) => refusal(&mut errors, e, CONTACT_FIELDS)?,
        }
    }
    add_guardian_form(chrome, &family, form, errors)
}

fn edit_guardian_form(chrome: Chrome, target: &GuardianRow, family: &FamilyRow, form: ContactForm, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = GuardianFormPage {
        chrome: chrome.clone(),
        title: format!("Edit {}", target.full_name()),
        action: format!("/office/{}/guardians/{}/edit", chrome.org, target.id),
        button: "Save",
        family_id: family.id.clone(),
        family_name: family.name.clone(),
        login_email: login_email(target),
        email_hint: email_hint(target),
        form,
        errors,
    };
    respond(status, &page, &chrome)
}

const INVITE_HINT: &str = "Needed before the Primary Guardian can invite them to the Customer Portal.";

fn email_hint(target: &GuardianRow) -> &'static str {
    match (target.is_primary, target.state()) {
        (_, AccessState::InviteSent) => "Changing it withdraws the invitation sent to the old address.",
        (true, _) => "Needed before they can be invited to the Customer Portal with Enable Login.",
        (false, _) => INVITE_HINT,
    }
}

/// The address a guardian logs in with, which only they may change; none while staff may.
fn login_email(target: &GuardianRow) -> Option<String> {
    may_staff_change_email(&target.facts(), target.person_id.is_some()).err().map(|_| target.email.clone().unwrap_or_default())
}

/// Edit: a guardian's contact details, as they are now.
pub async fn edit_guardian_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    let form = ContactForm {
        first_name: target.first_name.clone(),
        last_name: target.last_name.clone(),
        email: target.email.clone().unwrap_or_default(),
        phone: target.phone.clone().unwrap_or_default(),
    };
    edit_guardian_form(chrome, &target, &family, form, Errors::default())
}

/// Saves the contact details with the staff edit command; the login e-mail of someone who can log
/// in is not on the form, so it stays as it is.
pub async fn edit_guardian(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Form(mut form): Form<ContactForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    let locked = login_email(&target);
    if let Some(email) = &locked {
        form.email.clone_from(email);
    }
    let mut errors = Errors::default();
    if let Some(contact) = parse_contact(&form, &mut errors) {
        let change = ContactChange {
            first_name: Some(contact.first_name),
            last_name: Some(contact.last_name),
            email: locked.is_none().then(|| contact.email.map(|e| e.as_str().to_string())),
            phone: Some(contact.phone),
        };
        let fields = if locked.is_some() { &CONTACT_FIELDS[..2] } else { CONTACT_FIELDS };
        match staff_edit_guardian(&app, &staff.org, &staff.requester(), &target.id, &change).await {
            Ok(_) => return to_family(&org, &family.id, Flash::ContactSaved),
            Err(e) => refusal(&mut errors, e, fields)?,
        }
    }
    // An invitation accepted meanwhile locks the address: the form shows it so.
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    edit_guardian_form(chrome, &target, &family, form, errors)
}

// ---------------------------------------------------------------------------------------------
// Edit the family's name.

#[derive(Template)]
#[template(path = "office/family_edit.html")]
pub struct RenamePage {
    chrome: Chrome,
    family_id: String,
    name: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    name: String,
}

fn rename_form(chrome: Chrome, family_id: &str, name: String, errors: Errors) -> ApiResult<Response> {
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = RenamePage { chrome: chrome.clone(), family_id: family_id.to_string(), name, errors };
    respond(status, &page, &chrome)
}

pub async fn rename_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::active_family(&app, &staff.org.id, &family_id).await?;
    rename_form(chrome, &family.id, family.name, Errors::default())
}

/// The family's new name, with the command the API's PATCH uses.
pub async fn rename(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<RenameForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    match families::rename(&app, &staff.org, &staff.requester(), &family.id, &form.name).await {
        Ok(()) => return to_family(&org, &family.id, Flash::FamilyRenamed),
        Err(e) => refusal(&mut errors, e, &["name"])?,
    }
    rename_form(chrome, &family.id, form.name, errors)
}

// ---------------------------------------------------------------------------------------------
// Change Primary Guardian.

/// The id of the `i`th radio button of `field`: the first is the field's own, where the error
/// summary leads.
fn input_id(field: &str, i: usize) -> String {
    if i == 0 { field.to_string() } else { format!("{field}-{}", i + 1) }
}

/// A guardian to choose, as the choice shows them.
pub struct Choice {
    /// The radio button's id: the first is the field's, where the error summary leads.
    pub input_id: String,
    pub id: String,
    pub name: String,
    pub hint: String,
}

#[derive(Template)]
#[template(path = "office/change_primary.html")]
pub struct ChangePrimaryPage {
    chrome: Chrome,
    family_id: String,
    family_name: String,
    primary_name: String,
    choices: Vec<Choice>,
    chosen: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrimaryForm {
    guardian_id: String,
}

async fn change_primary_form(app: &App, staff: &Staff, chrome: Chrome, family_id: &str, chosen: String, errors: Errors) -> ApiResult<Response> {
    let (family, guardians) = families::with_guardians(app, &staff.org.id, family_id).await?;
    active(&family)?;
    let primary_name = guardians.iter().find(|g| g.id == family.primary_guardian_id).map(GuardianRow::full_name).unwrap_or_default();
    let choices = guardians
        .iter()
        .filter(|g| g.id != family.primary_guardian_id)
        .enumerate()
        .map(|(i, g)| Choice {
            input_id: input_id("guardian_id", i),
            id: g.id.clone(),
            name: g.full_name(),
            hint: [g.email.clone(), Some(g.status(app.now()).label().to_string())].into_iter().flatten().collect::<Vec<_>>().join(" · "),
        })
        .collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = ChangePrimaryPage { chrome: chrome.clone(), family_id: family.id, family_name: family.name, primary_name, choices, chosen, errors };
    respond(status, &page, &chrome)
}

/// Change Primary Guardian: the warning first, then the choice.
pub async fn change_primary_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    change_primary_form(&app, &staff, chrome, &family_id, String::new(), Errors::default()).await
}

/// Makes the chosen guardian the Primary Guardian; all secondary access is revoked.
pub async fn change_primary(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Form(form): Form<PrimaryForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    if form.guardian_id.is_empty() {
        errors.field("guardian_id", "Choose the new Primary Guardian.");
    } else {
        match families::change_primary(&app, &staff.org, &staff.requester(), &family.id, &form.guardian_id).await {
            Ok(()) => return to_family(&org, &family.id, Flash::PrimaryChanged),
            Err(e) => refusal(&mut errors, e, &["guardian_id"])?,
        }
    }
    change_primary_form(&app, &staff, chrome, &family.id, form.guardian_id, errors).await
}

// ---------------------------------------------------------------------------------------------
// Family Merge and Move Contact: find the other family by name, then confirm after the warning.

/// A family found by the search, as a choice.
pub struct FamilyChoice {
    pub input_id: String,
    pub id: String,
    pub name: String,
    pub hint: String,
}

/// The most families a search lists to choose from.
const MAX_CHOICES: usize = 25;

/// Active families other than `except` matching `q`, each with its Primary Guardian.
async fn find_families(app: &App, org_id: &str, q: &str, except: &str) -> ApiResult<Vec<FamilyChoice>> {
    let found = families::search(app, org_id, q).await?;
    Ok(found
        .into_iter()
        .filter(|(f, _)| f.id != except && f.status == FamilyStatus::Active)
        .take(MAX_CHOICES)
        .enumerate()
        .map(|(i, (f, guardians))| {
            let primary = guardians.iter().find(|g| g.id == f.primary_guardian_id);
            let hint = match primary {
                Some(p) => format!("Primary Guardian: {}{}", p.full_name(), p.email.as_deref().map(|e| format!(" · {e}")).unwrap_or_default()),
                None => String::new(),
            };
            FamilyChoice { input_id: input_id("pick", i), id: f.id, name: f.name, hint }
        })
        .collect())
}

/// `?q=` the search, `?pick=` the family chosen from it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PickQuery {
    q: String,
    pick: String,
}

/// The search and its results, or the chosen family: what Family Merge and Move Contact share.
pub struct Picker {
    pub q: String,
    pub searched: bool,
    pub found: Vec<FamilyChoice>,
    pub chosen: Option<FamilyChoice>,
    pub max_choices: usize,
}

async fn picker(app: &App, org_id: &str, query: &PickQuery, except: &str, errors: &mut Errors) -> ApiResult<Picker> {
    let q = query.q.trim().to_string();
    let chosen = match query.pick.as_str() {
        "" => None,
        id => {
            let (f, guardians) = families::with_guardians(app, org_id, id).await?;
            let primary = guardians.iter().find(|g| g.id == f.primary_guardian_id).map(GuardianRow::full_name);
            let count = guardians.len();
            let hint = format!(
                "{}{count} guardian{}",
                primary.map(|p| format!("Primary Guardian: {p} · ")).unwrap_or_default(),
                if count == 1 { "" } else { "s" }
            );
            Some(FamilyChoice { input_id: String::new(), id: f.id, name: f.name, hint })
        }
    };
    let searched = chosen.is_none() && !q.is_empty();
    let found = if searched {
        match find_families(app, org_id, &q, except).await {
            Ok(found) => found,
            Err(e) => {
                errors.refusal(e, &["q"])?;
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    Ok(Picker { q, searched, found, chosen, max_choices: MAX_CHOICES })
}

#[derive(Template)]
#[template(path = "office/merge.html")]
pub struct MergePage {
    chrome: Chrome,
    family_id: String,
    family_name: String,
    picker: Picker,
    errors: Errors,
}

impl MergePage {
    fn here(&self) -> String {
        format!("/office/{}/families/{}/merge", self.chrome.org, self.family_id)
    }

    fn pick_legend(&self) -> String {
        format!("The family to merge into {}", self.family_name)
    }
}

async fn merge_form(app: &App, staff: &Staff, chrome: Chrome, family_id: &str, query: PickQuery, mut errors: Errors) -> ApiResult<Response> {
    let family = families::active_family(app, &staff.org.id, family_id).await?;
    let picker = picker(app, &staff.org.id, &query, &family.id, &mut errors).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = MergePage { chrome: chrome.clone(), family_id: family.id, family_name: family.name, picker, errors };
    respond(status, &page, &chrome)
}

/// Family Merge: the warning, the family to merge in (found by name), then the confirmation.
pub async fn merge_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Query(query): Query<PickQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    merge_form(&app, &staff, chrome, &family_id, query, Errors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeForm {
    from_family_id: String,
}

/// Merges the chosen family into this one; all secondary access of the result is revoked.
pub async fn merge(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<MergeForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    let from = [form.from_family_id.clone()].into_iter().filter(|id| !id.is_empty()).collect::<Vec<_>>();
    match families::merge(&app, &staff.org, &staff.requester(), &family.id, &from).await {
        Ok(()) => return to_family(&org, &family.id, Flash::FamiliesMerged),
        Err(e) => refusal(&mut errors, e, &[])?,
    }
    // The refusal beside the family it was about, when it still exists here.
    let pick = if families::find(&app, &staff.org.id, &form.from_family_id).await.is_ok() { form.from_family_id } else { String::new() };
    merge_form(&app, &staff, chrome, &family.id, PickQuery { q: String::new(), pick }, errors).await
}

#[derive(Template)]
#[template(path = "office/move.html")]
pub struct MovePage {
    chrome: Chrome,
    guardian_id: String,
    name: String,
    family_id: String,
    family_name: String,
    /// "Portal access will be disabled for NAME.": the words of the refusal without confirmation.
    warning: String,
    picker: Picker,
    errors: Errors,
}

impl MovePage {
    fn here(&self) -> String {
        format!("/office/{}/guardians/{}/move", self.chrome.org, self.guardian_id)
    }

    fn pick_legend(&self) -> String {
        format!("The family to move {} to", self.name)
    }
}

async fn move_form(app: &App, staff: &Staff, chrome: Chrome, guardian_id: &str, query: PickQuery, mut errors: Errors) -> ApiResult<Response> {
    let (contact, from) = load_target(app, &staff.org, guardian_id).await?;
    let picker = picker(app, &staff.org.id, &query, &from.id, &mut errors).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = MovePage {
        chrome: chrome.clone(),
        guardian_id: contact.id.clone(),
        name: contact.full_name(),
        family_id: from.id,
        family_name: from.name,
        warning: OperationError::ConfirmationRequired(contact.full_name()).to_string(),
        picker,
        errors,
    };
    respond(status, &page, &chrome)
}

/// Move Contact: the family to move the contact to (found by name), then the warning to confirm.
pub async fn move_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Query(query): Query<PickQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    move_form(&app, &staff, chrome, &guardian_id, query, Errors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    to_family_id: String,
    confirm: String,
}

/// Moves the contact after the warning was confirmed: their portal access is disabled, and the
/// new family's Family details show them.
pub async fn move_contact(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(guardian_id): Path<GuardianId>,
    Form(form): Form<MoveForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (contact, from) = load_target(&app, &staff.org, &guardian_id).await?;
    let to = families::find(&app, &staff.org.id, &form.to_family_id).await?;
    let confirmed = form.confirm == "yes";
    let mut errors = Errors::default();
    match operations::move_contact(&app, &staff.org, &staff.requester(), &contact, &from, &to, confirmed).await {
        Ok(()) => return to_family(&org, &to.id, Flash::ContactMoved),
        Err(e) => refusal(&mut errors, e, &[])?,
    }
    move_form(&app, &staff, chrome, &contact.id, PickQuery { q: String::new(), pick: to.id }, errors).await
}
