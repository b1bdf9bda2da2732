//! What staff and guardian sign-in share: throttled password checks and issuing a session.

use crate::app::App;
use crate::adapters::crypto::{hash_password, new_id, verify_password};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::sessions::{EnterableFamily, GuardianLogin};
use crate::store::staff::StaffLogin;
use crate::store::{self, sessions, throttle, Guard};
use portal_core::access_end::has_ended;
use portal_core::email::EmailAddress;
use portal_core::organization::StaffRole;
use portal_core::password::{dummy_hash, PasswordHash};
use portal_core::session::{SessionClaims, SessionKind};
use portal_core::throttle::{self as throttle_keys, ACCOUNT_POLICY, ADDRESS_POLICY};
use crate::context::Client;
use crate::adapters::crypto::new_link_token;
use crate::store::sessions::SignInDevice;
use crate::store::sign_ins;
use portal_core::link_token;
use portal_core::sign_ins::{SignInClient, APP_ACCESS_TOKEN_SECONDS};
use portal_core::time::Timestamp;
use worker::{D1PreparedStatement, D1Result};

pub fn invalid_credentials() -> ApiError {
    ApiError::new(401, ErrorCode::InvalidCredentials, "The e-mail address or password is incorrect.")
}

/// The login a password is checked for: its portal, organization and e-mail address.
pub struct Login<'a> {
    pub portal: SessionKind,
    pub org_slug: &'a str,
    pub email: &'a str,
}

impl Login<'_> {
    fn account_key(&self) -> String {
        throttle_keys::account_key(self.portal.as_str(), self.org_slug, self.email)
    }

    /// A token for the browser's device cookie after a successful sign-in to this login.
    pub fn device_token(&self, app: &App) -> ApiResult<String> {
        Ok(app.config.session_key.issue_device(&self.account_key(), app.now())?)
    }
}

/// Checks `password` against `stored_hash` (a dummy hash when there is no account, so timing
/// reveals nothing), under the account's throttle and the client address's (per organization and
/// portal; none when the request names no address, or when the browser's device cookie shows it
/// signed in to this login before). The attempt is counted before the password is checked, so
/// parallel attempts cannot get past the allowance. On success returns the statement that gives
/// the attempt back, to be written with the new session.
pub async fn verify_throttled(
    app: &App,
    client: &Client,
    login: &Login<'_>,
    stored_hash: Option<&str>,
    password: &str,
) -> ApiResult<D1PreparedStatement> {
    let account_key = login.account_key();
    let known_device = client.device.as_deref().is_some_and(|d| app.config.session_key.is_device_of(d, &account_key, app.now()));
    let address_key = match &client.address {
        Some(address) if !known_device => Some(throttle_keys::address_key(login.portal.as_str(), login.org_slug, address)),
        _ => None,
    };
    let mut keys = vec![(account_key.as_str(), &ACCOUNT_POLICY)];
    if let Some(key) = &address_key {
        keys.push((key.as_str(), &ADDRESS_POLICY));
    }
    let counts = app
        .db
        .batch(keys.iter().map(|(key, policy)| throttle::count_attempt(&app.db, key, policy, app.now())).collect::<ApiResult<_>>()?)
        .await?;
    let mut states = Vec::with_capacity(keys.len());
    for ((key, policy), result) in keys.iter().zip(&counts) {
        let state = throttle::counted(result)?;
        if let Err(refused) = policy.admit(&state, app.now()) {
            if refused.lock_from_now {
                let until = app.now().plus_seconds(policy.lockout_seconds);
                app.db.batch(vec![throttle::lock(&app.db, key, until, app.now())?]).await?;
            }
            return Err(refused.locked.into());
        }
        states.push(state);
    }

    let stored = stored_hash.map(PasswordHash::parse).transpose()?;
    let matches = verify_password(password, stored.as_ref().unwrap_or(&dummy_hash(app.config.password_cost))).await?;
    if matches && stored.is_some() {
        return throttle::succeeded(&app.db, &account_key, address_key.as_deref().unwrap_or(&account_key));
    }
    let mut locks = Vec::new();
    for ((key, policy), state) in keys.iter().zip(&states) {
        if let Some(until) = policy.lockout_after_failure(state, app.now()) {
            locks.push(throttle::lock(&app.db, key, until, app.now())?);
        }
    }
    if !locks.is_empty() {
        app.db.batch(locks).await?;
    }
    Err(invalid_credentials())
}

pub struct NewSession {
    pub session: Session,
    /// The session row first (a caller checks that it was written), then the Mobile App's first
    /// refresh token.
    pub statements: Vec<D1PreparedStatement>,
}

/// A session row (to be written by the caller's batch, optionally guarded) and its signed token.
/// The Mobile App's sign-in also gets a refresh token, and its access token lives 15 minutes.
#[allow(clippy::too_many_arguments)]
pub fn new_session(
    app: &App,
    kind: SessionKind,
    org_id: &str,
    org_slug: &str,
    subject_id: &str,
    epoch: i64,
    device: &SignInDevice,
    guard: Option<Guard<'_>>,
) -> ApiResult<NewSession> {
    let session_id = new_id("ses")?;
    let expires_at = app.now().plus_hours(kind.lifetime_hours());
    let mut statements =
        vec![sessions::insert(&app.db, &session_id, org_id, kind, subject_id, epoch, app.now(), expires_at, device, guard)?];
    let refresh = match device.client {
        SignInClient::App => {
            let token = new_link_token()?;
            let hash = link_token::hash(&token);
            statements.push(sign_ins::insert_refresh_token(&app.db, &hash, &session_id, app.now(), sign_ins::session_written(&session_id))?);
            Some(token)
        }
        SignInClient::Browser => None,
    };
    let session = access_token(app, kind, org_id, org_slug, session_id, expires_at, refresh)?;
    Ok(NewSession { session, statements })
}

/// The signed token of session `session_id`: for the Mobile App (with a refresh token) it lives 15
/// minutes, else as long as the session.
pub fn access_token(
    app: &App,
    kind: SessionKind,
    org_id: &str,
    org_slug: &str,
    session_id: String,
    session_expires_at: Timestamp,
    refresh_token: Option<String>,
) -> ApiResult<Session> {
    let expires_at = match refresh_token {
        Some(_) => app.now().plus_seconds(APP_ACCESS_TOKEN_SECONDS),
        None => session_expires_at,
    };
    let claims = SessionClaims { sid: session_id, org: org_id.to_string(), kind };
    let token = app.config.session_key.issue(claims, app.now(), expires_at)?;
    let app_tokens = refresh_token.map(|refresh_token| AppTokens { refresh_token, expires_in: APP_ACCESS_TOKEN_SECONDS });
    Ok(Session { token, kind, org_slug: org_slug.to_string(), device: None, app: app_tokens })
}

/// What the Mobile App's sign-in (and each refresh) adds to the answer.
#[derive(Debug, Clone)]
pub struct AppTokens {
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// A staff member signed in: their session (to answer with) and who they are.
pub struct StaffSignedIn {
    pub session: Session,
    pub staff_id: String,
    pub email: String,
    pub role: StaffRole,
}

/// Staff sign-in to the Office Portal of `org_slug`.
pub async fn staff(app: &App, org_slug: &str, client: &Client, email: &EmailAddress, password: &str) -> ApiResult<StaffSignedIn> {
    let login = store::staff::login(&app.db, org_slug, email.as_str()).await?;
    let stored_hash = login.as_ref().and_then(|l| l.password_hash.clone());
    let who = Login { portal: SessionKind::Staff, org_slug, email: email.as_str() };
    let clear_throttle = verify_throttled(app, client, &who, stored_hash.as_deref(), password).await?;
    let (Some(StaffLogin { org_id, staff_id: Some(staff_id), staff_email: Some(email), role: Some(role), .. }), Some(verified)) =
        (login, stored_hash)
    else {
        return Err(invalid_credentials());
    };
    let guard = store::staff::password_unchanged(&staff_id, &verified);
    let device = SignInDevice { client: SignInClient::Browser, user_agent: client.user_agent.clone() };
    let session = new_session(app, SessionKind::Staff, &org_id, org_slug, &staff_id, 0, &device, Some(guard))?;
    let mut statements = session.statements;
    statements.push(clear_throttle);
    if let Some(hash) = upgraded_hash(app, Some(&verified), password).await? {
        statements.push(store::staff::rehash_password(&app.db, &staff_id, &verified, &hash)?);
    }
    issued(&app.db.batch(statements).await?)?;
    let session = Session { device: Some(who.device_token(app)?), ..session.session };
    Ok(StaffSignedIn { session, staff_id, email, role })
}

/// The session was written: not when the password changed between its check and the session's
/// insert (the insert is guarded on the hash that was checked), so that a password change ends
/// every sign-in made with the old password, even one already in flight.
fn issued(results: &[D1Result]) -> ApiResult<()> {
    match results.first().map(store::changes).transpose()? {
        Some(1) => Ok(()),
        _ => Err(invalid_credentials()),
    }
}

/// A person signed in to the Customer Portal of `org_slug` (refused while the portal is off): the
/// session is for one of their families, `families` lists every family they may enter.
pub struct GuardianSignedIn {
    pub session: Session,
    pub org_id: String,
    pub guardian_id: String,
    pub families: Vec<EnterableFamily>,
}

pub fn family_access_denied() -> ApiError {
    ApiError::forbidden(ErrorCode::FamilyAccessDenied, "You cannot log in to that family's account.")
}

/// Signs a person in to the family `family_id` if given (they must be able to log in to it), else to
/// the first of their families by name.
pub async fn guardian(
    app: &App,
    org_slug: &str,
    client: &Client,
    email: &EmailAddress,
    password: &str,
    family_id: Option<&str>,
    signs_in: SignInClient,
) -> ApiResult<GuardianSignedIn> {
    let login = store::sessions::guardian_login(&app.db, org_slug, email.as_str()).await?;
    if login.as_ref().is_some_and(|l| !l.portal_enabled) {
        return Err(ApiError::portal_unavailable());
    }
    if let Some(window) = login.as_ref().and_then(|l| l.maintenance.window()).filter(|w| w.is_on(app.now())) {
        return Err(crate::adapters::switch::maintenance_error(&window, app.now()));
    }
    let stored = login.as_ref().and_then(|l| l.password_hash.clone());
    let who = Login { portal: SessionKind::Guardian, org_slug, email: email.as_str() };
    let clear_throttle = verify_throttled(app, client, &who, stored.as_deref(), password).await?;
    let (Some(GuardianLogin { org_id, customer_session_epoch, person_id: Some(person_id), .. }), Some(verified)) = (login, stored) else {
        return Err(invalid_credentials());
    };
    // A login whose every family access was revoked cannot sign in, as before one person could be
    // in several families.
    let mut families = sessions::families_of_person(&app.db, &person_id).await?;
    // An access end date reached is an ended access, whether or not the cron has revoked it yet.
    families.retain(|f| !has_ended(f.access_ends_at, app.now()));
    let chosen = match family_id {
        Some(wanted) => families.iter().find(|f| f.id == wanted).ok_or_else(family_access_denied)?,
        None => families.first().ok_or_else(invalid_credentials)?,
    };
    let guardian_id = chosen.guardian_id.clone();
    let guard = store::families::password_unchanged(&person_id, &verified);
    let device = SignInDevice { client: signs_in, user_agent: client.user_agent.clone() };
    let session = new_session(app, SessionKind::Guardian, &org_id, org_slug, &guardian_id, customer_session_epoch, &device, Some(guard))?;
    let mut statements = session.statements;
    statements.push(clear_throttle);
    if let Some(hash) = upgraded_hash(app, Some(&verified), password).await? {
        statements.push(store::families::rehash_password(&app.db, &person_id, &verified, &hash)?);
    }
    issued(&app.db.batch(statements).await?)?;
    let session = Session { device: Some(who.device_token(app)?), ..session.session };
    Ok(GuardianSignedIn { session, org_id, guardian_id, families })
}

/// A signed-in person moves to another of their families: a new session there, the old one ended
/// (a session belongs to one family, so that revoking access to it ends exactly its sessions).
pub async fn switch_family(
    app: &App,
    org_id: &str,
    org_slug: &str,
    epoch: i64,
    person_id: &str,
    current_session_id: &str,
    family_id: &str,
    client: &Client,
) -> ApiResult<GuardianSignedIn> {
    let mut families = sessions::families_of_person(&app.db, person_id).await?;
    families.retain(|f| !has_ended(f.access_ends_at, app.now()));
    let Some(chosen) = families.iter().find(|f| f.id == family_id) else {
        return Err(if store::families::is_member(&app.db, person_id, family_id).await? {
            family_access_denied()
        } else {
            ApiError::not_found(ErrorCode::FamilyNotFound, "You are not a guardian of that family.")
        });
    };
    let guardian_id = chosen.guardian_id.clone();
    let device = SignInDevice { client: SignInClient::Browser, user_agent: client.user_agent.clone() };
    let session = new_session(app, SessionKind::Guardian, org_id, org_slug, &guardian_id, epoch, &device, None)?;
    let mut statements = session.statements;
    statements.push(sessions::end_statement(&app.db, current_session_id, "switched_family", app.now())?);
    app.db.batch(statements).await?;
    Ok(GuardianSignedIn { session: session.session, org_id: org_id.to_string(), guardian_id, families })
}

/// A new session: its signed token, for an API client's `Authorization: Bearer` or a browser's
/// cookie (made by the route: `http::cookies`).
pub struct Session {
    pub token: String,
    pub kind: SessionKind,
    pub org_slug: String,
    /// After a password was checked: the token of the browser's device cookie (see
    /// `Login::device_token`).
    pub device: Option<String>,
    /// The Mobile App's refresh token and the access token's lifetime.
    pub app: Option<AppTokens>,
}

/// A stored hash made at another cost than the deployment's `PASSWORD_ITERATIONS`, hashed again
/// now that the password is at hand (only after it matched).
async fn upgraded_hash(app: &App, stored: Option<&str>, password: &str) -> ApiResult<Option<String>> {
    let Some(stored) = stored.map(PasswordHash::parse).transpose()? else { return Ok(None) };
    if !stored.needs_rehash(app.config.password_cost) {
        return Ok(None);
    }
    hash_password(password, app.config.password_cost).await.map(Some)
}
