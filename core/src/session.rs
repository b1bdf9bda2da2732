//! Sessions you can kill: a signed token names a session; the session row decides.
//!
//! The JWT (HS256) only proves that we issued the session id. Every authenticated request also
//! loads the session row, so logout, revocation and the portal switch take effect on the very next
//! request, not when the token expires.

use crate::time::Timestamp;
use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken, ValidationError};
use serde::{Deserialize, Serialize};

pub const MIN_SECRET_BYTES: usize = 64;
pub const STAFF_SESSION_HOURS: i64 = 12;
pub const GUARDIAN_SESSION_HOURS: i64 = 24 * 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Staff,
    Guardian,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Staff => "staff",
            SessionKind::Guardian => "guardian",
        }
    }
    pub fn lifetime_hours(self) -> i64 {
        match self {
            SessionKind::Staff => STAFF_SESSION_HOURS,
            SessionKind::Guardian => GUARDIAN_SESSION_HOURS,
        }
    }
}

/// What the token carries. `org` is the organization's id: a token is good for one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub sid: String,
    pub org: String,
    pub kind: SessionKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("The session secret must be at least {MIN_SECRET_BYTES} bytes.")]
    WeakSecret,
    #[error("Sign in first: this request has no session token.")]
    Missing,
    #[error("The session token is not valid.")]
    Invalid,
    #[error("The session has expired. Please sign in again.")]
    Expired,
    #[error("The session has ended. Please sign in again.")]
    Ended,
    #[error("The session token is for another organization or portal.")]
    WrongAudience,
    #[error("Could not create a session token.")]
    Creation,
}

pub struct SessionKey(Hs256Key);

impl SessionKey {
    pub fn new(secret: &[u8]) -> Result<Self, SessionError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SessionError::WeakSecret);
        }
        Ok(SessionKey(Hs256Key::new(secret)))
    }

    pub fn issue(
        &self,
        claims: SessionClaims,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<String, SessionError> {
        let now_dt = now.to_datetime();
        let opts = TimeOptions::new(Duration::zero(), move || now_dt);
        let lifetime = Duration::milliseconds(expires_at.millis() - now.millis());
        let claims = Claims::new(claims).set_duration_and_issuance(&opts, lifetime);
        Hs256
            .token(&Header::empty().with_token_type("JWT"), &claims, &self.0)
            .map_err(|_| SessionError::Creation)
    }

    /// Checks the signature and expiry. The session row must still be checked (`check_live`).
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<SessionClaims, SessionError> {
        let untrusted = UntrustedToken::new(token).map_err(|_| SessionError::Invalid)?;
        if untrusted.algorithm() != "HS256" {
            return Err(SessionError::Invalid);
        }
        let token = Hs256
            .validator::<SessionClaims>(&self.0)
            .validate(&untrusted)
            .map_err(|_| SessionError::Invalid)?;
        let now_dt: DateTime<Utc> = now.to_datetime();
        let opts = TimeOptions::new(Duration::seconds(5), move || now_dt);
        token.claims().validate_expiration(&opts).map_err(|e| match e {
            ValidationError::Expired => SessionError::Expired,
            _ => SessionError::Invalid,
        })?;
        Ok(token.claims().custom.clone())
    }
}

/// How long a browser that signed in stays known (the device cookie's lifetime).
pub const DEVICE_DAYS: i64 = 365;

/// A device token's claims: the login it signed in to (`staff:{org}:{email}`), nothing else. A
/// session token never reads as one (it has no `device`), nor a device token as a session.
#[derive(Serialize, Deserialize)]
struct DeviceClaims {
    device: String,
}

impl SessionKey {
    /// OWASP's "device cookie": proof that this browser signed in to `login` before, so that a lock
    /// on its client address (a shared Wi-Fi's, a carrier's) does not keep it out. The account's
    /// own lock still holds.
    pub fn issue_device(&self, login: &str, now: Timestamp) -> Result<String, SessionError> {
        let now_dt = now.to_datetime();
        let opts = TimeOptions::new(Duration::zero(), move || now_dt);
        let claims = Claims::new(DeviceClaims { device: login.to_string() }).set_duration_and_issuance(&opts, Duration::days(DEVICE_DAYS));
        Hs256.token(&Header::empty().with_token_type("JWT"), &claims, &self.0).map_err(|_| SessionError::Creation)
    }

    /// Whether `token` is this deployment's device token for `login`, unexpired.
    pub fn is_device_of(&self, token: &str, login: &str, now: Timestamp) -> bool {
        let Ok(untrusted) = UntrustedToken::new(token) else { return false };
        if untrusted.algorithm() != "HS256" {
            return false;
        }
        let Ok(token) = Hs256.validator::<DeviceClaims>(&self.0).validate(&untrusted) else { return false };
        let now_dt: DateTime<Utc> = now.to_datetime();
        let opts = TimeOptions::new(Duration::zero(), move || now_dt);
        token.claims().validate_expiration(&opts).is_ok() && token.claims().custom.device == login
    }
}

/// The session row as stored, with the organization facts that decide whether it still counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub kind: SessionKind,
    pub org_id: String,
    pub subject_id: String,
    pub expires_at: Timestamp,
    pub revoked: bool,
    /// The organization's customer-session epoch when this session began.
    pub epoch: i64,
    /// The organization's customer-session epoch now: disabling the portal raises it.
    pub org_customer_session_epoch: i64,
}

/// Whether a verified token's session still lets its holder in, now.
pub fn check_live(
    claims: &SessionClaims,
    stored: &StoredSession,
    now: Timestamp,
) -> Result<(), SessionError> {
    if stored.kind != claims.kind || stored.org_id != claims.org {
        return Err(SessionError::WrongAudience);
    }
    if stored.revoked {
        return Err(SessionError::Ended);
    }
    if stored.expires_at <= now {
        return Err(SessionError::Expired);
    }
    // Disabling the Customer Portal logs every customer out; re-enabling does not revive them.
    if stored.kind == SessionKind::Guardian && stored.epoch < stored.org_customer_session_epoch {
        return Err(SessionError::Ended);
    }
    Ok(())
}

/// What a person is told when their next request finds their session ended, by the reason the
/// session was ended with (`sessions.end_reason`).
pub const ENDED_SIGNED_OUT: &str = "You signed out. Please sign in again.";
pub const ENDED_PASSWORD_CHANGED: &str = "Your password was changed. Please sign in with your new password.";
pub const ENDED_ACCESS: &str =
    "Your access to this family's account has ended. If you have questions, contact the Primary Guardian.";
/// A staff member's session whose staff account is gone from the organization.
pub const ENDED_STAFF_REMOVED: &str =
    "Your Office Portal account has been removed from this organization. Ask its owner or an admin if this is a mistake.";
pub const ENDED_SWITCHED: &str = "You moved to another family account in another window. Please sign in again.";
/// Signed out from the list of signed-in devices, on another device.
pub const ENDED_ELSEWHERE: &str = "This device was signed out from another of your devices. Please sign in again.";
/// The Mobile App's sign-in ended because one of its refresh tokens was used twice.
pub const ENDED_REFRESH_REUSED: &str =
    "This sign-in was ended because one of its refresh tokens was used twice. Please sign in again.";

/// The login e-mail changed (issue 26): the other sessions of the login end, as for a new password.
pub const ENDED_LOGIN_EMAIL_CHANGED: &str = "Your login e-mail was changed. Please sign in with your new e-mail address.";

pub fn ended_message(reason: Option<&str>) -> Option<&'static str> {
    match reason? {
        "signed_out" => Some(ENDED_SIGNED_OUT),
        "password_changed" | "password_reset" => Some(ENDED_PASSWORD_CHANGED),
        "access_revoked" | "primary_changed" | "families_merged" | "moved" => Some(ENDED_ACCESS),
        "switched_family" => Some(ENDED_SWITCHED),
        "signed_out_elsewhere" => Some(ENDED_ELSEWHERE),
        "refresh_token_reused" => Some(ENDED_REFRESH_REUSED),
        "login_email_changed" => Some(ENDED_LOGIN_EMAIL_CHANGED),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SessionKey {
        SessionKey::new(&[7u8; 64]).unwrap()
    }
    fn claims() -> SessionClaims {
        SessionClaims { sid: "ses_1".into(), org: "org_1".into(), kind: SessionKind::Staff }
    }
    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn a_device_token_vouches_for_its_login_only_and_is_never_a_session() {
        let device = key().issue_device("staff:splash:owner@splash.test", NOW).unwrap();
        assert!(key().is_device_of(&device, "staff:splash:owner@splash.test", NOW.plus_hours(24 * 300)));
        assert!(!key().is_device_of(&device, "staff:splash:other@splash.test", NOW));
        assert!(!key().is_device_of(&device, "staff:splash:owner@splash.test", NOW.plus_hours(24 * (DEVICE_DAYS + 1))));
        assert!(!SessionKey::new(&[8u8; 64]).unwrap().is_device_of(&device, "staff:splash:owner@splash.test", NOW));
        assert_eq!(key().verify(&device, NOW), Err(SessionError::Invalid));
        let session = key().issue(claims(), NOW, NOW.plus_hours(12)).unwrap();
        assert!(!key().is_device_of(&session, "staff:splash:owner@splash.test", NOW));
    }

    #[test]
    fn refuses_a_short_secret() {
        assert!(matches!(SessionKey::new(&[1u8; 63]), Err(SessionError::WeakSecret)));
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let t = key().issue(claims(), NOW, NOW.plus_hours(12)).unwrap();
        assert_eq!(key().verify(&t, NOW.plus_hours(1)).unwrap(), claims());
        assert_eq!(key().verify(&t, NOW.plus_hours(13)), Err(SessionError::Expired));
    }

    #[test]
    fn a_tampered_token_or_another_key_is_refused() {
        let t = key().issue(claims(), NOW, NOW.plus_hours(1)).unwrap();
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged_claims = {
            use base64ct::{Base64UrlUnpadded as B64, Encoding};
            let json = String::from_utf8(B64::decode_vec(parts[1]).unwrap()).unwrap();
            B64::encode_string(json.replace("ses_1", "ses_2").as_bytes())
        };
        parts[1] = &forged_claims;
        assert_eq!(key().verify(&parts.join("."), NOW), Err(SessionError::Invalid));
        let other = SessionKey::new(&[8u8; 64]).unwrap();
        assert_eq!(other.verify(&t, NOW), Err(SessionError::Invalid));
        assert_eq!(key().verify("not.a.token", NOW), Err(SessionError::Invalid));
    }

    fn stored() -> StoredSession {
        StoredSession {
            kind: SessionKind::Guardian,
            org_id: "org_1".into(),
            subject_id: "gdn_1".into(),
            expires_at: NOW.plus_hours(1),
            revoked: false,
            epoch: 3,
            org_customer_session_epoch: 3,
        }
    }
    fn guardian_claims() -> SessionClaims {
        SessionClaims { kind: SessionKind::Guardian, ..claims() }
    }

    #[test]
    fn a_live_session_passes() {
        assert_eq!(check_live(&guardian_claims(), &stored(), NOW), Ok(()));
    }

    #[test]
    fn a_revoked_session_is_refused_at_once() {
        let s = StoredSession { revoked: true, ..stored() };
        assert_eq!(check_live(&guardian_claims(), &s, NOW), Err(SessionError::Ended));
    }

    #[test]
    fn disabling_the_portal_ends_customer_sessions_for_good() {
        let s = StoredSession { org_customer_session_epoch: 4, ..stored() };
        assert_eq!(check_live(&guardian_claims(), &s, NOW), Err(SessionError::Ended));
    }

    #[test]
    fn staff_sessions_ignore_the_customer_epoch() {
        let s = StoredSession { kind: SessionKind::Staff, org_customer_session_epoch: 9, ..stored() };
        assert_eq!(check_live(&claims(), &s, NOW), Ok(()));
    }

    #[test]
    fn a_token_for_another_organization_or_kind_is_refused() {
        let s = StoredSession { org_id: "org_2".into(), ..stored() };
        assert_eq!(check_live(&guardian_claims(), &s, NOW), Err(SessionError::WrongAudience));
        assert_eq!(check_live(&claims(), &stored(), NOW), Err(SessionError::WrongAudience));
    }

    #[test]
    fn an_ended_session_says_why() {
        assert_eq!(ended_message(Some("access_revoked")), Some(ENDED_ACCESS));
        assert_eq!(ended_message(Some("moved")), Some(ENDED_ACCESS));
        assert_eq!(ended_message(Some("password_reset")), Some(ENDED_PASSWORD_CHANGED));
        assert_eq!(ended_message(Some("signed_out")), Some(ENDED_SIGNED_OUT));
        assert_eq!(ended_message(Some("signed_out_elsewhere")), Some(ENDED_ELSEWHERE));
        assert_eq!(ended_message(Some("refresh_token_reused")), Some(ENDED_REFRESH_REUSED));
        assert_eq!(ended_message(Some("something_new")), None);
        assert_eq!(ended_message(None), None);
    }
}
