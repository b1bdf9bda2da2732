//! The Customer Portal's JSON API: `/portal/{org}/api/...` (the switch gate has already run).

use crate::http::{cleared_cookie, json, no_content, ClientAddress, Customer, Json, OrgSlug, GUARDIAN_COOKIE};
use serde_json::json;
use std::rc::Rc;

use crate::commands::access::guardian_json;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::routes::office::Credentials;
use crate::commands::sign_in;
use crate::store::families::{self, GuardianRow};
use crate::store::{audit, sessions};
use portal_core::email::EmailAddress;
use worker::Response;

pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org_slug): OrgSlug,
    ClientAddress(client): ClientAddress,
    Json(body): Json<Credentials>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email)?;
    let signed_in = sign_in::guardian(&app, &org_slug, &client, &email, &body.password).await?;
    session_response(&app, &signed_in.org_id, &signed_in.guardian_id, signed_in.session.token, &signed_in.session.cookie).await
}

/// The answer of a sign-in or an accepted invitation: `{token, guardian, family_id}` and the cookie.
pub async fn session_response(app: &App, org_id: &str, guardian_id: &str, token: String, cookie: &str) -> ApiResult<Response> {
    let me = families::find_guardian(&app.db, org_id, guardian_id)
        .await?
        .ok_or_else(|| ApiError::internal("signed-in guardian missing"))?;
    let viewer = portal_core::access::Requester::Guardian(me.facts());
    let resp = json(200, &json!({ "token": token, "guardian": guardian_json(&me, &viewer, app.now), "family_id": me.family_id }))?;
    resp.headers().set("set-cookie", cookie)?;
    Ok(resp)
}

pub async fn sign_out(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    sessions::end(&app.db, &me.session_id, "signed_out", app.now).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{}", me.org.slug)))?;
    Ok(resp)
}

/// My Account: the family, me, every guardian with their access indicator, my permissions.
pub async fn account(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    let guardians: Vec<GuardianRow> = families::family_guardians(&app.db, &me.me.family_id).await?;
    let viewer = me.requester();
    let mine = guardians.iter().find(|g| g.id == me.me.id);
    json(
        200,
        &json!({
            "family": { "id": me.me.family_id, "name": me.family_name },
            "me": mine.map(|g| guardian_json(g, &viewer, app.now)),
            "guardians": guardians.iter().map(|g| guardian_json(g, &viewer, app.now)).collect::<Vec<_>>(),
            "permissions": {
                "can_make_payments": me.me.is_primary || me.can_make_payments,
                "can_view_full_ledger": me.me.is_primary || me.can_view_full_ledger,
            },
        }),
    )
}

/// The family's access history, for the Primary Guardian.
pub async fn access_history(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    me.require_primary()?;
    let entries = audit::history(&app.db, &me.org.id, Some(&me.me.family_id), None).await?;
    json(200, &json!({ "entries": entries }))
}
