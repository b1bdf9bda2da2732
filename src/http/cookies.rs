//! The session cookie browsers get at sign-in: HttpOnly, Secure, SameSite=Lax, scoped to the portal.

use crate::commands::sign_in::Session;
use cookie::{time::Duration, Cookie, SameSite};
use portal_core::session::{SessionKind, DEVICE_DAYS};

pub const STAFF_COOKIE: &str = "office_session";
pub const GUARDIAN_COOKIE: &str = "portal_session";
/// A browser that signed in before (see `SessionKey::issue_device`): long-lived, sent only to its
/// portal's sign-in, never read as a session.
pub const STAFF_DEVICE_COOKIE: &str = "office_device";
pub const GUARDIAN_DEVICE_COOKIE: &str = "portal_device";

pub fn session_cookie(name: &'static str, token: String, path: String, max_age_seconds: i64) -> String {
    Cookie::build((name, token))
        .path(path)
        .max_age(Duration::seconds(max_age_seconds))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build()
        .to_string()
}

impl Session {
    /// The browser's cookie for this session, scoped to its portal and living as long as it.
    pub fn cookie(&self) -> String {
        let (name, path) = match self.kind {
            SessionKind::Staff => (STAFF_COOKIE, format!("/office/{}", self.org_slug)),
            SessionKind::Guardian => (GUARDIAN_COOKIE, format!("/portal/{}", self.org_slug)),
        };
        session_cookie(name, self.token.clone(), path, self.kind.lifetime_hours() * 3600)
    }

    /// The session's cookie, and the device cookie when a password was checked.
    pub fn cookies(&self) -> Vec<String> {
        let device = self.device.as_ref().map(|token| device_cookie(self, token.clone()));
        std::iter::once(self.cookie()).chain(device).collect()
    }
}

/// The device cookie for `token`, in the portal of this session.
fn device_cookie(session: &Session, token: String) -> String {
    let (name, path) = match session.kind {
        SessionKind::Staff => (STAFF_DEVICE_COOKIE, format!("/office/{}", session.org_slug)),
        SessionKind::Guardian => (GUARDIAN_DEVICE_COOKIE, format!("/portal/{}", session.org_slug)),
    };
    Cookie::build((name, token))
        .path(path)
        .max_age(Duration::days(DEVICE_DAYS))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .build()
        .to_string()
}

pub fn cleared_cookie(name: &'static str, path: String) -> String {
    session_cookie(name, String::new(), path, 0)
}

/// The named cookie's value from a `Cookie` header, if present and not empty.
pub fn read_cookie(header: &str, name: &str) -> Option<String> {
    Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}
