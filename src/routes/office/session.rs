//! Staff sign-in and sign-out.

use super::{authenticate, STAFF_COOKIE};
use crate::app::App;
use crate::crypto::{new_id, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::http::{client_address, json, no_content, read_json, session_cookie, cleared_cookie};
use crate::store::{sessions, text, throttle};
use portal_core::email::EmailAddress;
use portal_core::password::{dummy_hash, PasswordHash};
use portal_core::session::{SessionClaims, SessionKind};
use portal_core::throttle::{ACCOUNT_POLICY, ADDRESS_POLICY};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Account {
    org_id: String,
    staff_id: Option<String>,
    staff_email: Option<String>,
    password_hash: Option<String>,
    role: Option<String>,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(401, "invalid_credentials", "The e-mail address or password is incorrect.")
}

pub async fn sign_in(app: &App, mut req: Request, org_slug: &str) -> ApiResult<Response> {
    let body: Credentials = read_json(&mut req).await?;
    let email = EmailAddress::parse(&body.email)?;
    let account_key = format!("staff:{org_slug}:{email}");
    let address_key = format!("addr:{}", client_address(&req));

    let throttles = throttle::load(&app.db, &[&account_key, &address_key]).await?;
    ACCOUNT_POLICY.check(throttles.get(&account_key), app.now)?;
    ADDRESS_POLICY.check(throttles.get(&address_key), app.now)?;

    let account: Option<Account> = app
        .db
        .first(
            "SELECT o.id AS org_id, u.id AS staff_id, u.email AS staff_email, u.password_hash, u.role \
             FROM organizations o LEFT JOIN staff_users u ON u.org_id = o.id AND u.email = ?2 \
             WHERE o.slug = ?1",
            &[text(org_slug), text(email.as_str())],
        )
        .await?;
    // Unknown organization or e-mail: verify against a dummy hash so the answer takes as long.
    let stored = match account.as_ref().and_then(|a| a.password_hash.as_deref()) {
        Some(h) => Some(PasswordHash::parse(h)?),
        None => None,
    };
    let matches = verify_password(&body.password, stored.as_ref().unwrap_or(&dummy_hash())).await?;
    let signed_in = match (&account, matches && stored.is_some()) {
        (Some(Account { org_id, staff_id: Some(staff_id), staff_email: Some(e), role: Some(role), .. }), true) => {
            Some((org_id.clone(), staff_id.clone(), e.clone(), role.clone()))
        }
        _ => None,
    };

    let Some((org_id, staff_id, staff_email, role)) = signed_in else {
        let account_state = ACCOUNT_POLICY.after_failure(throttles.get(&account_key), app.now);
        let address_state = ADDRESS_POLICY.after_failure(throttles.get(&address_key), app.now);
        app.db
            .batch(vec![
                throttle::save(&app.db, &account_key, &account_state)?,
                throttle::save(&app.db, &address_key, &address_state)?,
            ])
            .await?;
        return Err(invalid_credentials());
    };

    let session_id = new_id("ses")?;
    let expires_at = app.now.plus_hours(SessionKind::Staff.lifetime_hours());
    app.db
        .batch(vec![
            sessions::insert(&app.db, &session_id, &org_id, SessionKind::Staff, &staff_id, 0, app.now, expires_at)?,
            throttle::clear(&app.db, &account_key)?,
        ])
        .await?;
    let claims = SessionClaims { sid: session_id, org: org_id, kind: SessionKind::Staff };
    let token = app.config.session_key.issue(claims, app.now, expires_at)?;
    let cookie = session_cookie(
        STAFF_COOKIE,
        &token,
        &format!("/office/{org_slug}"),
        SessionKind::Staff.lifetime_hours() * 3600,
    );
    let resp = json(200, &json!({ "token": token, "staff": { "id": staff_id, "email": staff_email, "role": role } }))?;
    resp.headers().set("set-cookie", &cookie)?;
    Ok(resp)
}

pub async fn sign_out(app: &App, req: Request, org_slug: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org_slug).await?;
    sessions::end(&app.db, &staff.session_id, "signed_out", app.now).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(STAFF_COOKIE, &format!("/office/{org_slug}")))?;
    Ok(resp)
}
