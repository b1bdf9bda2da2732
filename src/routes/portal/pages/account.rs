//! My Account: one page with the seed's sections (Your Student(s), Payments, Transaction History,
//! Account Information, Login/Security), the Family Switcher in its heading, and the pages of the
//! Account Information actions (Send Invite Email with its confirm step, Revoke with what it will
//! do, Add Guardian, Change Password, my contact details). Every action posts a real form, answers
//! with a 303 back to My Account and a one-shot message, and calls the command the API calls.

use crate::context::Client;
use crate::commands::enrollments::{students_section, StudentsSection};
use crate::commands::passes::{passes_section, PassesSection};
use crate::commands::makeup_tokens::{makeup_tokens_section, FamilyMakeupTokens};
use crate::routes::pages::form::*;
use super::frame::*;
use crate::app::App;
use crate::commands::access::{
    add_contact, edit_contact_details, family_choices, load_target, parse_reason, revoke as revoke_access, revoke_preview, send_invitation,
    send_password_reset, set_permissions, FamilyChoice, GuardianView, PermissionChange,
};
use crate::commands::families::{family_history, HistoryEntry};
use crate::commands::statements::StatementOffer;
use crate::commands::payments::{payments_section, HistoryFilter, PaymentsSection};
use crate::commands::contact_points::{contact_info, ContactSection};
use portal_core::contact::Editor;
use crate::commands::links::change_password as change_login_password;
use crate::commands::sign_in;
use crate::commands::sign_ins::{self, Owner, SignIns, SignInView};
use portal_core::time::Timestamp;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, post, Router, see_other, Customer, Form, OrgSlug, Path, Query, Response};
use crate::store::families::{self as family_store, ContactChange, GuardianRow};
use askama::Template;
use portal_core::access::AccessStatus;
use portal_core::family::{parse_optional_email, parse_person_name, parse_phone, Contact};
use portal_core::ids::GuardianId;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account", get(account))
        .route("/portal/:org/switch-family", post(switch_family))
        .route("/portal/:org/account/guardians/:guardian_id/invite", get(invite_page).post(invite))
        .route("/portal/:org/account/guardians/:guardian_id/resend", get(resend_page).post(resend))
        .route("/portal/:org/account/guardians/:guardian_id/revoke", get(revoke_confirm).post(revoke))
        .route("/portal/:org/account/guardians/:guardian_id/reset-password", post(reset_password))
        .route("/portal/:org/account/guardians/:guardian_id/permissions", post(save_permissions))
        .route("/portal/:org/account/guardians/:guardian_id/edit", get(edit_page).post(edit))
        .route("/portal/:org/account/add-guardian", get(add_guardian_page).post(add_guardian))
        .route("/portal/:org/account/contact", get(contact_page_get).post(save_contact))
        .route("/portal/:org/account/password", get(change_password_page).post(change_password))
}

/// A guardian in Account Information: the guardian as the API shows them to me.
pub struct GuardianCard {
    pub guardian: GuardianView,
    pub is_me: bool,
}

impl GuardianCard {
    pub fn offers(&self, action: &str) -> bool {
        self.guardian.actions.contains(&action)
    }

    pub fn can_log_in(&self) -> bool {
        self.guardian.access_status == AccessStatus::CanLogIn
    }

    /// The primary may still edit the details of a guardian who has not accepted; one's own
    /// details are under Login/Security.
    pub fn contact_editable(&self) -> bool {
        self.guardian.contact_editable && !self.is_me
    }
}

pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub entry: HistoryEntry,
}

/// "invitation_sent" → "Invitation sent".
fn words(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The newest 20 changes, in words.
fn history_lines(entries: Vec<HistoryEntry>) -> Vec<HistoryLine> {
    entries
        .into_iter()
        .take(20)
        .map(|entry| HistoryLine {
            at: entry.at.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string(),
            action: words(&entry.action),
            entry,
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
    contact: ContactSection,
    location: LocationSelector,
    records: crate::commands::student_records::StudentRecords,
    /// Your Student(s)' Passes (None: not shown by this organization).
    passes: Option<PassesSection>,
    /// Your Student(s)' Makeups in the `requests` mode (None: another mode).
    makeup_requests: Option<crate::commands::makeup_requests::MakeupRequestsSection>,
    sign_ins: Vec<SignInLine>,
    /// Your Student(s)' Makeups in tokens mode (None: the organization offers no tokens).
    makeup_tokens: Option<FamilyMakeupTokens>,
    /// Each student's QR Code (issue 25), while the organization shows them.
    show_qr_codes: bool,
    /// Generate Statement / Ledger for This Location (issue 26, stmt).
    statements: StatementOffer,
}

/// A signed-in device on Login/Security, with its times as people read them.
pub struct SignInLine {
    pub view: SignInView,
    pub began: String,
    pub last_used: String,
}

fn sign_in_lines(sign_ins: SignIns) -> Vec<SignInLine> {
    let readable = |at: &str| Timestamp::parse_rfc3339(at).map(|t| t.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    sign_ins.sessions.into_iter().map(|view| SignInLine { began: readable(&view.created_at), last_used: readable(&view.last_seen_at), view }).collect()
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
    Query(query): Query<HistoryFilter>,
    location: LocationCookie,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, flash);
    let (family, account) = (me.family(), me.account());
    // The sections do not depend on one another (but the tokens on the chosen location): their
    // reads go to D1 at once, so the page waits for the slowest rather than for their sum.
    let history = async {
        match me.me.is_primary {
            true => Ok(history_lines(family_history(&app, &me.org.id, &me.me.family_id).await?.entries)),
            false => Ok(vec![]),
        }
    };
    let location_and_tokens = async {
        let location = LocationSelector::new(&location, crate::commands::enrollments::locations(&app, &me.org).await?);
        let tokens = makeup_tokens_section(&app, &family, &me.options, location.chosen_id.as_deref()).await?;
        Ok::<_, ApiError>((location, tokens))
    };
    let devices = Owner::Person { person_id: &me.person_id, current_session_id: &me.session_id };
    let ((rows, families), history, (location, makeup_tokens), students, payments, contact, records, passes, sign_ins) = futures_util::try_join!(
        family_store::family_guardians_and_families_of(&app.db, &me.me.family_id, &me.person_id),
        history,
        location_and_tokens,
        students_section(&app, &family),
        payments_section(&app, &account, &query, me.options.show_credit),
        contact_info(&app, &me.me.family_id),
        crate::commands::student_records::student_records(&app, &family, &me.options),
        passes_section(&app, &family, &me.options),
        sign_ins::list(&app, &devices),
    )?;
    let viewer = me.requester();
    let statements = StatementOffer::new(me.options.allow_statements, me.options.allow_ledger_report, location.chosen_id.clone(), &account);
    let page = AccountPage {
        chrome: chrome.clone(),
        family_name: me.family_name.clone(),
        families: family_choices(&families, &me.me.family_id),
        me_is_primary: me.me.is_primary,
        guardians: rows.iter().map(|g| GuardianCard { guardian: GuardianView::of(g, &viewer, app.now()), is_me: g.id == me.me.id }).collect(),
        history,
        students,
        payments,
        contact: contact.section(&Editor::Guardian { guardian_id: me.me.id.to_string(), is_primary: me.me.is_primary }),
        records,
        location,
        passes,
        makeup_requests: crate::commands::makeup_requests::MakeupRequestsSection::of(&app, &family, &me.options),
        statements,
        sign_ins: sign_in_lines(sign_ins),
        makeup_tokens,
        show_qr_codes: me.options.show_qr_codes,
    };
    respond(200, &page, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FamilyForm {
    family_id: String,
}

/// The Family Switcher: a session in the chosen family (this one ends), then its My Account.
pub async fn switch_family(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, client: Client, Form(form): Form<FamilyForm>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let switched =
        sign_in::switch_family(&app, &me.org.id, &me.org.slug, me.session_epoch, &me.person_id, &me.session_id, &form.family_id, &client)
            .await?;
    see_other(&format!("/portal/{org}/account"), &[switched.session.cookie(), Flash::FamilySwitched.cookie(&org)])
}

// ---------------------------------------------------------------------------------------------
// Account Information: the actions on a guardian, each its own route and form.

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

/// The step before Send Invite Email: the address, to confirm or change.
pub async fn invite_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    invite_confirm(app, org, me, guardian_id, false).await
}

/// The step before Re-Send Invite Email.
pub async fn resend_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    invite_confirm(app, org, me, guardian_id, true).await
}

async fn invite_confirm(app: Rc<App>, org: String, me: MaybeCustomer, guardian_id: GuardianId, resend: bool) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    let email = target.email.clone().unwrap_or_default();
    invite_confirm_page(chrome, &target, email, resend, Errors::default(), 200)
}

fn invite_confirm_page(chrome: Chrome, target: &GuardianRow, email: String, resend: bool, errors: Errors, status: u16) -> ApiResult<Response> {
    let page = InviteConfirmPage {
        chrome: chrome.clone().with_errors(&errors),
        guardian_id: target.id.clone(),
        name: target.full_name(),
        email,
        resend,
        errors,
    };
    respond(status, &page, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    email: String,
}

/// Send Invite Email, from its confirm step.
pub async fn invite(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(form): Form<InviteForm>) -> ApiResult<Response> {
    send_invite(app, org, me, guardian_id, form, false).await
}

/// Re-Send Invite Email: a new link, the old one dies.
pub async fn resend(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(form): Form<InviteForm>) -> ApiResult<Response> {
    send_invite(app, org, me, guardian_id, form, true).await
}

async fn send_invite(app: Rc<App>, org: String, me: MaybeCustomer, guardian_id: GuardianId, form: InviteForm, resend: bool) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &me.org, &guardian_id).await?;
    let mut errors = Errors::default();
    // A re-send may leave the address blank: it goes where the last one went.
    let requested = match form.email.trim() {
        "" if resend => None,
        "" => {
            errors.field("email", "Enter the e-mail address the invitation goes to.");
            None
        }
        typed => email_field(&mut errors, "email", typed),
    };
    if errors.is_empty() {
        match send_invitation(&app, &me.org, &me.requester(), &target, &family, requested, resend).await {
            Ok(()) => {
                let flash = if resend { Flash::InvitationResent } else { Flash::InvitationSent };
                return back_to_account(&org, "account-information", flash);
            }
            Err(e) => errors.refusal(e, &["email"])?,
        }
    }
    invite_confirm_page(chrome, &target, form.email, resend, errors, 422)
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

/// The step before Revoke: what revoking will do.
pub async fn revoke_confirm(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    revoke_page(&app, &me, chrome, &target, String::new(), Errors::default(), 200).await
}

async fn revoke_page(app: &App, me: &Customer, chrome: Chrome, target: &GuardianRow, reason: String, errors: Errors, status: u16) -> ApiResult<Response> {
    let preview = revoke_preview(app, &me.requester(), target).await?;
    let methods = preview
        .payment_methods_deleted
        .iter()
        .map(|m| if m.recurring_authorized { format!("{} (used for recurring billing)", m.label) } else { m.label.clone() })
        .collect();
    let page = RevokeConfirmPage {
        chrome: chrome.clone().with_errors(&errors),
        guardian_id: target.id.clone(),
        name: target.full_name(),
        sessions_ended: preview.sessions_ended,
        emails: preview.emails.into_iter().map(|e| e.to).collect(),
        methods,
        recurring: preview.recurring_affected,
        reason,
        errors,
    };
    respond(status, &page, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    reason: String,
}

/// Revoke, from its preview.
pub async fn revoke(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(form): Form<RevokeForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &me.org, &guardian_id).await?;
    let mut errors = Errors::default();
    match parse_reason(Some(&form.reason)) {
        Ok(reason) => match revoke_access(&app, &me.org, &me.requester(), &target, &family, reason).await {
            Ok(()) => return back_to_account(&org, "account-information", Flash::AccessRevoked),
            Err(e) => errors.refusal(e, &["reason"])?,
        },
        Err(e) => errors.refusal(e, &["reason"])?,
    }
    revoke_page(&app, &me, chrome, &target, form.reason, errors, 422).await
}

/// Reset Password: the guardian is e-mailed a link to choose a new one.
pub async fn reset_password(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    send_password_reset(&app, &me.org, &me.requester(), &target).await?;
    back_to_account(&org, "account-information", Flash::ResetSent)
}

/// The permissions form: a checkbox is present when ticked, whatever its value.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PermissionsForm {
    can_make_payments: Option<String>,
    can_view_full_ledger: Option<String>,
    can_manage_enrollments: Option<String>,
}

pub async fn save_permissions(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(guardian_id): Path<GuardianId>,
    Form(form): Form<PermissionsForm>,
) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    let change = PermissionChange {
        can_make_payments: form.can_make_payments.is_some(),
        can_view_full_ledger: form.can_view_full_ledger.is_some(),
        can_manage_enrollments: Some(form.can_manage_enrollments.is_some()),
    };
    set_permissions(&app, &me.org, &me.me, &target, &change).await?;
    back_to_account(&org, "account-information", Flash::PermissionsSaved)
}

/// The contact details of a guardian who has not accepted yet, as the primary sees them.
pub async fn edit_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    contact_page(chrome, ContactFormKind::Guardian(&target.id), form_of(&target), Errors::default(), 200)
}

pub async fn edit(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(guardian_id): Path<GuardianId>, Form(form): Form<ContactForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let (target, _) = load_target(&app, &me.org, &guardian_id).await?;
    let mut errors = Errors::default();
    if let Some(parsed) = parse_contact(&form, &mut errors) {
        match save_contact_of(&app, &me, &target, parsed).await {
            Ok(()) => return back_to_account(&org, "account-information", Flash::ContactSaved),
            Err(e) => errors.refusal(e, CONTACT_FIELDS)?,
        }
    }
    contact_page(chrome, ContactFormKind::Guardian(&target.id), form, errors, 422)
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

/// The contact form's fields, where a command's refusal may point.
const CONTACT_FIELDS: &[&str] = &["first_name", "last_name", "email", "phone"];

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
            Err(e) => errors.refusal(e, CONTACT_FIELDS)?,
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
            Err(e) => errors.refusal(e, CONTACT_FIELDS)?,
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
    client: Client,
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
        match change_login_password(&app, &me.signed_in(), &client, &form.current_password, &form.new_password).await {
            Ok(()) => return back_to_account(&org, "login-security", Flash::PasswordChanged),
            Err(e) if e.status == 429 => {
                status = 429;
                errors.form(e.message.clone());
            }
            Err(e) if e.code == ErrorCode::WrongPassword => errors.field("current_password", e.message.clone()),
            Err(e) => errors.refusal(e, &["current_password", "new_password"])?,
        }
    }
    let page = ChangePasswordPage { chrome: chrome.clone().with_errors(&errors), hint: password_hint(), errors };
    respond(status, &page, &chrome)
}
