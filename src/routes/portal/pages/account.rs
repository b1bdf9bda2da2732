//! My Account: one page with the seed's sections (Your Student(s), Payments, Transaction History,
//! Account Information, Login/Security), the Family Switcher in its heading, and the pages of the
//! Account Information actions (Send Invite Email with its confirm step, Revoke with what it will
//! do, Add Guardian, Change Password, my contact details). Every action posts a real form, answers
//! with a 303 back to My Account and a one-shot message, and calls the command the API calls.

use super::payments::{self, HistoryQuery, PaymentsSection};
use crate::commands::enrollments::{students_section, StudentsSection};
use super::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::access::{
    add_contact, edit_contact_details, load_target, parse_reason, revoke as revoke_access, revoke_preview, send_invitation,
    send_password_reset, set_permissions, Permissions,
};
use crate::commands::families;
use crate::commands::links::{change_password as change_login_password, SignedInGuardian};
use crate::commands::sign_in;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Router, see_other, ClientAddress, Customer, Form, OrgSlug, Path, Query, Response};
use crate::store::families::{self as family_store, ContactChange, GuardianRow};
use crate::store::sessions;
use askama::Template;
use portal_core::access::{visibility, AccessStatus};
use portal_core::email::EmailAddress;
use portal_core::family::{parse_optional_email, parse_person_name, parse_phone, Contact};
use portal_core::ids::GuardianId;
use portal_core::time::Timestamp;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account", get(account))
        .route("/portal/:org/switch-family", post(switch_family))
        .route("/portal/:org/account/guardians/:guardian_id/:action", get(guardian_action_page).post(account_action))
        .route("/portal/:org/account/add-guardian", get(add_guardian_page).post(add_guardian))
        .route("/portal/:org/account/contact", get(contact_page_get).post(save_contact))
        .route("/portal/:org/account/password", get(change_password_page).post(change_password))
}

pub struct FamilyChoice {
    pub id: String,
    pub name: String,
    pub is_current: bool,
}

/// A guardian as the signed-in one sees them in Account Information.
pub struct GuardianCard {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_primary: bool,
    pub is_me: bool,
    pub label: &'static str,
    pub can_log_in: bool,
    pub actions: Vec<&'static str>,
    /// The primary may still edit the details of a guardian who has not accepted.
    pub contact_editable: bool,
    pub can_make_payments: bool,
    pub can_view_full_ledger: bool,
    pub can_manage_enrollments: bool,
}

impl GuardianCard {
    pub fn offers(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
}

fn card(g: &GuardianRow, me: &Customer, now: Timestamp) -> GuardianCard {
    let seen = visibility(&me.requester(), &g.facts());
    let status = g.status(now);
    GuardianCard {
        id: g.id.clone(),
        name: g.full_name(),
        email: g.email.clone().filter(|_| seen.contact_visible),
        phone: g.phone.clone().filter(|_| seen.contact_visible),
        is_primary: g.is_primary != 0,
        is_me: g.id == me.me.id,
        label: status.label(),
        can_log_in: status == AccessStatus::CanLogIn,
        actions: seen.actions,
        contact_editable: seen.contact_editable && g.id != me.me.id,
        can_make_payments: g.can_make_payments != 0,
        can_view_full_ledger: g.can_view_full_ledger != 0,
        can_manage_enrollments: g.can_manage_enrollments != 0,
    }
}

pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub reason: Option<String>,
}

/// "invitation_sent" → "Invitation sent".
fn words(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn history_lines(entries: Vec<serde_json::Value>) -> Vec<HistoryLine> {
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    entries
        .iter()
        .take(20)
        .map(|e| HistoryLine {
            at: Timestamp::parse_rfc3339(&text(e, "at")).map(|t| t.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
            actor: text(e, "actor"),
            action: words(&text(e, "action")),
            target: text(e, "target"),
            reason: e.get("reason").and_then(|r| r.as_str()).map(str::to_string),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/account.html")]
pub struct AccountPage {
    chrome: Chrome,
    family_name: String,
    families: Vec<FamilyChoice>,
    me_is_primary: bool,
    guardians: Vec<GuardianCard>,
    history: Vec<HistoryLine>,
    students: StudentsSection,
    payments: PaymentsSection,
}

impl AccountPage {
    fn me(&self) -> Option<&GuardianCard> {
        self.guardians.iter().find(|g| g.is_me)
    }
}

/// My Account, from the API's own queries: the session, the family's guardians, the families the
/// person may enter, and each section's reads.
pub async fn account(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    FlashIn(flash): FlashIn,
    Query(query): Query<HistoryQuery>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, flash);
    let rows = family_store::family_guardians(&app.db, &me.me.family_id).await?;
    let families = sessions::families_of_person(&app.db, &me.person_id).await?;
    let history = if me.me.is_primary {
        history_lines(families::history(&app, &me.org.id, Some(&me.me.family_id), None).await?)
    } else {
        vec![]
    };
    let page = AccountPage {
        chrome: chrome.clone(),
        family_name: me.family_name.clone(),
        families: families.into_iter().map(|f| FamilyChoice { is_current: f.id == me.me.family_id, id: f.id, name: f.name }).collect(),
        me_is_primary: me.me.is_primary,
        guardians: rows.iter().map(|g| card(g, &me, app.now())).collect(),
        history,
        students: students_section(&app, &me.family()).await?,
        payments: payments::load(&app, &me, &query).await?,
    };
    respond(200, &page, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FamilyForm {
    family_id: String,
}

/// The Family Switcher: a session in the chosen family (this one ends), then its My Account.
pub async fn switch_family(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<FamilyForm>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let switched =
        sign_in::switch_family(&app, &me.org.id, &me.org.slug, me.session_epoch, &me.person_id, &me.session_id, &form.family_id).await?;
    see_other(&format!("/portal/{org}/account"), &[switched.session.cookie, Flash::FamilySwitched.cookie(&org)])
}

// ---------------------------------------------------------------------------------------------
// Account Information: the actions on a guardian.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    first_name: String,
    last_name: String,
    phone: String,
    email: String,
    reason: String,
    can_make_payments: Option<String>,
    can_view_full_ledger: Option<String>,
    can_manage_enrollments: Option<String>,
}

pub struct GuardianAction(String);

impl From<String> for GuardianAction {
    fn from(s: String) -> Self {
        GuardianAction(s)
    }
}

impl crate::http::PathParam for GuardianAction {
    const NAME: &'static str = "action";
}

#[derive(Template)]
#[template(path = "portal/invite_confirm.html")]
pub struct InviteConfirmPage {
    chrome: Chrome,
    guardian_id: String,
    name: String,
    email: String,
    resend: bool,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "portal/revoke_confirm.html")]
pub struct RevokeConfirmPage {
    chrome: Chrome,
    guardian_id: String,
    name: String,
    sessions_ended: i64,
    emails: Vec<String>,
    methods: Vec<String>,
    recurring: bool,
    reason: String,
    errors: Errors,
}

/// The step before Send Invite Email (the address, to confirm or change) and before Revoke (what
/// revoking will do).
pub async fn guardian_action_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(guardian_id): Path<GuardianId>,
    Path(GuardianAction(action)): Path<GuardianAction>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    match action.as_str() {
        "invite" | "resend" => {
            let page = InviteConfirmPage {
                chrome: chrome.clone(),
                guardian_id: target.id.clone(),
                name: target.full_name(),
                email: target.email.clone().unwrap_or_default(),
                resend: action == "resend",
                errors: Errors::default(),
            };
            respond(200, &page, &chrome)
        }
        "revoke" => revoke_page(&app, &me, chrome, &target, String::new(), Errors::default(), 200).await,
        "edit" => contact_page(chrome, ContactFormKind::Guardian(&target.id), form_of(&target), Errors::default(), 200),
        _ => Err(ApiError::route_not_found()),
    }
}

async fn revoke_page(app: &App, me: &Customer, chrome: Chrome, target: &GuardianRow, reason: String, errors: Errors, status: u16) -> ApiResult<Response> {
    let preview = revoke_preview(app, &me.requester(), target).await?;
    let p = &preview["preview"];
    let list = |k: &str| p[k].as_array().cloned().unwrap_or_default();
    let methods = list("payment_methods_deleted")
        .iter()
        .map(|m| {
            let recurring = if m["recurring_authorized"] == true { " (used for recurring billing)" } else { "" };
            format!("{}{recurring}", m["label"].as_str().unwrap_or("A saved payment method"))
        })
        .collect();
    let page = RevokeConfirmPage {
        chrome: chrome.clone().with_errors(&errors),
        guardian_id: target.id.clone(),
        name: target.full_name(),
        sessions_ended: p["sessions_ended"].as_i64().unwrap_or(0),
        emails: list("emails").iter().filter_map(|e| e["to"].as_str().map(str::to_string)).collect(),
        methods,
        recurring: p["recurring_affected"] == true,
        reason,
        errors,
    };
    respond(status, &page, &chrome)
}

/// The Account Information actions, each a form post: invite (from its confirm step), resend,
/// revoke (from its preview), reset-password, permissions.
pub async fn account_action(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(guardian_id): Path<GuardianId>,
    Path(GuardianAction(action)): Path<GuardianAction>,
    Form(form): Form<ActionForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &me.org, &guardian_id).await?;
    let requester = me.requester();
    match action.as_str() {
        "invite" | "resend" => {
            let resend = action == "resend";
            let mut errors = Errors::default();
            let requested = match form.email.trim() {
                "" if resend => None,
                "" => {
                    errors.field("email", "Enter the e-mail address the invitation goes to.");
                    None
                }
                typed => match EmailAddress::parse(typed) {
                    Ok(e) => Some(e),
                    Err(_) => {
                        errors.field("email", "Enter an e-mail address in the correct format, like name@example.com.");
                        None
                    }
                },
            };
            let outcome = if errors.is_empty() {
                send_invitation(&app, &me.org, &requester, &target, &family, requested, resend).await
            } else {
                Ok(())
            };
            if let Err(e) = outcome {
                if e.status >= 500 {
                    return Err(e);
                }
                errors.field("email", e.message.clone());
            }
            if errors.is_empty() {
                return back_to_account(&org, "account-information", if resend { Flash::InvitationResent } else { Flash::InvitationSent });
            }
            let page = InviteConfirmPage {
                chrome: chrome.clone().with_errors(&errors),
                guardian_id: target.id.clone(),
                name: target.full_name(),
                email: form.email,
                resend,
                errors,
            };
            respond(422, &page, &chrome)
        }
        "revoke" => match parse_reason(Some(&form.reason)) {
            Ok(reason) => {
                revoke_access(&app, &me.org, &requester, &target, &family, reason).await?;
                back_to_account(&org, "account-information", Flash::AccessRevoked)
            }
            Err(e) => {
                let mut errors = Errors::default();
                errors.field("reason", e.message.clone());
                revoke_page(&app, &me, chrome, &target, form.reason, errors, 422).await
            }
        },
        "reset-password" => {
            send_password_reset(&app, &me.org, &requester, &target).await?;
            back_to_account(&org, "account-information", Flash::ResetSent)
        }
        "permissions" => {
            let permissions = Permissions {
                can_make_payments: form.can_make_payments.is_some(),
                can_view_full_ledger: form.can_view_full_ledger.is_some(),
                can_manage_enrollments: Some(form.can_manage_enrollments.is_some()),
            };
            set_permissions(&app, &me.org, &me.me, &target, &permissions).await?;
            back_to_account(&org, "account-information", Flash::PermissionsSaved)
        }
        "edit" => {
            let contact = ContactForm { first_name: form.first_name, last_name: form.last_name, email: form.email, phone: form.phone };
            let mut errors = Errors::default();
            if let Some(parsed) = parse_contact(&contact, &mut errors) {
                match save_contact_of(&app, &me, &target, parsed).await {
                    Ok(()) => return back_to_account(&org, "account-information", Flash::ContactSaved),
                    Err(e) if e.status < 500 => errors.field("email", e.message.clone()),
                    Err(e) => return Err(e),
                }
            }
            contact_page(chrome, ContactFormKind::Guardian(&target.id), contact, errors, 422)
        }
        _ => Err(ApiError::route_not_found()),
    }
}

// ---------------------------------------------------------------------------------------------
// Add Guardian, my contact details, Change Password.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "portal/contact_form.html")]
pub struct ContactPage {
    chrome: Chrome,
    /// "Add Guardian" or "Your contact details".
    title: &'static str,
    action: String,
    button: &'static str,
    form: ContactForm,
    errors: Errors,
}

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

/// Which contact form: Add Guardian, one's own details, or a guardian's who has not accepted yet.
enum ContactFormKind<'a> {
    AddGuardian,
    Mine,
    Guardian(&'a str),
}

fn contact_page(chrome: Chrome, kind: ContactFormKind<'_>, form: ContactForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let org = chrome.org.clone();
    let (title, action, button) = match kind {
        ContactFormKind::AddGuardian => ("Add Guardian", format!("/portal/{org}/account/add-guardian"), "Add Guardian"),
        ContactFormKind::Mine => ("Your contact details", format!("/portal/{org}/account/contact"), "Save"),
        ContactFormKind::Guardian(id) => ("Edit contact details", format!("/portal/{org}/account/guardians/{id}/edit"), "Save"),
    };
    let page = ContactPage { chrome: chrome.clone().with_errors(&errors), title, action, button, form, errors };
    respond(status, &page, &chrome)
}

fn form_of(g: &GuardianRow) -> ContactForm {
    ContactForm {
        first_name: g.first_name.clone(),
        last_name: g.last_name.clone(),
        email: g.email.clone().unwrap_or_default(),
        phone: g.phone.clone().unwrap_or_default(),
    }
}

/// Saves a contact form over `target` with the API's command (its rules decide who may).
async fn save_contact_of(app: &App, me: &Customer, target: &GuardianRow, contact: Contact) -> ApiResult<()> {
    let change = ContactChange {
        first_name: Some(contact.first_name),
        last_name: Some(contact.last_name),
        email: Some(contact.email.map(|e| e.as_str().to_string())),
        phone: Some(contact.phone),
    };
    edit_contact_details(app, &me.org, &me.me, target, &change).await
}

pub async fn add_guardian_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let _ = &app;
    let (me, chrome) = signed_in!(org, me, None);
    me.require_primary()?;
    contact_page(chrome, ContactFormKind::AddGuardian, ContactForm::default(), Errors::default(), 200)
}

pub async fn add_guardian(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<ContactForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    me.require_primary()?;
    let mut errors = Errors::default();
    if let Some(contact) = parse_contact(&form, &mut errors) {
        let family = family_store::find_family(&app.db, &me.org.id, &me.me.family_id)
            .await?
            .ok_or_else(|| ApiError::internal("the signed-in guardian's family is missing"))?;
        match add_contact(&app, &me.org, &me.requester(), &family, &contact).await {
            Ok(_) => return back_to_account(&org, "account-information", Flash::GuardianAdded),
            Err(e) if e.status < 500 => errors.field("email", e.message.clone()),
            Err(e) => return Err(e),
        }
    }
    contact_page(chrome, ContactFormKind::AddGuardian, form, errors, 422)
}

pub async fn contact_page_get(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (mine, _) = load_target(&app, &me.org, &me.me.id).await?;
    contact_page(chrome, ContactFormKind::Mine, form_of(&mine), Errors::default(), 200)
}

/// One's own contact details: the person's, shown in every family they belong to.
pub async fn save_contact(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<ContactForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    if form.email.trim().is_empty() {
        errors.field("email", "You sign in with your e-mail address: enter it.");
    }
    if let (Some(contact), true) = (parse_contact(&form, &mut errors), errors.is_empty()) {
        let (mine, _) = load_target(&app, &me.org, &me.me.id).await?;
        match save_contact_of(&app, &me, &mine, contact).await {
            Ok(()) => return back_to_account(&org, "login-security", Flash::ContactSaved),
            Err(e) if e.status < 500 => errors.field("email", e.message.clone()),
            Err(e) => return Err(e),
        }
    }
    contact_page(chrome, ContactFormKind::Mine, form, errors, 422)
}

#[derive(Template)]
#[template(path = "portal/change_password.html")]
pub struct ChangePasswordPage {
    chrome: Chrome,
    hint: String,
    errors: Errors,
}

pub async fn change_password_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let _ = &app;
    let (_, chrome) = signed_in!(org, me, None);
    respond(200, &ChangePasswordPage { chrome: chrome.clone(), hint: password_hint(), errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// Change Password: the current one checked under the sign-in throttles; the person's other
/// sessions end, in every family.
pub async fn change_password(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    ClientAddress(client): ClientAddress,
    Form(form): Form<PasswordForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    if form.current_password.is_empty() {
        errors.field("current_password", "Enter your current password.");
    }
    new_password_field(&mut errors, "new_password", &form.new_password);
    let mut status = 422;
    if errors.is_empty() {
        let who = SignedInGuardian {
            org: &me.org,
            person_id: &me.person_id,
            me: &me.me,
            email: me.email.as_deref(),
            password_hash: me.password_hash.as_deref(),
            session_id: &me.session_id,
        };
        match change_login_password(&app, &who, &client, &form.current_password, &form.new_password).await {
            Ok(()) => return back_to_account(&org, "login-security", Flash::PasswordChanged),
            Err(e) if e.status == 429 => {
                status = 429;
                errors.form(e.message.clone());
            }
            Err(e) if e.code == ErrorCode::WrongPassword => errors.field("current_password", e.message.clone()),
            Err(e) if e.status < 500 => errors.field("new_password", e.message.clone()),
            Err(e) => return Err(e),
        }
    }
    let page = ChangePasswordPage { chrome: chrome.clone().with_errors(&errors), hint: password_hint(), errors };
    respond(status, &page, &chrome)
}
