//! The Customer Portal's JSON API: `/portal/{org}/api/...` (the switch gate has already run).

use super::auth::{authenticate, Customer};
use super::{guardians, links, payments};
use crate::commands::access::guardian_json;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::fields::record;
use crate::http::object;
use crate::http::{cleared_cookie, json, no_content, read_json};
use crate::routes::office::Credentials;
use crate::routes::GUARDIAN_COOKIE;
use crate::commands::sign_in::{invalid_credentials, new_session, verify_throttled};
use crate::store::families::{self, GuardianRow};
use crate::store::{audit, sessions, text};
use portal_core::email::EmailAddress;
use portal_core::session::SessionKind;
use crate::routes::boxed;
use worker::{Method, Request, Response};

pub async fn route(app: &App, req: Request, org: &str, rest: &[&str]) -> ApiResult<Response> {
    let handler = match (req.method(), rest) {
        (Method::Post, ["session"]) => boxed(sign_in(app, req, org)),
        (Method::Delete, ["session"]) => boxed(sign_out(app, req, org)),
        (Method::Get, ["account"]) => boxed(account(app, req, org)),
        (Method::Get, ["access-history"]) => boxed(access_history(app, req, org)),
        (Method::Get, ["invitations", token]) => boxed(links::invitation_status(app, org, token)),
        (Method::Post, ["invitations", "accept"]) => boxed(links::accept_invitation(app, req, org)),
        (Method::Post, ["password-reset", "request"]) => boxed(links::request_password_reset(app, req, org)),
        (Method::Post, ["password-reset", "complete"]) => boxed(links::complete_password_reset(app, req, org)),
        (Method::Post, ["me", "password"]) => boxed(links::change_password(app, req, org)),
        (Method::Post, ["guardians"]) => boxed(guardians::add(app, req, org)),
        (Method::Patch, ["guardians", id]) => boxed(guardians::edit_contact(app, req, org, id)),
        (Method::Post, ["guardians", id, "invitation"]) => boxed(guardians::invite(app, req, org, id, false)),
        (Method::Post, ["guardians", id, "invitation", "resend"]) => boxed(guardians::invite(app, req, org, id, true)),
        (Method::Post, ["guardians", id, "revoke"]) => boxed(guardians::revoke(app, req, org, id)),
        (Method::Put, ["guardians", id, "permissions"]) => boxed(guardians::set_permissions(app, req, org, id)),
        (Method::Post, ["guardians", id, "password-reset"]) => boxed(guardians::password_reset(app, req, org, id)),
        (Method::Get, ["payment-methods"]) => boxed(payments::list(app, req, org)),
        (Method::Post, ["payment-methods"]) => boxed(payments::save(app, req, org)),
        (Method::Patch, ["payment-methods", id]) => boxed(payments::edit(app, req, org, id)),
        (Method::Delete, ["payment-methods", id]) => boxed(payments::delete(app, req, org, id)),
        (Method::Get, ["balance"]) => boxed(payments::balance(app, req, org)),
        (Method::Post, ["payments"]) => boxed(payments::pay(app, req, org)),
        (Method::Get, ["transactions"]) => boxed(payments::transactions(app, req, org)),
        (_, ["session" | "account" | "access-history" | "guardians" | "payment-methods" | "balance" | "payments" | "transactions"])
        | (_, ["payment-methods", _])
        | (_, ["invitations", _])
        | (_, ["password-reset", "request" | "complete"])
        | (_, ["me", "password"])
        | (_, ["guardians", _])
        | (_, ["guardians", _, "invitation" | "revoke" | "permissions" | "password-reset"])
        | (_, ["guardians", _, "invitation", "resend"]) => return Err(ApiError::method_not_allowed()),
        _ => return Err(ApiError::route_not_found()),
    };
    handler.await
}

pub const GUARDIAN_SIGN_IN: &str =
    "SELECT o.id AS org_id, o.portal_enabled, o.customer_session_epoch, g.id AS guardian_id, g.password_hash \
     FROM organizations o LEFT JOIN guardians g \
       ON g.org_id = o.id AND g.email = ?2 AND g.access_state = 'can_log_in' \
     WHERE o.slug = ?1";

record! {
    struct Login {
        org_id: String,
        portal_enabled: i64,
        customer_session_epoch: i64,
        guardian_id: Option<String>,
        password_hash: Option<String>,
    }
}

async fn sign_in(app: &App, mut req: Request, org_slug: &str) -> ApiResult<Response> {
    let body: Credentials = read_json(&mut req).await?;
    let email = EmailAddress::parse(&body.email)?;
    let login: Option<Login> = app
        .db
        .first(
            GUARDIAN_SIGN_IN,
            &[text(org_slug), text(email.as_str())],
        )
        .await?;
    if login.as_ref().is_some_and(|l| l.portal_enabled == 0) {
        return Err(ApiError::portal_unavailable());
    }
    let stored = login.as_ref().and_then(|l| l.password_hash.as_deref());
    let account_key = format!("guardian:{org_slug}:{email}");
    let clear_throttle = verify_throttled(app, &req, &account_key, stored, &body.password).await?;
    let Some(Login { org_id, customer_session_epoch, guardian_id: Some(guardian_id), .. }) = login else {
        return Err(invalid_credentials());
    };
    let session = new_session(app, SessionKind::Guardian, &org_id, org_slug, &guardian_id, customer_session_epoch, None)?;
    app.db.batch(vec![session.statement, clear_throttle]).await?;
    session_response(app, &org_id, &guardian_id, session.token, &session.cookie).await
}

/// The answer of a sign-in or an accepted invitation: `{token, guardian, family_id}` and the cookie.
pub async fn session_response(app: &App, org_id: &str, guardian_id: &str, token: String, cookie: &str) -> ApiResult<Response> {
    let me = families::find_guardian(&app.db, org_id, guardian_id)
        .await?
        .ok_or_else(|| ApiError::internal("signed-in guardian missing"))?;
    let viewer = portal_core::access::Requester::Guardian(me.facts());
    let resp = json(200, &object!({ "token": token, "guardian": guardian_json(&me, &viewer, app.now), "family_id": me.family_id }))?;
    resp.headers().set("set-cookie", cookie)?;
    Ok(resp)
}

async fn sign_out(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    sessions::end(&app.db, &me.session_id, "signed_out", app.now).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(GUARDIAN_COOKIE, &format!("/portal/{org}")))?;
    Ok(resp)
}

/// My Account: the family, me, every guardian with their access indicator, my permissions.
async fn account(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me: Customer = authenticate(app, &req, org).await?;
    let guardians: Vec<GuardianRow> = families::family_guardians(&app.db, &me.me.family_id).await?;
    let viewer = me.requester();
    let mine = guardians.iter().find(|g| g.id == me.me.id);
    json(
        200,
        &object!({
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
async fn access_history(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    me.require_primary()?;
    let entries = audit::history(&app.db, &me.org.id, Some(&me.me.family_id), None).await?;
    json(200, &object!({ "entries": entries }))
}
