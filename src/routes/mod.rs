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

/// A handler's future, boxed: each router awaits one of these at a single point instead of one
/// await per route, and each handler's state machine stays its own instead of being inlined into
/// the router's (both made the wasm larger).
pub type Handler<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ApiResult<Response>> + 'a>>;

pub fn boxed<'a>(f: impl std::future::Future<Output = ApiResult<Response>> + 'a) -> Handler<'a> {
    Box::pin(f)
}

pub async fn handle(app: &App, req: Request) -> ApiResult<Response> {
    let url = req.inner().url();
    let (path, _) = portal_core::request_target::split(&url);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = req.method();
    let handler = match segments.as_slice() {
        ["healthz"] => match method {
            Method::Get | Method::Head => return platform::healthz(),
            _ => return Err(ApiError::method_not_allowed()),
        },
        ["openapi.json"] => return platform::openapi(),
        ["platform", "api", rest @ ..] => boxed(platform::route(app, req, rest)),
        ["dev", "mailbox"] => boxed(platform::dev_mailbox(app, &req)),
        ["dev", "query-plans"] => boxed(platform::query_plans(app, &req)),
        ["dev", "gateway-calls"] => boxed(platform::dev_gateway_calls(app, &req)),
        ["office", org, "api", rest @ ..] => boxed(office::route(app, req, org, rest)),
        ["portal", org, rest @ ..] => boxed(portal::route(app, req, org, rest)),
        _ => return Err(ApiError::route_not_found()),
    };
    handler.await
}
