//! Platform routes: health, the OpenAPI document, creating organizations, and the development
//! routes (mailbox, sandbox gateway calls, query plans).

use crate::app::App;
use crate::commands::organizations::{self, NewOrganization};
use crate::commands::failed_emails;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::extract::bearer_token;
use crate::http::response::{self, FixedBody};
use crate::http::{get, json, post, FromRequest, Json, Path, Query, RequestParts, Response, Router};
use crate::routes::bodies::{OutboxId, OutboxQuery};
use crate::store::{dev, plans};
use portal_core::email::EmailAddress;
use portal_core::organization::{parse_name, Slug};
use portal_core::password::NewPassword;
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::rc::Rc;
use subtle::ConstantTimeEq;

/// Validated and minified by build.rs.
const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

pub fn routes(router: Router, development: bool) -> Router {
    let router = router
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/platform/api/organizations", post(create_organization))
        .route("/platform/api/outbox", get(platform_outbox))
        .route("/platform/api/outbox/:outbox_id/retry", post(platform_outbox_retry));
    if !development {
        return router; // the development routes do not exist elsewhere: 404
    }
    router
        .route("/dev/mailbox", get(dev_mailbox))
        .route("/dev/query-plans", get(query_plans))
        .route("/dev/gateway-calls", get(dev_gateway_calls))
        .route("/dev/panic", post(dev_panic))
}

thread_local! {
    static OK: FixedBody = FixedBody::text("ok");
}

pub async fn healthz() -> ApiResult<Response> {
    OK.with(|ok| response::fixed(200, ok))
}

/// Panics on purpose, in development only (and not in the OpenAPI document, so the fuzzer never
/// calls it): the test that a trapped request leaves the Worker serving the next one.
async fn dev_panic() -> ApiResult<Response> {
    panic!("asked for by POST /dev/panic")
}

/// Served by the Worker rather than as a static asset: an asset layer in front of the Worker
/// halved the throughput of every other request in Miniflare, for 7 KiB of upload.
pub async fn openapi() -> ApiResult<Response> {
    response::with_headers(200, OPENAPI.as_bytes(), &[("content-type", "application/json; charset=utf-8")])
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
            Err(ApiError::new(401, ErrorCode::NotAuthenticated, "This route needs the platform administrator token."))
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
    let new = NewOrganization {
        slug: Slug::parse(&body.slug)?,
        name: parse_name(&body.name)?,
        owner_email: EmailAddress::parse(&body.owner_email)?,
        owner_password: NewPassword::parse(&body.owner_password)?,
    };
    let id = organizations::create(&app, &new).await?;
    json(201, &CreatedOrganization { id, slug: new.slug.as_str().into() })
}

/// Failed and dead-lettered e-mails of every organization (`?status=failed`), newest first.
async fn platform_outbox(
    app: Rc<App>,
    _: PlatformAdmin,
    Query(_q): Query<OutboxQuery>,
) -> ApiResult<Response> {
    json(200, &failed_emails::list(&app, None).await?)
}

/// Sends a failed e-mail of any organization again, once its cause is fixed.
async fn platform_outbox_retry(
    app: Rc<App>,
    _: PlatformAdmin,
    Path(OutboxId(id)): Path<OutboxId>,
) -> ApiResult<Response> {
    json(202, &failed_emails::retry(&app, &id, None).await?)
}

/// What the development transport "sent", newest first. Only in development.
#[derive(Deserialize)]
pub struct MailboxQuery {
    to: Option<String>,
}

pub async fn dev_mailbox(app: Rc<App>, Query(query): Query<MailboxQuery>) -> ApiResult<Response> {
    let to = query.to.as_deref().map(EmailAddress::parse).transpose()?;
    let rows = dev::mailbox(&app.db, to.as_ref().map(EmailAddress::as_str)).await?;
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
    let calls: Vec<_> = dev::gateway_calls(&app.db, &org)
        .await?
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
    let mut out = Vec::new();
    for (name, sql) in plans::hot_path() {
        let plan = dev::query_plan(&app.db, &sql).await?;
        out.push(json!({ "name": name, "sql": sql, "plan": plan }));
    }
    json(200, &json!({ "queries": out }))
}
