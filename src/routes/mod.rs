//! The one route table. Each resource module lists its own routes into it; 404s and 405s (with
//! `Allow`) come from the table, and every `/portal/{org}/...` request passes the portal switch
//! before it is routed.

mod enrollment_views;
mod office;
mod platform;
mod portal;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{PathParam, RequestParts, Router};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, GuardianId, ImportJobId, LinkToken, PaymentMethodId, RequestId, StudentId};
use std::cell::OnceCell;
use std::rc::Rc;
use worker::{Request, Response};


impl PathParam for FamilyId {
    const NAME: &'static str = "family_id";
}
impl PathParam for GuardianId {
    const NAME: &'static str = "guardian_id";
}
impl PathParam for PaymentMethodId {
    const NAME: &'static str = "payment_method_id";
}
impl PathParam for ImportJobId {
    const NAME: &'static str = "job_id";
}
impl PathParam for LinkToken {
    const NAME: &'static str = "token";
}
impl PathParam for StudentId {
    const NAME: &'static str = "student_id";
}
impl PathParam for ClassId {
    const NAME: &'static str = "class_id";
}
impl PathParam for EnrollmentId {
    const NAME: &'static str = "enrollment_id";
}
impl PathParam for RequestId {
    const NAME: &'static str = "request_id";
}

fn table(development: bool) -> Router {
    let router = platform::routes(Router::default(), development);
    let router = office::routes(router);
    portal::routes(router)
}

thread_local! {
    // Built once per isolate (its configuration does not change).
    static ROUTES: OnceCell<Router> = const { OnceCell::new() };
}

pub async fn handle(app: App, req: Request) -> ApiResult<Response> {
    // The runtime's own WHATWG URL parser: the request's URL is already a JS string, and parsing
    // it there keeps a second URL implementation (and its IDNA tables) out of the wasm.
    let url = web_sys::Url::new(&req.inner().url()).map_err(|_| ApiError::route_not_found())?;
    let pathname = url.pathname();
    // `/healthz/` is `/healthz`: a trailing slash names the same resource.
    let path = match pathname.as_str() {
        "/" => "/".to_string(),
        p => p.trim_end_matches('/').to_string(),
    };
    let method = req.inner().method();
    let development = app.config.is_development();
    let app = Rc::new(app);
    if let Some(answer) = portal::gate(&app, &path).await? {
        return Ok(answer);
    }
    let query = url.search().trim_start_matches('?').to_string();
    let parts = RequestParts { app, req, query, origin: url.origin(), params: Vec::new(), cookie_session: false };
    let reply = ROUTES.with(|routes| routes.get_or_init(|| table(development)).dispatch(&method, &path, parts));
    let answer = match reply {
        Ok(reply) => reply.await,
        Err(e) => Err(e),
    };
    match answer {
        Err(e) if portal::is_page(&path) => portal::error_page(e),
        answer => answer,
    }
}
