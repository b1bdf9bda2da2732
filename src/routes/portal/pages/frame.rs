//! What every page shows around its content (the frame, the one-shot message after a redirect,
//! the signed-in guardian or the way to sign-in) and the pages that only say something.

use crate::routes::pages::form::*;
use crate::routes::pages::assets::STYLESHEET;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{cleared_cookie, page, response::{self, FixedBody}, see_other, Response, Customer, FromRequest, RequestParts, GUARDIAN_COOKIE,
};
use crate::store::invitations::{self};
use crate::commands::enrollments::LocationRow;
use askama::Template;
use portal_core::maintenance::MaintenanceWindow;
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use portal_core::time::Timestamp;
use portal_core::session::{ENDED_ACCESS, ENDED_ELSEWHERE, ENDED_PASSWORD_CHANGED, ENDED_SIGNED_OUT, ENDED_SWITCHED};
use portal_core::session::ENDED_LOGIN_EMAIL_CHANGED;

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
        STYLESHEET.url("portal")
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

crate::routes::pages::flash::flashes! {
    cookie = "portal_flash", door = "portal";
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
    // Access end dates, leaving a family (pages/access_end.rs, pages/leaving.rs, issue 27)
    AccessEndSaved = "access-end-saved" => "The access end date has been saved.",
    AccessEndCleared = "access-end-cleared" => "The access end date has been cleared.",
    LeftFamily = "left-family" => "You have left the family. Sign in to reach any other family's account you have.",
    // Account information, credit and statements.
    CreditApplied = "credit-applied" => "Your credit has been applied to outstanding charges.",
    NoCreditToApply = "no-credit-to-apply" => "There is no credit to apply to outstanding charges.",
    ContactPointSaved = "contact-point-saved" => "The contact information has been saved.",
    ContactPointDeleted = "contact-point-deleted" => "The contact information has been deleted.",
    // Locations, attendance, future absences, evaluations (stu-a)
    LocationChosen = "location-chosen" => "The location has been changed.",
    AbsenceCreated = "absence-created" => "The future absence has been sent to the office.",
    AbsenceCancelled = "absence-cancelled" => "The future absence has been cancelled.",
    // Your Student(s) part B.
    PunchRedeemed = "punch-redeemed" => "A punch has been redeemed: the student has a place in the class that day.",
    // Signed-in devices (issue 27, part B)
    DeviceSignedOut = "device-signed-out" => "That device has been signed out.",
    OthersSignedOut = "others-signed-out" => "You have been signed out everywhere else.",
    EndedElsewhere = "ended-elsewhere" => ENDED_ELSEWHERE,
    // Makeup tokens (issue 25, tok).
    MakeupTokenUsed = "makeup-token-used" => "The makeup token has been used: the student has a place in the class that day.",
    // Makeup requests (req).
    MakeupRequested = "makeup-requested" => "Your makeup request has been sent to the office.",
    // Changing the login e-mail (issue 26).
    CheckNewInbox = "check-new-inbox" => "Check your new inbox: open the link we sent there to confirm your new login e-mail. Until then you sign in with your current address.",
    LoginEmailChanged = "login-email-changed" => "Your login e-mail has been changed. Sign in with your new e-mail address from now on.",
    EndedLoginEmailChanged = "ended-login-email-changed" => ENDED_LOGIN_EMAIL_CHANGED,
}

impl Flash {
    /// The message for a session that ended, saying why when the API's error does.
    pub(super) fn session_ended(message: &str) -> Flash {
        Flash::ALL.iter().copied().find(|f| f.message() == message).unwrap_or(Flash::SessionEnded)
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
        resp.headers().append("set-cookie", &Flash::spent(&chrome.org))?;
    }
    Ok(resp)
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

pub(super) fn anonymous_page(title: &str, message: &str) -> Option<FixedBody> {
    MessagePage { chrome: Chrome::anonymous(), title, message }.render().ok().map(|page| FixedBody::html(&page))
}

pub(super) fn prebuilt(status: u16, body: &'static std::thread::LocalKey<Option<FixedBody>>) -> ApiResult<Response> {
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

/// The page of a portal off for scheduled maintenance: the product's message, the window's note
/// under it, and `Retry-After` (seconds to the window's end).
#[derive(Template)]
#[template(path = "portal/unavailable.html")]
struct MaintenancePage<'a> {
    chrome: Chrome,
    message: &'a str,
    note: Option<&'a str>,
}

pub fn unavailable_for_maintenance(window: &MaintenanceWindow, now: Timestamp) -> ApiResult<Response> {
    maintenance_page(window.note.as_deref(), window.retry_after_seconds(now))
}

fn maintenance_page(note: Option<&str>, retry_after_seconds: i64) -> ApiResult<Response> {
    let resp = page(503, &MaintenancePage { chrome: Chrome::anonymous(), message: PORTAL_UNAVAILABLE_MESSAGE, note })?;
    resp.headers().set("retry-after", &retry_after_seconds.to_string())?;
    Ok(resp)
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
        // Moving an organization (issue 28): a write refused for a minute, not the switch.
        503 if e.code == ErrorCode::OrganizationMoving => "Try again shortly",
        // A maintenance window's 503 says when to come back; its note is under the fixed message.
        503 => {
            return match e.retry_after_seconds {
                Some(seconds) => maintenance_page(e.message.split_once('\n').map(|(_, note)| note), seconds),
                None => unavailable(),
            }
        }
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

/// A page of My Account: the signed-in guardian and the page frame, or where to go instead.
pub(super) enum Session {
    In(Box<Customer>, Chrome),
    Out(Response),
}

/// Without a live session a page goes to sign-in, saying the session ended when there was one.
pub(super) fn session(org: &str, me: MaybeCustomer, flash: Option<Flash>) -> ApiResult<Session> {
    match me.0 {
        Ok(me) => {
            let mut chrome = Chrome::of(org, me.org.name.clone()).with_flash(flash);
            chrome.signed_in = true;
            Ok(Session::In(Box::new(me), chrome))
        }
        Err(e) if e.status == 401 => {
            let cookies = if e.code == ErrorCode::NotAuthenticated {
                vec![]
            } else {
                vec![cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{org}")), Flash::session_ended(&e.message).cookie(org)]
            };
            Ok(Session::Out(see_other(&format!("/portal/{org}"), &cookies)?))
        }
        Err(e) => Err(e),
    }
}

/// `let (me, chrome) = signed_in!(org, me, flash);` in a page handler.
macro_rules! signed_in {
    ($org:expr, $me:expr, $flash:expr) => {
        match super::frame::session(&$org, $me, $flash)? {
            super::frame::Session::In(me, chrome) => (*me, chrome),
            super::frame::Session::Out(response) => return Ok(response),
        }
    };
}
pub(super) use signed_in;

/// Back to My Account (at `section`) with a one-shot message.
pub(super) fn back_to_account(org: &str, section: &str, flash: Flash) -> ApiResult<Response> {
    see_other(&format!("/portal/{org}/account#{section}"), &[flash.cookie(org)])
}

// ---------------------------------------------------------------------------------------------
// The Location selector (stu-a): the location the family looks at, remembered per browser in a
// cookie (no JavaScript needed). Pages that show something "for this location" call
// `chosen_location`.

pub const LOCATION_COOKIE: &str = "portal_location";
/// A choice kept for a year: it is a preference, not a secret.
const LOCATION_SECONDS: i64 = 365 * 24 * 3600;

/// The location id this browser's cookie names, if any (not yet checked against the locations).
pub struct LocationCookie(pub Option<String>);

impl FromRequest for LocationCookie {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(LocationCookie(parts.header("cookie").and_then(|c| crate::http::cookies::read_cookie(&c, LOCATION_COOKIE))))
    }
}

/// The cookie that remembers `location_id` in this organization's portal.
pub fn location_cookie(org: &str, location_id: &str) -> String {
    crate::http::session_cookie(LOCATION_COOKIE, location_id.to_string(), format!("/portal/{org}"), LOCATION_SECONDS)
}

/// The chosen location among the organization's: the cookie's, else the first (an organization
/// with one location needs no choice). A stale cookie (a location removed) falls back the same way.
pub fn chosen_location<'a>(cookie: &LocationCookie, locations: &'a [LocationRow]) -> Option<&'a LocationRow> {
    cookie.0.as_deref().and_then(|id| locations.iter().find(|l| l.id == id)).or_else(|| locations.first())
}

/// What the Location selector shows: every location, the chosen one marked.
pub struct LocationSelector {
    pub locations: Vec<LocationRow>,
    pub chosen_id: Option<String>,
}

impl LocationSelector {
    pub fn new(cookie: &LocationCookie, locations: Vec<LocationRow>) -> Self {
        let chosen_id = chosen_location(cookie, &locations).map(|l| l.id.clone());
        LocationSelector { locations, chosen_id }
    }

    pub fn is_chosen(&self, id: &str) -> bool {
        self.chosen_id.as_deref() == Some(id)
    }
}
