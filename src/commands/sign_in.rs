//! What staff and guardian sign-in share: throttled password checks and issuing a session.

use crate::app::App;
use crate::adapters::crypto::{new_id, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::http::{session_cookie, GUARDIAN_COOKIE, STAFF_COOKIE};
use crate::store::{sessions, throttle, Guard};
use portal_core::password::{dummy_hash, PasswordHash};
use portal_core::session::{SessionClaims, SessionKind};
use portal_core::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use worker::D1PreparedStatement;

pub fn invalid_credentials() -> ApiError {
    ApiError::new(401, "invalid_credentials", "The e-mail address or password is incorrect.")
}

/// Checks `password` against `stored_hash` (a dummy hash when there is no account, so timing
/// reveals nothing), under the account and client-address throttles. On success returns the
/// statement that clears the account's failure count, to be written with the new session.
pub async fn verify_throttled(
    app: &App,
    client_address: &str,
    account_key: &str,
    stored_hash: Option<&str>,
    password: &str,
) -> ApiResult<D1PreparedStatement> {
    let address_key = format!("addr:{client_address}");
    let throttles = throttle::load(&app.db, &[account_key, &address_key]).await?;
    ACCOUNT_POLICY.check(throttles.get(account_key), app.now)?;
    ADDRESS_POLICY.check(throttles.get(&address_key), app.now)?;

    let stored = stored_hash.map(PasswordHash::parse).transpose()?;
    let matches = verify_password(password, stored.as_ref().unwrap_or(&dummy_hash())).await?;
    if matches && stored.is_some() {
        return throttle::clear(&app.db, account_key);
    }
    let account_state = ACCOUNT_POLICY.after_failure(throttles.get(account_key), app.now);
    let address_state = ADDRESS_POLICY.after_failure(throttles.get(&address_key), app.now);
    app.db
        .batch(vec![
            throttle::save(&app.db, account_key, &account_state)?,
            throttle::save(&app.db, &address_key, &address_state)?,
        ])
        .await?;
    Err(invalid_credentials())
}

pub struct NewSession {
    pub token: String,
    pub cookie: String,
    pub statement: D1PreparedStatement,
}

/// A session row (to be written by the caller's batch, optionally guarded) and its signed token.
pub fn new_session(
    app: &App,
    kind: SessionKind,
    org_id: &str,
    org_slug: &str,
    subject_id: &str,
    epoch: i64,
    guard: Option<Guard<'_>>,
) -> ApiResult<NewSession> {
    let session_id = new_id("ses")?;
    let expires_at = app.now.plus_hours(kind.lifetime_hours());
    let statement = sessions::insert(&app.db, &session_id, org_id, kind, subject_id, epoch, app.now, expires_at, guard)?;
    let claims = SessionClaims { sid: session_id, org: org_id.to_string(), kind };
    let token = app.config.session_key.issue(claims, app.now, expires_at)?;
    let (cookie_name, path) = match kind {
        SessionKind::Staff => (STAFF_COOKIE, format!("/office/{org_slug}")),
        SessionKind::Guardian => (GUARDIAN_COOKIE, format!("/portal/{org_slug}")),
    };
    let cookie = session_cookie(cookie_name, token.clone(), path, kind.lifetime_hours() * 3600);
    Ok(NewSession { token, cookie, statement })
}
