//! The one HTTP error type of the crate, and the one place where domain errors get their status.

use serde_json::json;
use portal_core::access::AccessError;
use portal_core::bulk::{ApplyError, ImportError};
use portal_core::email::InvalidEmail;
use portal_core::enrollment::EnrollmentError;
use portal_core::evaluation::EvaluationError;
use portal_core::attendance::AttendanceError;
use portal_core::absence::AbsenceError;
use portal_core::family::ContactError;
use portal_core::one_day::OneDayError;
use portal_core::operations::OperationError;
use portal_core::pass::PassError;
use portal_core::makeup_token::MakeupTokenError;
use portal_core::organization::OrganizationError;
use portal_core::password::PasswordError;
use portal_core::payments::PaymentError;
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use portal_core::session::SessionError;
use portal_core::settings::SettingsError;
use portal_core::throttle::Locked;
use worker::console_error;

/// Declares [`ErrorCode`]: the API's `error.code`, one variant per code, so a page matches on a
/// variant (a misspelt code does not compile) and the JSON says the snake_case name.
macro_rules! error_codes {
    ($($variant:ident => $code:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
        }
    };
}

error_codes! {
    AlreadyEnrolled => "already_enrolled",
    AlreadyHasAccess => "already_has_access",
    AlreadyInFamily => "already_in_family",
    BodyTooLarge => "body_too_large",
    CancelWaitlistDisabled => "cancel_waitlist_disabled",
    CannotMovePrimary => "cannot_move_primary",
    CannotRevokeSelf => "cannot_revoke_self",
    CardNotConfirmed => "card_not_confirmed",
    CardNumberRefused => "card_number_refused",
    ClassEnded => "class_ended",
    ClassFull => "class_full",
    ClassNotFound => "class_not_found",
    ConcurrentChange => "concurrent_change",
    ConfirmationRequired => "confirmation_required",
    ContactLocked => "contact_locked",
    CrossSiteRequest => "cross_site_request",
    DropRequestsDisabled => "drop_requests_disabled",
    EmailInUse => "email_in_use",
    EnrollmentNotCurrent => "enrollment_not_current",
    EnrollmentNotFound => "enrollment_not_found",
    EnrollmentsNotPermitted => "enrollments_not_permitted",
    FamilyAccessDenied => "family_access_denied",
    FamilyMerged => "family_merged",
    FamilyNotFound => "family_not_found",
    GatewayUnavailable => "gateway_unavailable",
    GuardianNotFound => "guardian_not_found",
    IdempotencyKeyRequired => "idempotency_key_required",
    IdempotencyKeyReused => "idempotency_key_reused",
    ImportAlreadyApplied => "import_already_applied",
    ImportFailed => "import_failed",
    ImportNotDryRun => "import_not_dry_run",
    ImportNotFinished => "import_not_finished",
    ImportNotFound => "import_not_found",
    ImportStale => "import_stale",
    InternalError => "internal_error",
    InvalidColumns => "invalid_columns",
    InvalidCredentials => "invalid_credentials",
    InvalidCsv => "invalid_csv",
    InvalidField => "invalid_field",
    InvalidSession => "invalid_session",
    InvitationExpired => "invitation_expired",
    InvitationNotFound => "invitation_not_found",
    InvitationRevoked => "invitation_revoked",
    InvitationUsed => "invitation_used",
    LoginEmail => "login_email",
    MalformedForm => "malformed_form",
    MalformedJson => "malformed_json",
    MethodNotAllowed => "method_not_allowed",
    NoAccessToRevoke => "no_access_to_revoke",
    NoInvitationToResend => "no_invitation_to_resend",
    NoLoginToReset => "no_login_to_reset",
    NotAuthenticated => "not_authenticated",
    NotOffered => "not_offered",
    NotWaitlisted => "not_waitlisted",
    NotYourPaymentMethod => "not_your_payment_method",
    OrganizationNotFound => "organization_not_found",
    OutboxMessageNotFailed => "outbox_message_not_failed",
    OutboxMessageNotFound => "outbox_message_not_found",
    OwnerOrAdminRequired => "owner_or_admin_required",
    PaymentDeclined => "payment_declined",
    PaymentMethodLimit => "payment_method_limit",
    PaymentMethodNotFound => "payment_method_not_found",
    PaymentNotPermitted => "payment_not_permitted",
    PaymentsNotConfigured => "payments_not_configured",
    PermissionsForSecondariesOnly => "permissions_for_secondaries_only",
    PortalUnavailable => "portal_unavailable",
    PrimaryGuardianMustInvite => "primary_guardian_must_invite",
    PrimaryGuardianOnly => "primary_guardian_only",
    // Access end dates, leaving a family (issue 27).
    AccessEndForSecondariesOnly => "access_end_for_secondaries_only",
    PrimaryCannotLeave => "primary_cannot_leave",
    RecurringAuthorizationRequired => "recurring_authorization_required",
    RequestDecided => "request_decided",
    RequestNotFound => "request_not_found",
    RequestPending => "request_pending",
    ResendCooldown => "resend_cooldown",
    ResetLinkInvalid => "reset_link_invalid",
    ResetLinkNotFound => "reset_link_not_found",
    RouteNotFound => "route_not_found",
    SessionEnded => "session_ended",
    SessionExpired => "session_expired",
    SlugTaken => "slug_taken",
    StudentNotFound => "student_not_found",
    TooManyAttempts => "too_many_attempts",
    TooManyRows => "too_many_rows",
    TransferRequestsDisabled => "transfer_requests_disabled",
    UnreadableBody => "unreadable_body",
    UnsupportedMediaType => "unsupported_media_type",
    WrongPassword => "wrong_password",
    // Moving an organization between databases (issue 28).
    OrganizationMoving => "organization_moving",
    MoveNotFound => "move_not_found",
    // Account information, credit and statements.
    CreditDisabled => "credit_disabled",
    NothingToApply => "nothing_to_apply",
    ContactPointNotFound => "contact_point_not_found",
    // Attendance, future absences, evaluations (stu-a)
    AttendanceDisabled => "attendance_disabled",
    ClassNotMeeting => "class_not_meeting",
    MeetingNotStarted => "meeting_not_started",
    NotEnrolled => "not_enrolled",
    FutureAbsencesDisabled => "future_absences_disabled",
    AbsenceStarted => "absence_started",
    AbsenceNotFound => "absence_not_found",
    EnrollmentNotPermitted => "enrollment_not_permitted",
    // Your Student(s) part B: one-day visits and passes.
    PassExpired => "pass_expired",
    PassInactive => "pass_inactive",
    PassNotFound => "pass_not_found",
    PassRedemptionDisabled => "pass_redemption_disabled",
    PassUsedUp => "pass_used_up",
    PassesDisabled => "passes_disabled",
    WrongStudent => "wrong_student",
    // Signed-in devices and the Mobile App's refresh tokens (issue 27, part B).
    InvalidRefreshToken => "invalid_refresh_token",
    RefreshTokenReused => "refresh_token_reused",
    SessionNotFound => "session_not_found",
    // Makeup tokens (issue 25, tok).
    MakeupsDisabled => "makeups_disabled",
    MakeupTokenNotFound => "makeup_token_not_found",
    TokenNotAvailable => "token_not_available",
    WrongLocation => "wrong_location",
    // Changing the login e-mail (issue 26).
    EmailChangeLinkNotFound => "email_change_link_not_found",
    EmailChangeLinkExpired => "email_change_link_expired",
    EmailChangeLinkUsed => "email_change_link_used",
    // QR codes (issue 25).
    QrCodesDisabled => "qr_codes_disabled",
    QrCodeNotFound => "qr_code_not_found",
    // Statements for a location (issue 26, stmt).
    StatementsDisabled => "statements_disabled",
    LedgerReportDisabled => "ledger_report_disabled",
    RangeNotAllowed => "range_not_allowed",
    LocationNotFound => "location_not_found",
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    /// For invalid input, the field's path in the request (`primary_guardian.first_name`): the
    /// API's 422 names it, and a page puts the message beside that field.
    pub field: Option<String>,
    pub retry_after_seconds: Option<i64>,
    /// The methods a route takes, for a 405's `Allow` header.
    pub allow: Option<String>,
}

/// Boxed, so that every `Result` (and every async state machine holding one) stays one pointer
/// wide: this alone keeps the wasm several KiB smaller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(Box<ErrorBody>);

impl std::ops::Deref for ApiError {
    type Target = ErrorBody;
    fn deref(&self) -> &ErrorBody {
        &self.0
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorBody { status, code, message: message.into(), field: None, retry_after_seconds: None, allow: None }))
    }
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.0.retry_after_seconds = Some(seconds);
        self
    }
    pub fn with_allow(mut self, methods: String) -> Self {
        self.0.allow = Some(methods);
        self
    }
    /// The field this error is about (its path in the request).
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    /// 422 `invalid_field`, naming the field by its path in the request.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(422, ErrorCode::InvalidField, message).at(field)
    }
    /// 422 `invalid_field` about the request as a whole (no one field is wrong).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(422, ErrorCode::InvalidField, message)
    }
    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }
    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }
    pub fn route_not_found() -> Self {
        Self::new(404, ErrorCode::RouteNotFound, "There is no such route.")
    }
    pub fn method_not_allowed() -> Self {
        Self::new(405, ErrorCode::MethodNotAllowed, "This route does not take that method.")
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    /// 401 `session_ended`, saying why (signed out, revoked, password changed) where the session's
    /// end reason tells.
    pub fn session_ended(reason: Option<&str>) -> Self {
        match portal_core::session::ended_message(reason) {
            Some(why) => Self::new(401, ErrorCode::SessionEnded, why),
            None => SessionError::Ended.into(),
        }
    }
    pub fn portal_unavailable() -> Self {
        Self::new(503, ErrorCode::PortalUnavailable, PORTAL_UNAVAILABLE_MESSAGE)
    }
    /// Something on our side failed. The details go to the log, never to the client.
    pub fn internal(context: impl std::fmt::Display) -> Self {
        console_error!("internal error: {context}");
        Self::new(500, ErrorCode::InternalError, "Something went wrong on our side. Please try again.")
    }

    /// What the API's JSON answer carries: `{"error": {"code", "message", "field"?}}`.
    pub fn body(&self) -> serde_json::Value {
        match &self.field {
            Some(field) => json!({ "error": { "code": self.code.as_str(), "message": &self.message, "field": field } }),
            None => json!({ "error": { "code": self.code.as_str(), "message": &self.message } }),
        }
    }
}

impl From<wasm_bindgen::JsValue> for ApiError {
    fn from(e: wasm_bindgen::JsValue) -> Self {
        ApiError::internal(format!("{e:?}"))
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> Self {
        ApiError::internal(format!("kv: {e:?}"))
    }
}

impl From<InvalidEmail> for ApiError {
    fn from(e: InvalidEmail) -> Self {
        ApiError::invalid_field("email", e.to_string())
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::UnknownHashFormat | PasswordError::Cost => ApiError::internal(e),
            _ => ApiError::invalid_field("password", e.to_string()),
        }
    }
}

impl From<OrganizationError> for ApiError {
    fn from(e: OrganizationError) -> Self {
        let msg = e.to_string();
        match e {
            OrganizationError::InvalidSlug | OrganizationError::ReservedSlug(_) => ApiError::invalid_field("slug", msg),
            OrganizationError::InvalidName => ApiError::invalid_field("name", msg),
            OrganizationError::SlugTaken(_) => ApiError::conflict(ErrorCode::SlugTaken, msg),
            OrganizationError::NotFound(_) => ApiError::new(404, ErrorCode::OrganizationNotFound, msg),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        let msg = e.to_string();
        match e {
            SessionError::WeakSecret | SessionError::Creation => ApiError::internal(msg),
            SessionError::Missing => ApiError::new(401, ErrorCode::NotAuthenticated, msg),
            SessionError::Invalid | SessionError::WrongAudience => {
                ApiError::new(401, ErrorCode::InvalidSession, msg)
            }
            SessionError::Expired => ApiError::new(401, ErrorCode::SessionExpired, msg),
            SessionError::Ended => ApiError::new(401, ErrorCode::SessionEnded, msg),
        }
    }
}

/// Changing the login e-mail (issue 26).
impl From<portal_core::email_change::EmailChangeError> for ApiError {
    fn from(e: portal_core::email_change::EmailChangeError) -> Self {
        use portal_core::email_change::EmailChangeError::*;
        let msg = e.to_string();
        match e {
            SameAddress => ApiError::invalid_field("new_email", msg),
            InUse => ApiError::conflict(ErrorCode::EmailInUse, msg).at("new_email"),
            LinkNotFound => ApiError::not_found(ErrorCode::EmailChangeLinkNotFound, msg),
            LinkExpired => ApiError::new(410, ErrorCode::EmailChangeLinkExpired, msg),
            LinkUsed => ApiError::new(410, ErrorCode::EmailChangeLinkUsed, msg),
            ThroughChangeLoginEmail => ApiError::conflict(ErrorCode::LoginEmail, msg).at("email"),
        }
    }
}

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        ApiError::invalid_field(e.field(), e.to_string())
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        use AccessError::*;
        let msg = e.to_string();
        match e {
            PrimaryGuardianMustInvite => ApiError::forbidden(ErrorCode::PrimaryGuardianMustInvite, msg),
            PrimaryGuardianOnly => ApiError::forbidden(ErrorCode::PrimaryGuardianOnly, msg),
            CannotRevokeSelf => ApiError::forbidden(ErrorCode::CannotRevokeSelf, msg),
            ContactLocked(_) => ApiError::forbidden(ErrorCode::ContactLocked, msg),
            LoginEmail(_) => ApiError::conflict(ErrorCode::LoginEmail, msg).at("email"),
            GuardianNotFound => ApiError::new(404, ErrorCode::GuardianNotFound, msg),
            AlreadyHasAccess(_) => ApiError::conflict(ErrorCode::AlreadyHasAccess, msg),
            NoInvitationToResend(_) => ApiError::conflict(ErrorCode::NoInvitationToResend, msg),
            NothingToRevoke(_) => ApiError::conflict(ErrorCode::NoAccessToRevoke, msg),
            NoLoginToReset(_) => ApiError::conflict(ErrorCode::NoLoginToReset, msg),
            PermissionsForSecondariesOnly => ApiError::conflict(ErrorCode::PermissionsForSecondariesOnly, msg),
            InvitationExpired => ApiError::conflict(ErrorCode::InvitationExpired, msg),
            InvitationRevoked => ApiError::conflict(ErrorCode::InvitationRevoked, msg),
            InvitationUsed => ApiError::conflict(ErrorCode::InvitationUsed, msg),
            ResetLinkInvalid => ApiError::conflict(ErrorCode::ResetLinkInvalid, msg),
            NoEmail(_) => ApiError::invalid_field("email", msg),
            MustConfirmAdult => ApiError::invalid_field("confirm_adult", msg),
            MustAcceptTerms => ApiError::invalid_field("accept_terms", msg),
            ResendTooSoon(seconds) => ApiError::new(429, ErrorCode::ResendCooldown, msg).with_retry_after(seconds),
        }
    }
}

impl From<EnrollmentError> for ApiError {
    fn from(e: EnrollmentError) -> Self {
        use EnrollmentError::*;
        let msg = e.to_string();
        match e {
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
            SameClass => ApiError::invalid_field("class_id", msg),
            ClassFull(_) => ApiError::conflict(ErrorCode::ClassFull, msg),
            ClassEnded(_) => ApiError::conflict(ErrorCode::ClassEnded, msg),
            AlreadyEnrolled { .. } => ApiError::conflict(ErrorCode::AlreadyEnrolled, msg),
            NotPermitted => ApiError::forbidden(ErrorCode::EnrollmentsNotPermitted, msg),
            DropRequestsDisabled => ApiError::forbidden(ErrorCode::DropRequestsDisabled, msg),
            TransferRequestsDisabled => ApiError::forbidden(ErrorCode::TransferRequestsDisabled, msg),
            CancelWaitlistDisabled => ApiError::forbidden(ErrorCode::CancelWaitlistDisabled, msg),
            RequestPending => ApiError::conflict(ErrorCode::RequestPending, msg),
            NotCurrent => ApiError::conflict(ErrorCode::EnrollmentNotCurrent, msg),
            NotWaitlisted => ApiError::conflict(ErrorCode::NotWaitlisted, msg),
            AlreadyDecided(_) => ApiError::conflict(ErrorCode::RequestDecided, msg),
        }
    }
}

impl From<OperationError> for ApiError {
    fn from(e: OperationError) -> Self {
        let msg = e.to_string();
        match e {
            OperationError::FamilyNotFound => ApiError::not_found(ErrorCode::FamilyNotFound, msg),
            OperationError::NotInFamily => ApiError::invalid_field("guardian_id", msg),
            OperationError::NothingToMerge | OperationError::MergeIntoItself => ApiError::invalid_field("from_family_ids", msg),
            OperationError::ConfirmationRequired(_) => ApiError::conflict(ErrorCode::ConfirmationRequired, msg),
            OperationError::FamilyMerged(_) => ApiError::conflict(ErrorCode::FamilyMerged, msg),
            OperationError::CannotMovePrimary(_) => ApiError::conflict(ErrorCode::CannotMovePrimary, msg),
            OperationError::AlreadyInFamily(_) => ApiError::conflict(ErrorCode::AlreadyInFamily, msg),
            OperationError::Conflict => ApiError::conflict(ErrorCode::ConcurrentChange, msg),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        use PaymentError::*;
        let msg = e.to_string();
        match e {
            NotConfigured => ApiError::conflict(ErrorCode::PaymentsNotConfigured, msg),
            MethodLimit => ApiError::conflict(ErrorCode::PaymentMethodLimit, msg),
            CardNumberRefused => ApiError::new(422, ErrorCode::CardNumberRefused, msg),
            RecurringAuthorizationRequired => ApiError::forbidden(ErrorCode::RecurringAuthorizationRequired, msg),
            NotPermitted => ApiError::forbidden(ErrorCode::PaymentNotPermitted, msg),
            NotYourMethod => ApiError::forbidden(ErrorCode::NotYourPaymentMethod, msg),
            MethodNotFound => ApiError::not_found(ErrorCode::PaymentMethodNotFound, msg),
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
            Declined(_) => ApiError::new(402, ErrorCode::PaymentDeclined, msg),
            IdempotencyKeyReused => ApiError::conflict(ErrorCode::IdempotencyKeyReused, msg),
            GatewayUnavailable => ApiError::new(502, ErrorCode::GatewayUnavailable, msg),
            CardNotConfirmed => ApiError::new(422, ErrorCode::CardNotConfirmed, msg),
        }
    }
}

impl From<portal_core::credit::CreditError> for ApiError {
    fn from(e: portal_core::credit::CreditError) -> Self {
        use portal_core::credit::CreditError::*;
        let msg = e.to_string();
        match e {
            Disabled => ApiError::forbidden(ErrorCode::CreditDisabled, msg),
            NothingToApply => ApiError::conflict(ErrorCode::NothingToApply, msg),
            TooMuch { .. } => ApiError::invalid_field("amount_cents", msg),
        }
    }
}

impl From<portal_core::contact::ContactPointError> for ApiError {
    fn from(e: portal_core::contact::ContactPointError) -> Self {
        use portal_core::contact::ContactPointError::*;
        let msg = e.to_string();
        match e {
            Locked(_) | UnassignedLocked => ApiError::forbidden(ErrorCode::ContactLocked, msg),
            LoginEmail => ApiError::conflict(ErrorCode::LoginEmail, msg),
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        let msg = e.to_string();
        match e {
            ImportError::TooManyRows => ApiError::new(413, ErrorCode::TooManyRows, msg),
            ImportError::UnknownColumn(_) | ImportError::MissingColumn(_) | ImportError::DuplicateColumn(_) => {
                ApiError::bad_request(ErrorCode::InvalidColumns, msg)
            }
            ImportError::NotUtf8(_) | ImportError::Malformed { .. } | ImportError::Empty => {
                ApiError::bad_request(ErrorCode::InvalidCsv, msg)
            }
        }
    }
}

impl From<ApplyError> for ApiError {
    fn from(e: ApplyError) -> Self {
        let code = match e {
            ApplyError::NotDryRun => ErrorCode::ImportNotDryRun,
            ApplyError::NotFinished => ErrorCode::ImportNotFinished,
            ApplyError::Failed => ErrorCode::ImportFailed,
            ApplyError::AlreadyApplied(_) => ErrorCode::ImportAlreadyApplied,
            ApplyError::Stale { .. } => ErrorCode::ImportStale,
        };
        ApiError::conflict(code, e.to_string())
    }
}

impl From<Locked> for ApiError {
    fn from(e: Locked) -> Self {
        ApiError::new(429, ErrorCode::TooManyAttempts, e.to_string()).with_retry_after(e.retry_after_seconds)
    }
}

/// Every settings error is a value staff can correct.
impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Gateway(e) => e.into(),
            SettingsError::InvitationTtl => ApiError::invalid_field("invitation_ttl_hours", e.to_string()),
            SettingsError::UnknownTimeZone => ApiError::invalid_field("time_zone", e.to_string()),
            SettingsError::UnknownGatewayKind | SettingsError::StripeNotConfigured => {
                ApiError::invalid_field("payment_gateway.kind", e.to_string())
            }
        }
    }
}

// Scheduled maintenance, access end dates, leaving a family (issue 27).
impl From<portal_core::maintenance::MaintenanceError> for ApiError {
    fn from(e: portal_core::maintenance::MaintenanceError) -> Self {
        use portal_core::maintenance::MaintenanceError::*;
        let field = match e {
            InvalidStart => "schedule.starts_at",
            InvalidEnd | EndsBeforeStart | EndsInPast => "schedule.ends_at",
            InvalidNote => "schedule.note",
        };
        ApiError::invalid_field(field, e.to_string())
    }
}

impl From<portal_core::leaving::LeaveError> for ApiError {
    fn from(e: portal_core::leaving::LeaveError) -> Self {
        use portal_core::leaving::LeaveError::*;
        let msg = e.to_string();
        match e {
            PrimaryCannotLeave => ApiError::forbidden(ErrorCode::PrimaryCannotLeave, msg),
            ConfirmationRequired => ApiError::conflict(ErrorCode::ConfirmationRequired, msg),
        }
    }
}

// Your Student(s) part B.
impl From<OneDayError> for ApiError {
    fn from(e: OneDayError) -> Self {
        let msg = e.to_string();
        match e {
            OneDayError::BadDate | OneDayError::PastDate(_) => ApiError::invalid_field("date", msg),
            OneDayError::ClassNotMeeting { .. } => ApiError::new(422, ErrorCode::ClassNotMeeting, msg).at("date"),
        }
    }
}

// Attendance, future absences, evaluations (stu-a)
impl From<EvaluationError> for ApiError {
    fn from(e: EvaluationError) -> Self {
        let msg = e.to_string();
        match e {
            EvaluationError::Invalid { field, .. } => ApiError::invalid_field(field, msg),
        }
    }
}

impl From<portal_core::access_end::AccessEndError> for ApiError {
    fn from(e: portal_core::access_end::AccessEndError) -> Self {
        use portal_core::access_end::AccessEndError::*;
        let msg = e.to_string();
        match e {
            InvalidDate | InThePast => ApiError::invalid_field("ends_on", msg),
            ForSecondariesOnly => ApiError::conflict(ErrorCode::AccessEndForSecondariesOnly, msg),
        }
    }
}

impl From<AttendanceError> for ApiError {
    fn from(e: AttendanceError) -> Self {
        let msg = e.to_string();
        match e {
            AttendanceError::Disabled => ApiError::forbidden(ErrorCode::AttendanceDisabled, msg),
            AttendanceError::ClassNotMeeting { .. } => ApiError::new(422, ErrorCode::ClassNotMeeting, msg).at("date"),
            AttendanceError::MeetingNotStarted { .. } => ApiError::new(422, ErrorCode::MeetingNotStarted, msg).at("date"),
            AttendanceError::NotEnrolled { index, .. } => ApiError::new(422, ErrorCode::NotEnrolled, msg).at(format!("records[{index}].student_id")),
            AttendanceError::MarkedTwice { index, .. } => ApiError::invalid_field(format!("records[{index}].student_id"), msg),
        }
    }
}

impl From<AbsenceError> for ApiError {
    fn from(e: AbsenceError) -> Self {
        let msg = e.to_string();
        match e {
            AbsenceError::Disabled => ApiError::forbidden(ErrorCode::FutureAbsencesDisabled, msg),
            AbsenceError::NotPermitted => ApiError::forbidden(ErrorCode::EnrollmentNotPermitted, msg),
            AbsenceError::InvalidTime { field } | AbsenceError::PastTime { field } => ApiError::invalid_field(field, msg),
            AbsenceError::EmptySpan | AbsenceError::SpanTooLong => ApiError::invalid_field("to", msg),
            AbsenceError::NoMeetings => ApiError::invalid_request(msg),
            AbsenceError::ClassNotMeeting { .. } => ApiError::new(422, ErrorCode::ClassNotMeeting, msg).at("date"),
            AbsenceError::NotCurrent => ApiError::invalid_field("enrollment_id", msg),
            AbsenceError::InvalidReason => ApiError::invalid_field("reason", msg),
            AbsenceError::Started => ApiError::conflict(ErrorCode::AbsenceStarted, msg),
        }
    }
}

impl From<PassError> for ApiError {
    fn from(e: PassError) -> Self {
        use PassError::*;
        let msg = e.to_string();
        match e {
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
            Disabled => ApiError::forbidden(ErrorCode::PassesDisabled, msg),
            RedemptionDisabled => ApiError::forbidden(ErrorCode::PassRedemptionDisabled, msg),
            UsedUp(_) => ApiError::conflict(ErrorCode::PassUsedUp, msg),
            Expired(_) => ApiError::conflict(ErrorCode::PassExpired, msg),
            Inactive(_) => ApiError::conflict(ErrorCode::PassInactive, msg),
            WrongStudent(_) => ApiError::new(422, ErrorCode::WrongStudent, msg).at("student_id"),
        }
    }
}

// Makeup tokens (issue 25, tok).
impl From<MakeupTokenError> for ApiError {
    fn from(e: MakeupTokenError) -> Self {
        use MakeupTokenError::*;
        let msg = e.to_string();
        match e {
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
            Disabled => ApiError::forbidden(ErrorCode::MakeupsDisabled, msg),
            NotAvailable => ApiError::conflict(ErrorCode::TokenNotAvailable, msg),
            WrongLocation { .. } => ApiError::new(422, ErrorCode::WrongLocation, msg).at("class_id"),
        }
    }
}

// Makeup requests (req).
impl From<portal_core::makeup_request::MakeupRequestError> for ApiError {
    fn from(e: portal_core::makeup_request::MakeupRequestError) -> Self {
        use portal_core::makeup_request::MakeupRequestError::*;
        let msg = e.to_string();
        match e {
            Disabled => ApiError::forbidden(ErrorCode::MakeupsDisabled, msg),
            AlreadyRequested { .. } => ApiError::conflict(ErrorCode::RequestPending, msg),
            BadReason => ApiError::invalid_field("reason", msg),
        }
    }
}

// QR codes (issue 25).
impl From<portal_core::qr_code::QrCodeError> for ApiError {
    fn from(e: portal_core::qr_code::QrCodeError) -> Self {
        use portal_core::qr_code::QrCodeError::*;
        let msg = e.to_string();
        match e {
            Disabled => ApiError::forbidden(ErrorCode::QrCodesDisabled, msg),
            NotFound => ApiError::not_found(ErrorCode::QrCodeNotFound, msg),
            TooLong => ApiError::internal(msg),
        }
    }
}

// Statements for a location (issue 26, stmt).
impl From<portal_core::statement::StatementError> for ApiError {
    fn from(e: portal_core::statement::StatementError) -> Self {
        use portal_core::statement::StatementError::*;
        let msg = e.to_string();
        match e {
            StatementsDisabled => ApiError::forbidden(ErrorCode::StatementsDisabled, msg),
            LedgerReportDisabled => ApiError::forbidden(ErrorCode::LedgerReportDisabled, msg),
            RangeNotAllowed { field } => ApiError::new(422, ErrorCode::RangeNotAllowed, msg).at(field),
            Invalid { field, .. } => ApiError::invalid_field(field, msg),
        }
    }
}
