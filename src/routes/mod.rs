//! Routing: each resource module exposes its routes; this file only dispatches by prefix.

mod office;
mod platform;
mod portal;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use worker::{Method, Request, Response};

pub use office::STAFF_SIGN_IN;
pub use portal::GUARDIAN_SIGN_IN;

pub const STAFF_COOKIE: &str = "office_session";
pub const GUARDIAN_COOKIE: &str = "portal_session";

/// Awaits a handler through a box: each handler's state machine stays its own instead of being
/// inlined into the router's (which made the wasm ~25% larger).
pub async fn boxed<'a, T>(f: impl std::future::Future<Output = T> + 'a) -> T {
    let f: std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>> = Box::pin(f);
    f.await
}

pub async fn handle(app: &App, req: Request) -> ApiResult<Response> {
    let url = req.inner().url();
    let (path, _) = portal_core::request_target::split(&url);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    match segments.as_slice() {
        ["healthz"] => match method {
            Method::Get | Method::Head => platform::healthz(),
            _ => Err(ApiError::method_not_allowed()),
        },
        ["openapi.json"] => platform::openapi(),
        ["platform", "api", rest @ ..] => boxed(platform::route(app, req, rest)).await,
        ["dev", "mailbox"] => boxed(platform::dev_mailbox(app, &req)).await,
        ["dev", "query-plans"] => boxed(platform::query_plans(app, &req)).await,
        ["dev", "gateway-calls"] => boxed(platform::dev_gateway_calls(app, &req)).await,
        ["office", org, "api", rest @ ..] => boxed(office::route(app, req, org, rest)).await,
        ["portal", org, rest @ ..] => boxed(portal::route(app, req, org, rest)).await,
        _ => Err(ApiError::route_not_found()),
    }
}
