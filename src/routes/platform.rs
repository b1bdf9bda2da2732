//! Platform routes: health, the OpenAPI document, creating organizations and placing them in a
//! tenant database, the directory's read-outs, and the development routes (mailbox, sandbox
//! gateway calls, query plans), which read every tenant database.

use crate::adapters::directory::{self, directory_db};
use crate::app::App;
use crate::commands::organizations::{self, NewOrganization};
use crate::commands::failed_emails;
use crate::commands::moves;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::extract::bearer_token;
use crate::http::response::{self, FixedBody};
use crate::http::{get, json, post, FromRequest, Json, Path, Query, RequestParts, Response, Router};
use crate::routes::bodies::{OutboxId, OutboxQuery};
use crate::store::directory::{self as store_directory, Placement};
use crate::store::{dev, plans, Binding};
use portal_core::email::EmailAddress;
use portal_core::organization::{parse_name, OrganizationError, Slug};
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
        .route("/platform/api/organizations/:slug", get(organization))
        .route("/platform/api/databases", get(databases))
        .route("/platform/api/outbox", get(platform_outbox))
        .route("/platform/api/outbox/:outbox_id/retry", post(platform_outbox_retry))
        // Moving an organization between databases (issue 28).
        .route("/platform/api/organizations/:slug/move", post(move_organization))
        .route("/platform/api/moves/:move_id", get(move_status));
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
    /// Pins the tenant database (a binding, `DB_1` ...); without it the least full one is taken.
    #[serde(default)]
    database: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedOrganization {
    id: String,
    slug: String,
}

/// A slug in a path (`{slug}`).
pub struct SlugParam(String);

impl From<String> for SlugParam {
    fn from(s: String) -> Self {
        SlugParam(s)
    }
}

impl crate::http::PathParam for SlugParam {
    const NAME: &'static str = "slug";
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
    let wanted = match body.database.as_deref() {
        Some(name) => app
            .config
            .database(name)
            .cloned()
            .ok_or_else(|| ApiError::invalid_field("database", "There is no tenant database of that name."))?,
        None => least_full(&app).await?,
    };
    let slug = new.slug.as_str();
    // The directory first: its primary key keeps a slug unique across databases. A claim whose
    // creation did not finish (no org_id yet) is taken up again, in the database it named.
    let directory_db = directory_db(&app);
    let claimed = store_directory::claim(&directory_db, slug, wanted.name(), app.now()).await?;
    if claimed.org_id.is_some() {
        return Err(OrganizationError::SlugTaken(slug.into()).into());
    }
    let home = app.database(&claimed.database)?;
    let id = organizations::create(&app.on(home), &new).await?;
    store_directory::set_org_id(&directory_db, slug, &id).await?;
    let placement = Placement { org_id: Some(id.clone()), database: claimed.database, moving: false };
    directory::publish(&app, slug, &placement).await;
    json(201, &CreatedOrganization { id, slug: slug.into() })
}

/// The placement policy: the tenant database with the fewest bytes (D1's own figure, see
/// `store::directory::usage`), the first of equals. Bytes rather than organizations: one large
/// organization fills a database as much as many small ones, and D1's limit is in bytes.
async fn least_full(app: &App) -> ApiResult<Binding> {
    let mut best: Option<(i64, &Binding)> = None;
    for binding in &app.config.databases {
        let bytes = store_directory::usage(&app.on(binding).db).await?.approx_bytes;
        if best.is_none_or(|(least, _)| bytes < least) {
            best = Some((bytes, binding));
        }
    }
    Ok(best.map(|(_, b)| b.clone()).unwrap_or_else(|| app.config.first_database().clone()))
}

#[derive(Serialize)]
struct OrganizationPlacement {
    id: String,
    slug: String,
    name: String,
    database: String,
    moving: bool,
}

/// Where an organization lives, from the directory (not its caches); 404 for a slug it does not
/// know or whose creation did not finish.
async fn organization(app: Rc<App>, _: PlatformAdmin, Path(SlugParam(slug)): Path<SlugParam>) -> ApiResult<Response> {
    let not_found = || ApiError::not_found(ErrorCode::OrganizationNotFound, "There is no such organization.");
    let placement = store_directory::find(&directory_db(&app), &slug).await?.ok_or_else(not_found)?;
    let home = app.database(&placement.database)?;
    let org = store_directory::organization(&app.on(home).db, &slug).await?.ok_or_else(not_found)?;
    json(
        200,
        &OrganizationPlacement { id: org.id, slug, name: org.name, database: placement.database, moving: placement.moving },
    )
}

#[derive(Serialize)]
struct Databases {
    databases: Vec<DatabaseUsage>,
}

#[derive(Serialize)]
struct DatabaseUsage {
    binding: String,
    organizations: i64,
    approx_bytes: i64,
}

/// Every tenant database with its organizations and size, in binding order.
async fn databases(app: Rc<App>, _: PlatformAdmin) -> ApiResult<Response> {
    let mut databases = Vec::new();
    for binding in &app.config.databases {
        let usage = store_directory::usage(&app.on(binding).db).await?;
        databases.push(DatabaseUsage {
            binding: binding.name().into(),
            organizations: usage.organizations,
            approx_bytes: usage.approx_bytes,
        });
    }
    json(200, &Databases { databases })
}

/// Failed and dead-lettered e-mails of every organization (`?status=failed`), newest first.
async fn platform_outbox(
    app: Rc<App>,
    _: PlatformAdmin,
    Query(_q): Query<OutboxQuery>,
) -> ApiResult<Response> {
    // Each database's newest, merged: the newest of all, as many as one list holds.
    let mut all = Vec::new();
    for app in app.on_each_database() {
        all.extend(failed_emails::list(&app, None).await?.messages);
    }
    all.sort_by(|a, b| b.failed_at.cmp(&a.failed_at));
    all.truncate(failed_emails::LIST_LIMIT as usize);
    json(200, &failed_emails::FailedEmails { messages: all })
}

/// Sends a failed e-mail of any organization again, once its cause is fixed.
async fn platform_outbox_retry(
    app: Rc<App>,
    _: PlatformAdmin,
    Path(OutboxId(id)): Path<OutboxId>,
) -> ApiResult<Response> {
    // The row is in one database: the others answer 404 for it.
    let mut not_found = None;
    for app in app.on_each_database() {
        match failed_emails::retry(&app, &id, None).await {
            Err(e) if e.code == ErrorCode::OutboxMessageNotFound => not_found = Some(e),
            other => return json(202, &other?),
        }
    }
    Err(not_found.unwrap_or_else(|| ApiError::internal("no tenant database")))
}

/// What the development transport "sent", newest first. Only in development.
#[derive(Deserialize)]
pub struct MailboxQuery {
    to: Option<String>,
}

pub async fn dev_mailbox(app: Rc<App>, Query(query): Query<MailboxQuery>) -> ApiResult<Response> {
    let to = query.to.as_deref().map(EmailAddress::parse).transpose()?;
    // The jobs Worker records each message in its organization's database: read them all.
    let mut rows = Vec::new();
    for app in app.on_each_database() {
        rows.extend(dev::mailbox(&app.db, to.as_ref().map(EmailAddress::as_str)).await?);
    }
    rows.sort_by(|a, b| b.sent_at.cmp(&a.sent_at));
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
    let mut rows = Vec::new();
    for app in app.on_each_database() {
        rows.extend(dev::gateway_calls(&app.db, &org).await?);
    }
    rows.sort_by(|a, b| b.at.cmp(&a.at));
    let calls: Vec<_> = rows
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// The tenant database to move to (a binding, `DB_2` ...).
    to_database: String,
}

/// Starts moving an organization to another tenant database: 202 with the move's id; the jobs
/// Worker carries it out and `GET /platform/api/moves/{move_id}` follows it.
async fn move_organization(
    app: Rc<App>,
    _: PlatformAdmin,
    Path(SlugParam(slug)): Path<SlugParam>,
    Json(body): Json<MoveBody>,
) -> ApiResult<Response> {
    json(202, &moves::start(&app, &slug, &body.to_database).await?)
}

/// A move's id in a path (`{move_id}`).
pub struct MoveId(String);

impl From<String> for MoveId {
    fn from(s: String) -> Self {
        MoveId(s)
    }
}

impl crate::http::PathParam for MoveId {
    const NAME: &'static str = "move_id";
}

async fn move_status(app: Rc<App>, _: PlatformAdmin, Path(MoveId(id)): Path<MoveId>) -> ApiResult<Response> {
    json(200, &moves::view(&app, &id).await?)
}
