//! The one HTTP error type of the crate, and the one place where domain errors get their status.

use serde_json::json;
use portal_core::access::AccessError;
use portal_core::bulk::ImportError;
use portal_core::email::InvalidEmail;
use portal_core::enrollment::EnrollmentError;
use portal_core::family::ContactError;
use portal_core::operations::OperationError;
use portal_core::organization::OrganizationError;
use portal_core::password::PasswordError;
use portal_core::payments::PaymentError;
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use portal_core::session::SessionError;
use portal_core::settings::SettingsError;
use portal_core::throttle::Locked;
#[cfg(feature = "http")]
use crate::http::response::Response;
use worker::console_error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
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
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorBody { status, code, message: message.into(), retry_after_seconds: None, allow: None }))
    }
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.0.retry_after_seconds = Some(seconds);
        self
    }
    pub fn with_allow(mut self, methods: String) -> Self {
        self.0.allow = Some(methods);
        self
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(422, "invalid_field", message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }
    pub fn route_not_found() -> Self {
        Self::new(404, "route_not_found", "There is no such route.")
    }
    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "This route does not take that method.")
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    pub fn portal_unavailable() -> Self {
        Self::new(503, "portal_unavailable", PORTAL_UNAVAILABLE_MESSAGE)
    }
    /// Something on our side failed. The details go to the log, never to the client.
    pub fn internal(context: impl std::fmt::Display) -> Self {
        console_error!("internal error: {context}");
        Self::new(500, "internal_error", "Something went wrong on our side. Please try again.")
    }

    /// What the API's JSON answer carries: `{"error": {"code", "message"}}`.
    pub fn body(&self) -> serde_json::Value {
        json!({ "error": { "code": self.code, "message": &self.message } })
    }

    /// The error as the API's JSON answer. `Err` only when the runtime cannot build a response at
    /// all: the fetch entry then answers a bare 500.
    #[cfg(feature = "http")]
    pub fn into_response(self) -> ApiResult<Response> {
        let resp = crate::http::response::json(self.status, &self.body())?;
        // Rarely there: set one by one on the copied headers.
        if let Some(s) = self.retry_after_seconds {
            resp.headers().set("retry-after", &s.to_string())?;
        }
        if let Some(methods) = &self.allow {
            resp.headers().set("allow", methods)?;
        }
        Ok(resp)
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
        ApiError::invalid_field(e.to_string())
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::UnknownHashFormat | PasswordError::Cost => ApiError::internal(e),
            _ => ApiError::invalid_field(e.to_string()),
        }
    }
}

impl From<OrganizationError> for ApiError {
    fn from(e: OrganizationError) -> Self {
        let msg = e.to_string();
        match e {
            OrganizationError::InvalidSlug
            | OrganizationError::ReservedSlug(_)
            | OrganizationError::InvalidName => ApiError::invalid_field(msg),
            OrganizationError::SlugTaken(_) => ApiError::conflict("slug_taken", msg),
            OrganizationError::NotFound(_) => ApiError::new(404, "organization_not_found", msg),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        let msg = e.to_string();
        match e {
            SessionError::WeakSecret | SessionError::Creation => ApiError::internal(msg),
            SessionError::Missing => ApiError::new(401, "not_authenticated", msg),
            SessionError::Invalid | SessionError::WrongAudience => {
                ApiError::new(401, "invalid_session", msg)
            }
            SessionError::Expired => ApiError::new(401, "session_expired", msg),
            SessionError::Ended => ApiError::new(401, "session_ended", msg),
        }
    }
}

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        ApiError::invalid_field(e.to_string())
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        use AccessError::*;
        let msg = e.to_string();
        match e {
            PrimaryGuardianMustInvite => ApiError::forbidden("primary_guardian_must_invite", msg),
            PrimaryGuardianOnly => ApiError::forbidden("primary_guardian_only", msg),
            CannotRevokeSelf => ApiError::forbidden("cannot_revoke_self", msg),
            ContactLocked(_) => ApiError::forbidden("contact_locked", msg),
            GuardianNotFound => ApiError::new(404, "guardian_not_found", msg),
            AlreadyHasAccess(_) => ApiError::conflict("already_has_access", msg),
            NoInvitationToResend(_) => ApiError::conflict("no_invitation_to_resend", msg),
            NothingToRevoke(_) => ApiError::conflict("no_access_to_revoke", msg),
            NoLoginToReset(_) => ApiError::conflict("no_login_to_reset", msg),
            PermissionsForSecondariesOnly => ApiError::conflict("permissions_for_secondaries_only", msg),
            InvitationExpired => ApiError::conflict("invitation_expired", msg),
            InvitationRevoked => ApiError::conflict("invitation_revoked", msg),
            InvitationUsed => ApiError::conflict("invitation_used", msg),
            ResetLinkInvalid => ApiError::conflict("reset_link_invalid", msg),
            NoEmail(_) | MustConfirmAdult | MustAcceptTerms => ApiError::invalid_field(msg),
            ResendTooSoon(seconds) => ApiError::new(429, "resend_cooldown", msg).with_retry_after(seconds),
        }
    }
}

impl From<EnrollmentError> for ApiError {
    fn from(e: EnrollmentError) -> Self {
        use EnrollmentError::*;
        let msg = e.to_string();
        match e {
            Invalid(_) | SameClass => ApiError::invalid_field(msg),
            ClassFull(_) => ApiError::conflict("class_full", msg),
            ClassEnded(_) => ApiError::conflict("class_ended", msg),
            AlreadyEnrolled { .. } => ApiError::conflict("already_enrolled", msg),
            NotPermitted => ApiError::forbidden("enrollments_not_permitted", msg),
            DropRequestsDisabled => ApiError::forbidden("drop_requests_disabled", msg),
            TransferRequestsDisabled => ApiError::forbidden("transfer_requests_disabled", msg),
            CancelWaitlistDisabled => ApiError::forbidden("cancel_waitlist_disabled", msg),
            RequestPending => ApiError::conflict("request_pending", msg),
            NotCurrent => ApiError::conflict("enrollment_not_current", msg),
            NotWaitlisted => ApiError::conflict("not_waitlisted", msg),
            AlreadyDecided(_) => ApiError::conflict("request_decided", msg),
        }
    }
}

impl From<OperationError> for ApiError {
    fn from(e: OperationError) -> Self {
        let msg = e.to_string();
        match e {
            OperationError::FamilyNotFound => ApiError::not_found("family_not_found", msg),
            OperationError::NotInFamily => ApiError::invalid_field(msg),
            OperationError::NothingToMerge | OperationError::MergeIntoItself => ApiError::invalid_field(msg),
            OperationError::ConfirmationRequired(_) => ApiError::conflict("confirmation_required", msg),
            OperationError::FamilyMerged(_) => ApiError::conflict("family_merged", msg),
            OperationError::CannotMovePrimary(_) => ApiError::conflict("cannot_move_primary", msg),
            OperationError::AlreadyInFamily(_) => ApiError::conflict("already_in_family", msg),
            OperationError::Conflict => ApiError::conflict("concurrent_change", msg),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        use PaymentError::*;
        let msg = e.to_string();
        match e {
            NotConfigured => ApiError::conflict("payments_not_configured", msg),
            MethodLimit => ApiError::conflict("payment_method_limit", msg),
            CardNumberRefused => ApiError::new(422, "card_number_refused", msg),
            RecurringAuthorizationRequired => ApiError::forbidden("recurring_authorization_required", msg),
            NotPermitted => ApiError::forbidden("payment_not_permitted", msg),
            NotYourMethod => ApiError::forbidden("not_your_payment_method", msg),
            MethodNotFound => ApiError::not_found("payment_method_not_found", msg),
            Invalid(_) => ApiError::invalid_field(msg),
            Declined(_) => ApiError::new(402, "payment_declined", msg),
            IdempotencyKeyReused => ApiError::conflict("idempotency_key_reused", msg),
            GatewayUnavailable => ApiError::new(502, "gateway_unavailable", msg),
            CardNotConfirmed => ApiError::new(422, "card_not_confirmed", msg),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        let msg = e.to_string();
        match e {
            ImportError::TooManyRows => ApiError::new(413, "too_many_rows", msg),
            ImportError::UnknownColumn(_) | ImportError::MissingColumn(_) | ImportError::DuplicateColumn(_) => {
                ApiError::bad_request("invalid_columns", msg)
            }
            ImportError::NotUtf8(_) | ImportError::Malformed { .. } | ImportError::Empty => {
                ApiError::bad_request("invalid_csv", msg)
            }
        }
    }
}

impl From<Locked> for ApiError {
    fn from(e: Locked) -> Self {
        ApiError::new(429, "too_many_attempts", e.to_string()).with_retry_after(e.retry_after_seconds)
    }
}

/// Every settings error is a value staff can correct.
impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Gateway(e) => e.into(),
            _ => ApiError::invalid_field(e.to_string()),
        }
    }
}
