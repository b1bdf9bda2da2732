//! Staff sign-in and sign-out.

use crate::http::{cleared_cookie, json, no_content, ClientAddress, Json, OrgSlug, Staff, STAFF_COOKIE};
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use crate::app::App;
use crate::error::ApiResult;
use crate::commands::sign_in::{invalid_credentials, new_session, verify_throttled};
use crate::store::{sessions, text};
use portal_core::email::EmailAddress;
use portal_core::session::SessionKind;
use worker::Response;

#[derive(Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

pub const STAFF_SIGN_IN: &str = "SELECT o.id AS org_id, u.id AS staff_id, u.email AS staff_email, u.password_hash, u.role \
     FROM organizations o LEFT JOIN staff_users u ON u.org_id = o.id AND u.email = ?2 WHERE o.slug = ?1";

#[derive(Deserialize)]
pub struct Account {
    org_id: String,
    staff_id: Option<String>,
    staff_email: Option<String>,
    password_hash: Option<String>,
    role: Option<String>,
}

pub async fn sign_in(app: Rc<App>, OrgSlug(org_slug): OrgSlug, ClientAddress(client): ClientAddress, Json(body): Json<Credentials>) -> ApiResult<Response> {
    let app = &*app;
    let email = EmailAddress::parse(&body.email)?;
    let account: Option<Account> = app
        .db
        .first(
            STAFF_SIGN_IN,
            &[text(&org_slug), text(email.as_str())],
        )
        .await?;
    let stored_hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let account_key = format!("staff:{org_slug}:{email}");
    let clear_throttle = verify_throttled(app, &client, &account_key, stored_hash, &body.password).await?;
    let Some(Account { org_id, staff_id: Some(staff_id), staff_email: Some(staff_email), role: Some(role), .. }) = account
    else {
        return Err(invalid_credentials());
    };
    let session = new_session(app, SessionKind::Staff, &org_id, &org_slug, &staff_id, 0, None)?;
    app.db.batch(vec![session.statement, clear_throttle]).await?;
    let resp = json(200, &json!({ "token": session.token, "staff": { "id": staff_id, "email": staff_email, "role": role } }))?;
    resp.headers().set("set-cookie", &session.cookie)?;
    Ok(resp)
}

pub async fn sign_out(app: Rc<App>, OrgSlug(org_slug): OrgSlug, staff: Staff) -> ApiResult<Response> {
    let app = &*app;
    sessions::end(&app.db, &staff.session_id, "signed_out", app.now).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(STAFF_COOKIE, format!("/office/{org_slug}")))?;
    Ok(resp)
}
