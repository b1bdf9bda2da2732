//! What every Office Portal page shows around its content: the organization, the signed-in staff
//! member with "Sign out", the navigation, a message carried over a redirect; and the way to
//! sign-in (saying why) when there is no live staff session.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{cleared_cookie, page, see_other, FromRequest, RequestParts, Response, Staff, STAFF_COOKIE};
use crate::routes::pages::assets::{OFFICE_STYLESHEET, STYLESHEET};
use crate::routes::pages::form::Errors;
use askama::Template;
use portal_core::session::{ENDED_ELSEWHERE, ENDED_SIGNED_OUT, ENDED_STAFF_REMOVED};

/// The parts of the Office Portal the navigation names, in its order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Families,
    Requests,
    Invitations,
    Reports,
    Import,
    Settings,
    /// Sign-in and the pages that only say something.
    None,
}

const NAVIGATION: [(Section, &str, &str); 6] = [
    (Section::Families, "FAMILIES", "families"),
    (Section::Requests, "Requests", "requests"),
    (Section::Invitations, "Invitations", "invitations"),
    (Section::Reports, "Reports", "reports"),
    (Section::Import, "Import", "import"),
    (Section::Settings, "Settings", "settings/customer-portal"),
];

/// One link of the navigation, for the template.
pub struct NavLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The page's frame. `staff_email` is set on the pages of a signed-in staff member.
#[derive(Clone)]
pub struct Chrome {
    pub org: String,
    pub org_name: String,
    pub staff_email: Option<String>,
    pub flash: Option<&'static str>,
    pub has_errors: bool,
    pub section: Section,
}

impl Chrome {
    pub fn of(org: &str, org_name: &str) -> Self {
        Chrome { org: org.to_string(), org_name: org_name.to_string(), staff_email: None, flash: None, has_errors: false, section: Section::None }
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash.map(Flash::message);
        self
    }

    pub fn with_errors(mut self, errors: &Errors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }

    /// The same frame, the navigation marking `section` as the current page.
    pub fn at(mut self, section: Section) -> Self {
        self.section = section;
        self
    }

    pub fn site_name(&self) -> String {
        if self.org_name.is_empty() {
            "Office Portal".to_string()
        } else {
            format!("{} Office Portal", self.org_name)
        }
    }

    pub fn navigation(&self) -> Vec<NavLink> {
        NAVIGATION
            .iter()
            .map(|(section, label, path)| NavLink { label, href: format!("/office/{}/{path}", self.org), current: *section == self.section })
            .collect()
    }

    pub fn stylesheets(&self) -> [String; 2] {
        [STYLESHEET.url("office"), OFFICE_STYLESHEET.url("office")]
    }
}

crate::routes::pages::flash::flashes! {
    cookie = "office_flash", door = "office";
    SignedOut = "signed-out" => "You have signed out.",
    SessionEnded = "session-ended" => "Your session has ended. Please sign in again.",
    EndedSignedOut = "ended-signed-out" => ENDED_SIGNED_OUT,
    StaffRemoved = "staff-removed" => ENDED_STAFF_REMOVED,
    FamilyCreated = "family-created" => "The family has been created.",
    // Settings, Requests, Invitations and failed e-mails
    CustomerPortalSaved = "customer-portal-saved" => "The Customer Portal settings have been saved.",
    PortalOptionsSaved = "portal-options-saved" => "The portal options have been saved.",
    RequestApproved = "request-approved" => "The request has been approved. The family has been e-mailed.",
    RequestDenied = "request-denied" => "The request has been denied. The family has been e-mailed.",
    EmailSentAgain = "email-sent-again" => "The e-mail is on its way again.",
    // Family details and its Actions (pages/family.rs, family_actions.rs)
    InvitationSent = "invitation-sent" => "The invitation e-mail has been sent.",
    InvitationResent = "invitation-resent" => "The invitation e-mail has been sent again. The earlier link no longer works.",
    ResetSent = "reset-sent" => "A password reset e-mail has been sent.",
    LoginRevoked = "login-revoked" => "The login has been revoked. An e-mail tells them to contact the Primary Guardian with any questions.",
    GuardianAdded = "guardian-added" => "The guardian has been added. The Primary Guardian can send them an invitation from the Customer Portal.",
    ContactSaved = "contact-saved" => "The contact details have been saved.",
    FamilyRenamed = "family-renamed" => "The family name has been saved.",
    PrimaryChanged = "primary-changed" => "The Primary Guardian has been changed. All secondary access was revoked: the Primary Guardian must send new invitations.",
    FamiliesMerged = "families-merged" => "The families have been merged. All secondary access was revoked: the Primary Guardian must send new invitations.",
    ContactMoved = "contact-moved" => "The contact has been moved to this family. Their portal access has been disabled.",
    // A family's students and ledger (students.rs, ledger.rs)
    StudentAdded = "student-added" => "The student has been added.",
    StudentUpdated = "student-updated" => "The student has been updated.",
    Enrolled = "enrolled" => "The student has been enrolled.",
    Waitlisted = "waitlisted" => "The class is full: the student is on its waitlist.",
    ChargePosted = "charge-posted" => "The charge has been posted.",
    RefundPosted = "refund-posted" => "The refund has been posted.",
    PaymentTaken = "payment-taken" => "The payment has been taken.",
    // Scheduled maintenance (pages/settings.rs, issue 27)
    MaintenanceScheduled = "maintenance-scheduled" => "The maintenance has been scheduled. The Customer Portal is off from its start to its end, then back by itself.",
    MaintenanceCancelled = "maintenance-cancelled" => "The maintenance has been cancelled.",
    // Account information, credit and statements.
    CreditPosted = "credit-posted" => "The credit has been posted.",
    // Attendance, future absences, evaluations (stu-a)
    EvaluationRecorded = "evaluation-recorded" => "The evaluation has been recorded.",
    AttendanceSaved = "attendance-saved" => "The attendance has been saved.",
    // A family's passes (passes.rs)
    PassSold = "pass-sold" => "The pass has been sold.",
    PassActivated = "pass-activated" => "The pass is active again.",
    PassDeactivated = "pass-deactivated" => "The pass is no longer active: it takes no redemptions.",
    // Signed-in devices (devices.rs; issue 27, part B)
    DeviceSignedOut = "device-signed-out" => "That device has been signed out.",
    OthersSignedOut = "others-signed-out" => "You have been signed out everywhere else.",
    EndedElsewhere = "ended-elsewhere" => ENDED_ELSEWHERE,
    // Makeup tokens (issue 25, tok).
    MakeupTokenIssued = "makeup-token-issued" => "The makeup token has been issued.",
    // QR codes (qr_codes.rs, issue 25)
    QrCodeRotated = "qr-code-rotated" => "The student has a new QR code. The old one no longer works.",
    // A family's Contact Info (contact_points.rs; account information, staff side)
    ContactPointSaved = "contact-point-saved" => "The contact information has been saved.",
    ContactPointDeleted = "contact-point-deleted" => "The contact information has been deleted.",
}

impl Flash {
    /// Why a staff session is gone, in the words the API's error uses when it says.
    fn session_ended(message: &str) -> Flash {
        Flash::ALL.iter().copied().find(|f| f.message() == message).unwrap_or(Flash::SessionEnded)
    }
}

/// The signed-in staff member, or why there is none: a page goes to sign-in where the API answers 401.
pub struct MaybeStaff(pub ApiResult<Staff>);

impl FromRequest for MaybeStaff {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(MaybeStaff(Staff::from_request(parts).await))
    }
}

/// A staff page: the staff member and the page's frame, or where to go instead.
pub enum Session {
    In(Box<Staff>, Chrome),
    Out(Response),
}

/// Without a live staff session a page goes to sign-in, saying why when there was a session.
pub fn session(org: &str, me: MaybeStaff, flash: Option<Flash>) -> ApiResult<Session> {
    match me.0 {
        Ok(staff) => {
            let mut chrome = Chrome::of(org, &staff.org.name).with_flash(flash);
            chrome.staff_email = Some(staff.email.clone());
            Ok(Session::In(Box::new(staff), chrome))
        }
        Err(e) if e.status == 401 => {
            let cookies = if e.code == ErrorCode::NotAuthenticated {
                vec![]
            } else {
                vec![cleared_cookie(STAFF_COOKIE, format!("/office/{org}")), Flash::session_ended(&e.message).cookie(org)]
            };
            Ok(Session::Out(see_other(&format!("/office/{org}"), &cookies)?))
        }
        Err(e) => Err(e),
    }
}

/// `let (staff, chrome) = signed_in!(org, me, flash);` in an Office Portal page handler.
macro_rules! signed_in {
    ($org:expr, $me:expr, $flash:expr) => {
        match super::frame::session(&$org, $me, $flash)? {
            super::frame::Session::In(staff, chrome) => (*staff, chrome),
            super::frame::Session::Out(response) => return Ok(response),
        }
    };
}
pub(crate) use signed_in;

/// Renders a page; a message shown on it is spent (its cookie cleared).
pub fn respond<T: Template>(status: u16, template: &T, chrome: &Chrome) -> ApiResult<Response> {
    let resp = page(status, template)?;
    if chrome.flash.is_some() {
        resp.headers().append("set-cookie", &Flash::spent(&chrome.org))?;
    }
    Ok(resp)
}

/// Back to a staff page with a one-shot message (Post/Redirect/Get).
pub fn redirect_with(org: &str, path: &str, flash: Flash) -> ApiResult<Response> {
    see_other(&format!("/office/{org}/{path}"), &[flash.cookie(org)])
}

#[derive(Template)]
#[template(path = "office/message.html")]
pub struct MessagePage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
}

/// A page route's error as a page, with the status the API would give. Staff pages are never
/// behind the portal switch, so there is no 503 page here.
pub fn error_page(e: ApiError) -> ApiResult<Response> {
    let title = match e.status {
        400 => "The form could not be read",
        401 => "Please sign in",
        403 => "Request refused",
        404 => "Page not found",
        405 => "Not available",
        409 => "This could not be done",
        413 => "The form is too large",
        415 => "Request refused",
        429 => "Too many attempts",
        503 => "Try again shortly",
        _ => "Something went wrong",
    };
    let message = if e.status == 404 { "There is no such page in the Office Portal." } else { e.message.as_str() };
    let resp = page(e.status, &MessagePage { chrome: Chrome::of("", ""), title, message })?;
    if let Some(methods) = &e.allow {
        resp.headers().set("allow", methods)?;
    }
    if let Some(seconds) = e.retry_after_seconds {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

/// "2026-12-06 08:16 UTC": a time as staff read it (in UTC, as the API gives it).
pub fn staff_time(at: portal_core::time::Timestamp) -> String {
    at.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `staff_time` of a time the API gives in RFC 3339.
pub fn when(rfc3339: &str) -> String {
    portal_core::time::Timestamp::parse_rfc3339(rfc3339).map(staff_time).unwrap_or_else(|| rfc3339.to_string())
}
