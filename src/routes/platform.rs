//! Platform routes: health, the OpenAPI document, creating organizations, the dev mailbox.

use crate::app::App;
use crate::adapters::crypto::{hash_password, new_id};
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use crate::http::extract::bearer_token;
use crate::http::{get, json, post, text, Json, Query, RequestParts, Router, FromRequest};
use serde_json::json;
use std::rc::Rc;
use crate::store::{audit, organizations, outbox, staff, Db};
use crate::adapters::switch;
use portal_core::audit::{Actor, AuditEntry};
use portal_core::email::EmailAddress;
use portal_core::notification::Notification;
use portal_core::organization::{parse_name, OrganizationError, Slug, StaffRole};
use portal_core::password::NewPassword;
use portal_core::time::Timestamp;
use serde::Serialize;
use subtle::ConstantTimeEq;
use worker::Response;

/// Validated and minified by build.rs.
const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

pub fn routes(router: Router, development: bool) -> Router {
    let router = router
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/platform/api/organizations", post(create_organization));
    if !development {
        return router; // the development routes do not exist elsewhere: 404
    }
    router
        .route("/dev/mailbox", get(dev_mailbox))
        .route("/dev/query-plans", get(query_plans))
        .route("/dev/gateway-calls", get(dev_gateway_calls))
}

pub async fn healthz() -> ApiResult<Response> {
    text(200, "ok")
}

/// Served by the Worker rather than as a static asset: an asset layer in front of the Worker
/// halved the throughput of every other request in Miniflare, for 7 KiB of upload.
pub async fn openapi() -> ApiResult<Response> {
    let headers = worker::Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    Ok(Response::from_bytes(OPENAPI.as_bytes().to_vec())?.with_headers(headers))
}

/// The platform operator: `Authorization: Bearer $PLATFORM_ADMIN_TOKEN`, compared in constant time.
pub struct PlatformAdmin;

impl FromRequest for PlatformAdmin {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let presented = bearer_token(parts).unwrap_or_default();
        let ok = match &parts.app.config.platform_admin_token {
        Some(expected) => bool::from(presented.as_bytes().ct_eq(expected.as_bytes())),
            None => false,
        };
        if ok {
            Ok(PlatformAdmin)
        } else {
            Err(ApiError::new(401, "not_authenticated", "This route needs the platform administrator token."))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationBody {
    slug: String,
    name: String,
    owner_email: String,
    owner_password: String,
}

#[derive(Serialize)]
pub struct CreatedOrganization {
    id: String,
    slug: String,
}

async fn create_organization(
    app: Rc<App>,
    _: PlatformAdmin,
    Json(body): Json<NewOrganizationBody>,
) -> ApiResult<Response> {
    let app = &*app;
    let slug = Slug::parse(&body.slug)?;
    let name = parse_name(&body.name)?;
    let owner_email = EmailAddress::parse(&body.owner_email)?;
    let owner_password = NewPassword::parse(&body.owner_password)?;
    if organizations::portal_enabled(&app.db, slug.as_str()).await?.is_some() {
        return Err(OrganizationError::SlugTaken(slug.as_str().into()).into());
    }
    let password_hash = hash_password(owner_password.as_str()).await?;

    let (org_id, owner_id) = (new_id("org")?, new_id("stf")?);
    let created = AuditEntry {
        actor: Actor::platform(),
        action: "organization_created".into(),
        target_kind: "organization".into(),
        target_id: org_id.clone(),
        target_label: Some(name.clone()),
        family_id: None,
        reason: None,
    };
    let welcome = Notification::OrganizationWelcome {
        to: owner_email.as_str().into(),
        org_name: name.clone(),
        org_slug: slug.as_str().into(),
    };
    let now = app.now;
    let db: &Db = &app.db;
    let welcome_row = outbox::insert_email(db, Some(&org_id), &welcome, &app.config.public_base_url, now, None)?;
    let statements = vec![
        organizations::insert(db, &org_id, slug.as_str(), &name, now)?,
        staff::insert(db, &owner_id, &org_id, owner_email.as_str(), &password_hash, StaffRole::Owner, now)?,
        audit::insert(db, &org_id, &created, now, None)?,
        welcome_row.statement,
    ];
    if let Err(e) = app.commit(statements, &[welcome_row.id]).await {
        // Two creations of the same slug at once: the UNIQUE constraint lets one win.
        if organizations::portal_enabled(db, slug.as_str()).await?.is_some() {
            return Err(OrganizationError::SlugTaken(slug.as_str().into()).into());
        }
        return Err(e);
    }
    switch::publish(app, slug.as_str(), true).await;
    json(201, &CreatedOrganization { id: org_id, slug: slug.as_str().into() })
}

#[derive(Deserialize)]
pub struct MailboxRow {
    id: String,
    to_email: String,
    subject: String,
    text_body: String,
    html_body: String,
    kind: String,
    sent_at: i64,
}

/// What the development transport "sent", newest first. Only in development.
#[derive(Deserialize)]
pub struct MailboxQuery {
    to: Option<String>,
}

pub async fn dev_mailbox(app: Rc<App>, Query(query): Query<MailboxQuery>) -> ApiResult<Response> {
    let rows: Vec<MailboxRow> = match query.to {
        Some(to) => {
            let to = EmailAddress::parse(&to)?;
            app.db
                .all(
                    "SELECT id, to_email, subject, text_body, html_body, kind, sent_at FROM dev_mailbox \
                     WHERE to_email = ?1 ORDER BY sent_at DESC, rowid DESC LIMIT 200",
                    &[crate::store::text(to.as_str())],
                )
                .await?
        }
        None => {
            app.db
                .all(
                    "SELECT id, to_email, subject, text_body, html_body, kind, sent_at FROM dev_mailbox \
                     ORDER BY sent_at DESC, rowid DESC LIMIT 200",
                    &[],
                )
                .await?
        }
    };
    let messages: Vec<_> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id, "to": r.to_email, "subject": r.subject, "text": r.text_body,
                "html": r.html_body, "kind": r.kind, "sent_at": Timestamp(r.sent_at).to_rfc3339(),
            })
        })
        .collect();
    json(200, &json!({ "messages": messages }))
}

/// What the sandbox payment gateway was asked to do, newest first (`?org=` an organization id).
/// Only in development.
#[derive(Deserialize)]
pub struct GatewayCallsQuery {
    #[serde(default)]
    org: String,
}

pub async fn dev_gateway_calls(app: Rc<App>, Query(GatewayCallsQuery { org }): Query<GatewayCallsQuery>) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Call {
        id: String,
        org_id: Option<String>,
        operation: String,
        idempotency_key: String,
        gateway_ref: Option<String>,
        amount_cents: Option<i64>,
        outcome: String,
        result_ref: Option<String>,
        at: i64,
    }
    let calls: Vec<Call> = app
        .db
        .all(
            "SELECT id, org_id, operation, idempotency_key, gateway_ref, amount_cents, outcome, result_ref, at \
             FROM sandbox_gateway_calls WHERE ?1 = '' OR org_id = ?1 ORDER BY at DESC, rowid DESC LIMIT 500",
            &[crate::store::text(&org)],
        )
        .await?;
    let calls: Vec<_> = calls
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id, "org_id": c.org_id, "operation": c.operation, "idempotency_key": c.idempotency_key,
                "gateway_ref": c.gateway_ref, "amount_cents": c.amount_cents, "outcome": c.outcome,
                "result_ref": c.result_ref, "at": Timestamp(c.at).to_rfc3339(),
            })
        })
        .collect();
    json(200, &json!({ "calls": calls }))
}

/// `EXPLAIN QUERY PLAN` of every statement on a request path. Only in development.
pub async fn query_plans(app: Rc<App>) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct PlanRow {
        detail: String,
    }
    let mut out = Vec::new();
    for (name, sql) in crate::store::plans::hot_path() {
        let dummies: Vec<String> = (0..crate::store::plans::parameter_count(&sql)).map(|i| format!("x{i}")).collect();
        let args: Vec<crate::store::Arg<'_>> = dummies.iter().map(|d| crate::store::text(d)).collect();
        let plan: Vec<PlanRow> = app.db.all(&format!("EXPLAIN QUERY PLAN {sql}"), &args).await?;
        out.push(json!({ "name": name, "sql": sql, "plan": plan.into_iter().map(|p| p.detail).collect::<Vec<_>>() }));
    }
    json(200, &json!({ "queries": out }))
}
