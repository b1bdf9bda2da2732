//! The Customer Portal's server-rendered pages (templates in `templates/portal/`). Forms work
//! without JavaScript, the GOV.UK Design System way: a real `<form method="post">`, on an error
//! the page again (422, or 429 with the wait) with an error summary on top and each message beside
//! its field, on success a 303 to the next page (Post/Redirect/Get) with a one-shot message. The
//! handlers call the same commands as the JSON API: one rule, two front doors.
//!
//! This module holds what every page shares (the frame, one-shot messages, form errors) and the
//! pages before sign-in; My Account and its sections are `account`, `payments` and `students`.

mod account;
mod payments;
mod students;

pub use account::{
    account, account_action, add_guardian, add_guardian_page, change_password, change_password_page, contact_page_get as contact_page,
    guardian_action_page, save_contact, switch_family,
};
pub use payments::payment_routes;
pub use students::student_routes;

use crate::app::App;
use crate::commands::links::{self, find_link, Acceptance};
use crate::commands::sign_in;
use crate::error::{ApiError, ApiResult};
use crate::http::cookies::read_cookie;
use crate::http::{
    cleared_cookie, page, response::{self, html, FixedBody}, see_other, Response, session_cookie, ClientAddress, Customer, Form, FromRequest, OrgSlug, Path,
    PathParam, RequestParts, GUARDIAN_COOKIE,
};
use crate::store::invitations::{self, InvitationByToken, ResetByToken};
use crate::store::sessions;
use askama::Template;
use portal_core::access::{AccessError, LinkStatus};
use portal_core::email::EmailAddress;
use portal_core::ids::LinkToken;
use portal_core::password::{NewPassword, MIN_PASSWORD_CHARS};
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use portal_core::session::{ENDED_ACCESS, ENDED_PASSWORD_CHANGED, ENDED_SIGNED_OUT, ENDED_SWITCHED};
use serde::Deserialize;
use std::rc::Rc;

// ---------------------------------------------------------------------------------------------
// The static files: ours (the CSP allows no inline style or script), each named by a hash of its
// content so browsers may keep it for a year and still get a changed one at once.

pub struct StaticFile {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
    version: u32,
}

impl StaticFile {
    const fn new(stem: &'static str, extension: &'static str, content_type: &'static str, body: &'static str) -> Self {
        StaticFile { stem, extension, content_type, body, version: fnv1a(body.as_bytes()) }
    }

    fn file_name(&self) -> String {
        format!("{}.{:08x}.{}", self.stem, self.version, self.extension)
    }

    /// Its address, for a page to link.
    pub fn url(&self) -> String {
        format!("/portal/{STATIC_SEGMENT}/{}", self.file_name())
    }
}

const STYLESHEET: StaticFile =
    StaticFile::new("portal", "css", "text/css; charset=utf-8", include_str!("../../../../templates/portal/portal.css"));
/// Mounts the payment gateway's card element on Add Payment Method (production only).
pub const CARD_ELEMENT_SCRIPT: StaticFile = StaticFile::new(
    "add-payment-method",
    "js",
    "text/javascript; charset=utf-8",
    include_str!("../../../../templates/portal/add-payment-method.js"),
);

const fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

/// The segment after `/portal/` that holds the static files. `static` is a reserved slug, so no
/// organization can be named by it; the portal gate lets it through.
pub const STATIC_SEGMENT: &str = "static";

/// A file name under `/portal/static/`.
pub struct AssetName(String);

impl From<String> for AssetName {
    fn from(s: String) -> Self {
        AssetName(s)
    }
}

impl PathParam for AssetName {
    const NAME: &'static str = "file";
}

pub async fn asset(Path(AssetName(file)): Path<AssetName>) -> ApiResult<Response> {
    let Some(found) = [&STYLESHEET, &CARD_ELEMENT_SCRIPT].into_iter().find(|f| f.file_name() == file) else {
        return Err(ApiError::route_not_found());
    };
    response::with_headers(
        200,
        found.body.as_bytes(),
        &[
            ("content-type", found.content_type),
            ("cache-control", "public, max-age=31536000, immutable"),
            ("x-content-type-options", "nosniff"),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// What every page shows around its content, and the one-shot message after a redirect.

/// The page's frame: whose portal it is, a message carried over a redirect, whether to offer
/// "Sign out", whether the page shows errors (its title then starts with "Error:").
#[derive(Clone)]
pub struct Chrome {
    pub org: String,
    org_name: Option<String>,
    pub flash: Option<&'static str>,
    pub signed_in: bool,
    pub has_errors: bool,
}

impl Chrome {
    /// A page that does not know the organization's name (the switch gate, error pages).
    fn anonymous() -> Self {
        Chrome { org: String::new(), org_name: None, flash: None, signed_in: false, has_errors: false }
    }

    pub(super) fn of(org: &str, org_name: String) -> Self {
        Chrome { org: org.to_string(), org_name: Some(org_name), ..Chrome::anonymous() }
    }

    pub(super) fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash.map(Flash::message);
        self
    }

    pub(super) fn with_errors(mut self, errors: &Errors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }

    pub fn known_org(&self) -> bool {
        self.org_name.is_some()
    }

    pub fn org_name(&self) -> &str {
        self.org_name.as_deref().unwrap_or("")
    }

    pub fn site_name(&self) -> String {
        match &self.org_name {
            Some(name) => format!("{name} Customer Portal"),
            None => "Customer Portal".to_string(),
        }
    }

    pub fn stylesheet(&self) -> String {
        STYLESHEET.url()
    }
}

/// The frame of an organization's page: its name, or the not-found page when there is no such
/// organization (the gate has usually said so already).
pub(super) async fn chrome_for(app: &App, org: &str) -> ApiResult<Chrome> {
    match invitations::reset_organization(&app.db, org).await? {
        Some(o) => Ok(Chrome::of(org, o.name)),
        None => Err(ApiError::route_not_found()),
    }
}

const FLASH_COOKIE: &str = "portal_flash";
/// Long enough to survive the redirect, short enough not to greet someone the next day.
const FLASH_SECONDS: i64 = 60;

/// A message for the page after a redirect. The cookie carries only this code, never text, so it
/// cannot be used to put words on our pages.
macro_rules! flashes {
    ($($name:ident = $code:literal => $message:expr,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Flash {
            $($name,)*
        }

        impl Flash {
            const ALL: &'static [Flash] = &[$(Flash::$name,)*];

            fn code(self) -> &'static str {
                match self {
                    $(Flash::$name => $code,)*
                }
            }

            fn message(self) -> &'static str {
                match self {
                    $(Flash::$name => $message,)*
                }
            }
        }
    };
}

flashes! {
    SignedOut = "signed-out" => "You have signed out.",
    SessionEnded = "session-ended" => "Your session has ended. Please sign in again.",
    EndedSignedOut = "ended-signed-out" => ENDED_SIGNED_OUT,
    EndedPasswordChanged = "ended-password-changed" => ENDED_PASSWORD_CHANGED,
    EndedAccess = "ended-access" => ENDED_ACCESS,
    EndedSwitched = "ended-switched" => ENDED_SWITCHED,
    PasswordReset = "password-reset" => "Your password has been changed. Sign in with your new password.",
    Welcome = "welcome" => "You have accepted the invitation and are signed in.",
    FamilySwitched = "family-switched" => "You are now in this family's account.",
    InvitationSent = "invitation-sent" => "The invitation e-mail has been sent.",
    InvitationResent = "invitation-resent" => "The invitation e-mail has been sent again. The earlier link no longer works.",
    AccessRevoked = "access-revoked" => "Their access has been revoked.",
    ResetSent = "reset-sent" => "A password reset e-mail has been sent.",
    GuardianAdded = "guardian-added" => "The guardian has been added. Send them an invitation when they should log in.",
    PermissionsSaved = "permissions-saved" => "The permissions have been saved.",
    ContactSaved = "contact-saved" => "Your contact details have been saved.",
    PasswordChanged = "password-changed" => "Your password has been changed. Your other sessions have ended.",
    PaymentMade = "payment-made" => "Thank you: your payment has been received.",
    MethodSaved = "method-saved" => "The payment method has been saved.",
    MethodUpdated = "method-updated" => "The payment method has been updated.",
    MethodDeleted = "method-deleted" => "The payment method has been deleted.",
    StudentAdded = "student-added" => "The student has been added.",
    StudentUpdated = "student-updated" => "The student has been updated.",
    Enrolled = "enrolled" => "The student has been enrolled.",
    Waitlisted = "waitlisted" => "The class is full: the student is on its waitlist.",
    DropRequested = "drop-requested" => "Your drop request has been sent to the office.",
    TransferRequested = "transfer-requested" => "Your transfer request has been sent to the office.",
    WaitlistCancelled = "waitlist-cancelled" => "The waitlist spot has been cancelled.",
}

impl Flash {
    /// The message for a session that ended, saying why when the API's error does.
    pub(super) fn session_ended(message: &str) -> Flash {
        Flash::ALL.iter().copied().find(|f| f.message() == message).unwrap_or(Flash::SessionEnded)
    }

    pub(super) fn cookie(self, org: &str) -> String {
        session_cookie(FLASH_COOKIE, self.code().to_string(), format!("/portal/{org}"), FLASH_SECONDS)
    }
}

/// The one-shot message the previous response left, if any.
pub struct FlashIn(pub(super) Option<Flash>);

impl FromRequest for FlashIn {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let code = parts.header("cookie").and_then(|c| read_cookie(&c, FLASH_COOKIE));
        Ok(FlashIn(code.and_then(|code| Flash::ALL.iter().copied().find(|f| f.code() == code))))
    }
}

/// The signed-in guardian, or why there is none: a page decides what to do without a session
/// (go to sign-in, saying why) where the API answers 401.
pub struct MaybeCustomer(pub(super) ApiResult<Customer>);

impl FromRequest for MaybeCustomer {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(MaybeCustomer(Customer::from_request(parts).await))
    }
}

/// Renders a page; a message shown on it is spent (its cookie cleared).
pub(super) fn respond<T: Template>(status: u16, template: &T, chrome: &Chrome) -> ApiResult<Response> {
    let resp = page(status, template)?;
    if chrome.flash.is_some() {
        resp.headers().append("set-cookie", &cleared_cookie(FLASH_COOKIE, format!("/portal/{}", chrome.org)))?;
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// Errors of a form.

pub struct FieldError {
    /// The id of the field it belongs to (the summary links there), or none for the whole form.
    pub field: Option<&'static str>,
    pub message: String,
}

#[derive(Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub(super) fn field(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field: Some(field), message: message.into() });
    }

    pub(super) fn form(&mut self, message: impl Into<String>) {
        self.0.push(FieldError { field: None, message: message.into() });
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == Some(field)).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

/// An e-mail address field: the parsed address, or its error added.
fn email_field(errors: &mut Errors, field: &'static str, input: &str) -> Option<EmailAddress> {
    let input = input.trim();
    if input.is_empty() {
        errors.field(field, "Enter your e-mail address.");
        return None;
    }
    match EmailAddress::parse(input) {
        Ok(email) => Some(email),
        Err(_) => {
            errors.field(field, "Enter an e-mail address in the correct format, like name@example.com.");
            None
        }
    }
}

/// A new password field, checked by the same rule the command applies.
pub(super) fn new_password_field(errors: &mut Errors, field: &'static str, input: &str) {
    if input.is_empty() {
        errors.field(field, "Enter a password.");
    } else if let Err(e) = NewPassword::parse(input) {
        errors.field(field, e.to_string());
    }
}

pub(super) fn password_hint() -> String {
    format!("At least {MIN_PASSWORD_CHARS} characters.")
}

/// "15 minutes", "1 minute", "40 seconds": how long to wait, in the words a person would use.
fn wait_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if seconds >= 60 {
        plural((seconds + 59) / 60, "minute")
    } else {
        plural(seconds.max(1), "second")
    }
}

// ---------------------------------------------------------------------------------------------
// Pages that only say something.

#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct MessagePage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
}

pub fn message_page(status: u16, title: &str, message: &str) -> ApiResult<Response> {
    page(status, &MessagePage { chrome: Chrome::anonymous(), title, message })
}

// The two pages the portal gate answers without reading anything but the switch: the same for
// every request, so rendered once per isolate.
thread_local! {
    static NOT_FOUND_PAGE: Option<FixedBody> = anonymous_page("Page not found", "There is no such page in the Customer Portal.");
    static UNAVAILABLE_PAGE: Option<FixedBody> = anonymous_page("Customer Portal unavailable", PORTAL_UNAVAILABLE_MESSAGE);
}

fn anonymous_page(title: &str, message: &str) -> Option<FixedBody> {
    MessagePage { chrome: Chrome::anonymous(), title, message }.render().ok().map(|page| FixedBody::html(&page))
}

fn prebuilt(status: u16, body: &'static std::thread::LocalKey<Option<FixedBody>>) -> ApiResult<Response> {
    body.with(|body| match body {
        Some(body) => response::fixed(status, body),
        None => Err(ApiError::internal("a prebuilt page could not be rendered")),
    })
}

pub fn not_found() -> ApiResult<Response> {
    prebuilt(404, &NOT_FOUND_PAGE)
}

/// The page of a switched-off portal, with exactly the message the product names.
pub fn unavailable() -> ApiResult<Response> {
    prebuilt(503, &UNAVAILABLE_PAGE)
}

/// What a page route answers when its handler (or an extractor) refused: the error as a page,
/// with the same status the API would give.
pub fn error_page(e: ApiError) -> ApiResult<Response> {
    let title = match e.status {
        400 => "The form could not be read",
        401 => "Please sign in",
        403 => "Request refused",
        404 => return not_found(),
        405 => "Not available",
        413 => "The form is too large",
        415 => "Request refused",
        429 => "Too many attempts",
        503 => return unavailable(),
        _ => "Something went wrong",
    };
    let resp = message_page(e.status, title, &e.message)?;
    if let Some(methods) = &e.allow {
        resp.headers().set("allow", methods)?;
    }
    if let Some(seconds) = e.retry_after_seconds {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "portal/link_problem.html")]
pub struct LinkProblemPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
    next_step: String,
    link_href: String,
    link_text: &'static str,
}

/// The page for an invitation link that no longer works: each way it stopped working has its
/// own words, and every one says what to do (a new invitation comes from the Primary Guardian,
/// or from the organization for the Primary Guardian themselves).
fn invitation_problem_page(chrome: Chrome, status: LinkStatus, invitee_is_primary: bool) -> ApiResult<Response> {
    let (title, problem) = match status {
        LinkStatus::Expired => ("This invitation has expired", AccessError::InvitationExpired),
        LinkStatus::Used => ("This invitation has already been used", AccessError::InvitationUsed),
        LinkStatus::Revoked | LinkStatus::Valid => ("This invitation is no longer valid", AccessError::InvitationRevoked),
    };
    let ask = if invitee_is_primary {
        format!("Contact {} and ask them to send you a new invitation.", chrome.org_name())
    } else {
        "Ask the Primary Guardian of your family account to send you a new invitation.".to_string()
    };
    let next_step = match status {
        LinkStatus::Used => format!("If you did not accept it yourself: {}", lowercase_first(&ask)),
        LinkStatus::Revoked => format!("If you received a newer invitation, use the link in that e-mail. Otherwise: {}", lowercase_first(&ask)),
        _ => ask,
    };
    let link_href = format!("/portal/{}", chrome.org);
    let problem_page =
        LinkProblemPage { chrome: chrome.clone(), title, message: problem.to_string(), next_step, link_href, link_text: "Go to sign in" };
    respond(410, &problem_page, &chrome)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn reset_link_problem_page(chrome: Chrome, not_found: bool) -> ApiResult<Response> {
    let (status, title, message) = if not_found {
        (404, "Link not found", "This password reset link is not valid. Check that you copied all of it.".to_string())
    } else {
        (410, "This link no longer works", AccessError::ResetLinkInvalid.to_string())
    };
    let link_href = format!("/portal/{}/forgot-password", chrome.org);
    let problem_page = LinkProblemPage {
        chrome: chrome.clone(),
        title,
        message,
        next_step: "You can ask for a new link: it is sent to the e-mail address you sign in with.".to_string(),
        link_href,
        link_text: "Ask for a new link",
    };
    respond(status, &problem_page, &chrome)
}

// ---------------------------------------------------------------------------------------------
// Sign in and sign out.

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
pub struct SignInPage {
    chrome: Chrome,
    email: String,
    errors: Errors,
}

/// The portal's entry page; someone already signed in goes on to My Account.
pub async fn sign_in_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeCustomer) -> ApiResult<Response> {
    if me.0.is_ok() {
        return see_other(&format!("/portal/{org}/account"), &[]);
    }
    let chrome = chrome_for(&app, &org).await?.with_flash(flash);
    respond(200, &SignInPage { chrome: chrome.clone(), email: String::new(), errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// Signs in with the command the API uses; success sets the same session cookie and goes to My Account.
pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    ClientAddress(client): ClientAddress,
    Form(form): Form<SignInForm>,
) -> ApiResult<Response> {
    let mut errors = Errors::default();
    let email = email_field(&mut errors, "email", &form.email);
    if form.password.is_empty() {
        errors.field("password", "Enter your password.");
    }
    let mut status = 422;
    let mut retry_after = None;
    if let (Some(email), true) = (email, errors.is_empty()) {
        // No family named: the person's first family; the Family Switcher moves them on.
        match sign_in::guardian(&app, &org, &client, &email, &form.password, None).await {
            Ok(signed_in) => return see_other(&format!("/portal/{org}/account"), &[signed_in.session.cookie]),
            Err(e) if e.code == "invalid_credentials" => errors.field("password", e.message.clone()),
            Err(e) if e.status == 429 => {
                let seconds = e.retry_after_seconds.unwrap_or(60);
                errors.form(format!("Too many failed sign-in attempts. Try again in {}.", wait_words(seconds)));
                status = 429;
                retry_after = Some(seconds);
            }
            Err(e) => return Err(e),
        }
    }
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    let resp = respond(status, &SignInPage { chrome: chrome.clone(), email: form.email.trim().to_string(), errors }, &chrome)?;
    if let Some(seconds) = retry_after {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

/// A form with nothing to send but itself (the same-origin check still applies).
#[derive(Deserialize)]
pub struct NoFields {}

/// Ends the session (as the API's sign-out does) and clears the cookie, whether or not the session
/// was still live: the person asked to be signed out, and is.
pub async fn sign_out(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Form(_): Form<NoFields>,
    MaybeCustomer(me): MaybeCustomer,
) -> ApiResult<Response> {
    if let Ok(me) = me {
        sessions::end(&app.db, &me.session_id, "signed_out", app.now()).await?;
    }
    let cleared = cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{org}"));
    see_other(&format!("/portal/{org}"), &[cleared, Flash::SignedOut.cookie(&org)])
}

// ---------------------------------------------------------------------------------------------
// Forgot password, and the e-mailed reset link.

#[derive(Template)]
#[template(path = "portal/forgot_password.html")]
pub struct ForgotPasswordPage {
    chrome: Chrome,
    email: String,
    errors: Errors,
}

pub async fn forgot_password_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?.with_flash(flash);
    respond(200, &ForgotPasswordPage { chrome: chrome.clone(), email: String::new(), errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

/// Asks for a reset link; the next page says the same whether or not the address has an account.
pub async fn forgot_password(app: Rc<App>, OrgSlug(org): OrgSlug, Form(form): Form<EmailForm>) -> ApiResult<Response> {
    let mut errors = Errors::default();
    if let Some(email) = email_field(&mut errors, "email", &form.email) {
        links::request_password_reset(&app, &org, email.as_str()).await?;
        return see_other(&format!("/portal/{org}/forgot-password/sent"), &[]);
    }
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    respond(422, &ForgotPasswordPage { chrome: chrome.clone(), email: form.email.trim().to_string(), errors }, &chrome)
}

#[derive(Template)]
#[template(path = "portal/reset_sent.html")]
pub struct ResetSentPage {
    chrome: Chrome,
}

pub async fn reset_sent(app: Rc<App>, OrgSlug(org): OrgSlug) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?;
    respond(200, &ResetSentPage { chrome: chrome.clone() }, &chrome)
}

#[derive(Template)]
#[template(path = "portal/password_reset.html")]
pub struct PasswordResetPage {
    chrome: Chrome,
    token: LinkToken,
    hint: String,
    errors: Errors,
}

/// The reset link's page: the form while the link works, else what to do.
pub async fn password_reset_page(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?;
    match find_link::<ResetByToken>(&app, &org, &token).await? {
        None => reset_link_problem_page(chrome, true),
        Some(r) if !r.usable(app.now()) => reset_link_problem_page(chrome, false),
        Some(_) => respond(200, &PasswordResetPage { chrome: chrome.clone(), token, hint: password_hint(), errors: Errors::default() }, &chrome),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    new_password: String,
}

/// Sets the new password with the API's command (every session of the guardian ends), then the
/// sign-in page says it is done.
pub async fn complete_password_reset(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Path(token): Path<LinkToken>,
    Form(form): Form<ResetForm>,
) -> ApiResult<Response> {
    let mut errors = Errors::default();
    new_password_field(&mut errors, "new_password", &form.new_password);
    if errors.is_empty() {
        match links::complete_password_reset(&app, &org, &token, &form.new_password).await {
            Ok(()) => return see_other(&format!("/portal/{org}"), &[Flash::PasswordReset.cookie(&org)]),
            Err(e) if e.code == "reset_link_not_found" => return reset_link_problem_page(chrome_for(&app, &org).await?, true),
            Err(e) if e.code == "reset_link_invalid" => return reset_link_problem_page(chrome_for(&app, &org).await?, false),
            Err(e) if e.status == 422 => errors.field("new_password", e.message.clone()),
            Err(e) => return Err(e),
        }
    }
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    respond(422, &PasswordResetPage { chrome: chrome.clone(), token, hint: password_hint(), errors }, &chrome)
}

// ---------------------------------------------------------------------------------------------
// The invitation link.

#[derive(Template)]
#[template(path = "portal/invitation.html")]
pub struct InvitationPage {
    chrome: Chrome,
    token: LinkToken,
    first_name: String,
    family_name: String,
    /// The address already signs in here (a guardian in another family): the form asks for that
    /// login's password, and accepting joins this family to it.
    has_login: bool,
    hint: String,
    confirm_adult: bool,
    accept_terms: bool,
    errors: Errors,
}

fn invitation_password_hint(has_login: bool, email: &str) -> String {
    if has_login {
        format!("{email} already signs in to this portal: enter that password, and this family joins your login.")
    } else {
        password_hint()
    }
}

fn invitation_not_found() -> ApiResult<Response> {
    message_page(404, "Invitation not found", "This invitation link is not valid. Check that you copied all of it.")
}

/// The invitation link: the accept form while it is valid, a clear page for each way it is not.
pub async fn invitation(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let Some(inv) = find_link::<InvitationByToken>(&app, &org, &token).await? else {
        return invitation_not_found();
    };
    let chrome = Chrome::of(&org, inv.org_name.clone());
    let status = inv.status(app.now());
    if status != LinkStatus::Valid {
        return invitation_problem_page(chrome, status, inv.guardian_id == inv.primary_guardian_id);
    }
    let has_login = inv.person_password_hash.is_some();
    let form = InvitationPage {
        chrome: chrome.clone(),
        token,
        first_name: inv.first_name,
        family_name: inv.family_name,
        has_login,
        hint: invitation_password_hint(has_login, &inv.email),
        confirm_adult: false,
        accept_terms: false,
        errors: Errors::default(),
    };
    respond(200, &form, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    password: String,
    /// A checkbox: present when ticked, whatever its value.
    confirm_adult: Option<String>,
    accept_terms: Option<String>,
}

/// Accepts with the API's command, which signs the guardian in: the session cookie is set and
/// My Account greets them.
pub async fn accept_invitation(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Path(token): Path<LinkToken>,
    ClientAddress(client): ClientAddress,
    Form(form): Form<AcceptForm>,
) -> ApiResult<Response> {
    let Some(inv) = find_link::<InvitationByToken>(&app, &org, &token).await? else {
        return invitation_not_found();
    };
    let chrome = Chrome::of(&org, inv.org_name.clone());
    let invitee_is_primary = inv.guardian_id == inv.primary_guardian_id;
    let status = inv.status(app.now());
    if status != LinkStatus::Valid {
        return invitation_problem_page(chrome, status, invitee_is_primary);
    }
    let (confirm_adult, accept_terms) = (form.confirm_adult.is_some(), form.accept_terms.is_some());
    let has_login = inv.person_password_hash.is_some();
    let mut errors = Errors::default();
    if !has_login {
        new_password_field(&mut errors, "password", &form.password);
    } else if form.password.is_empty() {
        errors.field("password", "Enter your password.");
    }
    if !confirm_adult {
        errors.field("confirm_adult", "Confirm that you are 18 or older.");
    }
    if !accept_terms {
        errors.field("accept_terms", AccessError::MustAcceptTerms.to_string());
    }
    let mut retry_after = None;
    if errors.is_empty() {
        let acceptance = Acceptance { token: &token, password: &form.password, confirm_adult, accept_terms };
        match links::accept_invitation(&app, &org, &client, acceptance).await {
            Ok(accepted) => {
                return see_other(&format!("/portal/{org}/account"), &[accepted.session.cookie, Flash::Welcome.cookie(&org)]);
            }
            Err(e) if e.code == "wrong_password" => errors.field("password", e.message.clone()),
            Err(e) if e.status == 429 => {
                let seconds = e.retry_after_seconds.unwrap_or(60);
                errors.form(format!("Too many wrong passwords. Try again in {}.", wait_words(seconds)));
                retry_after = Some(seconds);
            }
            // The link changed while the form was open (a revoke, a re-send, another tab).
            Err(e) if e.code == "invitation_expired" => return invitation_problem_page(chrome, LinkStatus::Expired, invitee_is_primary),
            Err(e) if e.code == "invitation_used" => return invitation_problem_page(chrome, LinkStatus::Used, invitee_is_primary),
            Err(e) if e.code == "invitation_revoked" => return invitation_problem_page(chrome, LinkStatus::Revoked, invitee_is_primary),
            Err(e) if e.code == "invitation_not_found" => return invitation_not_found(),
            Err(e) if e.status == 422 => errors.form(e.message.clone()),
            Err(e) => return Err(e),
        }
    }
    let chrome = chrome.with_errors(&errors);
    let again = InvitationPage {
        chrome: chrome.clone(),
        token,
        first_name: inv.first_name,
        family_name: inv.family_name,
        has_login,
        hint: invitation_password_hint(has_login, &inv.email),
        confirm_adult,
        accept_terms,
        errors,
    };
    let resp = respond(if retry_after.is_some() { 429 } else { 422 }, &again, &chrome)?;
    if let Some(seconds) = retry_after {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// My Account.

#[cfg(test)]
mod tests {
    use super::{fnv1a, lowercase_first, wait_words};

    #[test]
    fn says_waits_in_words() {
        assert_eq!(wait_words(900), "15 minutes");
        assert_eq!(wait_words(61), "2 minutes");
        assert_eq!(wait_words(60), "1 minute");
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(0), "1 second");
        assert_eq!(wait_words(42), "42 seconds");
    }

    #[test]
    fn hashes_like_fnv1a() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }

    #[test]
    fn lowercases_the_first_letter_only() {
        assert_eq!(lowercase_first("Ask the Primary Guardian."), "ask the Primary Guardian.");
    }
}
