//! Signed-in devices: every live sign-in of a person (in every family) or of a staff member, and
//! ending one or all but this one; and the Mobile App's refresh, which makes the session check's
//! own test before it issues a new pair of tokens.

use super::sign_in::{access_token, AppTokens, Session};
use crate::adapters::crypto::new_link_token;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::sessions::{self, end_sessions_of_person};
use crate::store::sign_ins::{self as store, SignInRow};
use portal_core::ids::{FamilyId, SessionId};
use portal_core::link_token;
use portal_core::session::{SessionClaims, SessionKind, GUARDIAN_SESSION_HOURS};
use portal_core::sign_ins::{describe_device, may_refresh, RefreshError, RefreshTokenState, SignInClient};
use portal_core::time::Timestamp;
use serde::Serialize;

/// Why sessions end from the list: the device signed out says so at its next request.
const SIGNED_OUT_ELSEWHERE: &str = "signed_out_elsewhere";

#[derive(Debug, Serialize)]
pub struct SignInFamily {
    pub id: FamilyId,
    pub name: String,
}

/// One sign-in on the list. `family` is absent for staff.
#[derive(Debug, Serialize)]
pub struct SignInView {
    pub id: SessionId,
    pub current: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<SignInFamily>,
    pub created_at: String,
    pub last_seen_at: String,
    pub device: String,
}

#[derive(Debug, Serialize)]
pub struct SignIns {
    pub sessions: Vec<SignInView>,
}

fn view(row: SignInRow, current_session_id: &str) -> SignInView {
    let family = match (row.family_id, row.family_name) {
        (Some(id), Some(name)) => Some(SignInFamily { id: FamilyId(id), name }),
        _ => None,
    };
    SignInView {
        current: row.id == current_session_id,
        device: describe_device(SignInClient::from_column(&row.client), row.user_agent.as_deref()),
        created_at: Timestamp(row.created_at).to_rfc3339(),
        last_seen_at: Timestamp(row.last_seen_at.unwrap_or(row.created_at)).to_rfc3339(),
        family,
        id: SessionId(row.id),
    }
}

/// Whose sign-ins: a person's (in every family) or a staff member's, and the session of the request.
pub enum Owner<'a> {
    Person { person_id: &'a str, current_session_id: &'a str },
    Staff { staff_id: &'a str, current_session_id: &'a str },
}

impl Owner<'_> {
    fn current(&self) -> &str {
        match self {
            Owner::Person { current_session_id, .. } | Owner::Staff { current_session_id, .. } => current_session_id,
        }
    }
}

/// Every live sign-in of the owner, this one marked `current`.
pub async fn list(app: &App, owner: &Owner<'_>) -> ApiResult<SignIns> {
    let rows = match owner {
        Owner::Person { person_id, .. } => store::person_sign_ins(&app.db, person_id, app.now()).await?,
        Owner::Staff { staff_id, .. } => store::staff_sign_ins(&app.db, staff_id, app.now()).await?,
    };
    Ok(SignIns { sessions: rows.into_iter().map(|r| view(r, owner.current())).collect() })
}

fn no_such_sign_in() -> ApiError {
    ApiError::not_found(ErrorCode::SessionNotFound, "You have no such signed-in session.")
}

/// Ends one of the owner's sign-ins (this one too: that is signing out). Another's, or one already
/// ended, is not found.
pub async fn end_one(app: &App, owner: &Owner<'_>, session_id: &str) -> ApiResult<()> {
    let reason = if session_id == owner.current() { "signed_out" } else { SIGNED_OUT_ELSEWHERE };
    let ended = match owner {
        Owner::Person { person_id, .. } => store::end_one(&app.db, false, session_id, person_id, reason, app.now()).await?,
        Owner::Staff { staff_id, .. } => store::end_one(&app.db, true, session_id, staff_id, reason, app.now()).await?,
    };
    match ended {
        0 => Err(no_such_sign_in()),
        _ => Ok(()),
    }
}

/// Sign out everywhere else: every sign-in of the owner (a person's in every family) but this one.
pub async fn end_others(app: &App, owner: &Owner<'_>) -> ApiResult<()> {
    match owner {
        Owner::Person { person_id, current_session_id } => {
            end_sessions_of_person(&app.db, person_id, Some(current_session_id), SIGNED_OUT_ELSEWHERE, app.now())?.run().await?;
        }
        Owner::Staff { staff_id, current_session_id } => {
            store::end_other_staff(&app.db, staff_id, current_session_id, SIGNED_OUT_ELSEWHERE, app.now()).await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The Mobile App's refresh.

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        let code = match e {
            RefreshError::Unknown => ErrorCode::InvalidRefreshToken,
            RefreshError::Reused => ErrorCode::RefreshTokenReused,
        };
        ApiError::new(401, code, e.to_string())
    }
}

/// A spent token presented again: the sign-in it belongs to ends (every token made from it).
async fn reused(app: &App, session_id: &str) -> ApiError {
    match sessions::end(&app.db, session_id, "refresh_token_reused", app.now()).await {
        Ok(_) => RefreshError::Reused.into(),
        Err(e) => e,
    }
}

/// A presented refresh token that may be exchanged: unspent, of this organization.
pub struct Presented {
    hash: String,
    session_id: String,
    org_id: String,
}

impl Presented {
    /// The claims of its sign-in, for the session check (`http::Customer::of_session`), which the
    /// refresh must pass like any request: so every way access ends refuses it at once.
    pub fn claims(&self) -> SessionClaims {
        SessionClaims { sid: self.session_id.clone(), org: self.org_id.clone(), kind: SessionKind::Guardian }
    }
}

/// The first step of a refresh: an unknown token is refused; a spent one ends its sign-in.
pub async fn presented(app: &App, org_slug: &str, token: &str) -> ApiResult<Presented> {
    if !link_token::looks_valid(token) {
        return Err(RefreshError::Unknown.into());
    }
    let hash = link_token::hash(token);
    // Another organization's token is unknown here, as its ids are.
    let row = store::find_refresh_token(&app.db, &hash).await?.filter(|r| r.org_slug == org_slug);
    let state = row.as_ref().map(|r| if r.spent_at.is_some() { RefreshTokenState::Spent } else { RefreshTokenState::Unspent });
    match (may_refresh(state), row) {
        (Ok(()), Some(r)) => Ok(Presented { hash, session_id: r.session_id, org_id: r.org_id }),
        (Err(RefreshError::Reused), Some(r)) => Err(reused(app, &r.session_id).await),
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(RefreshError::Unknown.into()),
    }
}

/// The second step, once the sign-in passed the session check: one batch spends the old token
/// (only if unspent and the sign-in still live), writes the new one only if that spend happened,
/// and slides the sign-in's expiry. Answers the new pair.
pub async fn rotate(app: &App, org_slug: &str, old: Presented) -> ApiResult<Session> {
    let new_token = new_link_token()?;
    let new_hash = link_token::hash(&new_token);
    let expires_at = app.now().plus_hours(GUARDIAN_SESSION_HOURS);
    let results = app
        .db
        .batch(vec![
            store::spend_refresh_token(&app.db, &old.hash, &new_hash, &old.session_id, app.now())?,
            store::insert_refresh_token(&app.db, &new_hash, &old.session_id, app.now(), store::replaced_by(&old.hash, &new_hash))?,
            store::extend_sign_in(&app.db, &old.session_id, app.now(), expires_at, store::replaced_by(&old.hash, &new_hash))?,
        ])
        .await?;
    if !crate::store::won(&results, 0)? {
        // Another refresh spent it first (the same token twice at once is reuse), or the sign-in
        // ended between the check and the batch.
        return Err(match store::find_refresh_token(&app.db, &old.hash).await? {
            Some(r) if r.spent_at.is_some() => reused(app, &r.session_id).await,
            _ => match sessions::live_or_why(&app.db, &old.session_id, app.now()).await? {
                Err(reason) => ApiError::session_ended(reason.as_deref()),
                Ok(()) => ApiError::internal("a refresh token was neither spent nor refused"),
            },
        });
    }
    access_token(app, SessionKind::Guardian, &old.org_id, org_slug, old.session_id, expires_at, Some(new_token))
}

/// The refresh's answer: `{token, refresh_token, expires_in}`.
#[derive(Serialize)]
pub struct RefreshAnswer<'a> {
    pub expires_in: i64,
    pub refresh_token: &'a str,
    pub token: &'a str,
}

impl<'a> RefreshAnswer<'a> {
    pub fn of(session: &'a Session, tokens: &'a AppTokens) -> Self {
        RefreshAnswer { expires_in: tokens.expires_in, refresh_token: &tokens.refresh_token, token: &session.token }
    }
}
