//! The one route table. Each resource module lists its own routes into it; 404s and 405s (with
//! `Allow`) come from the table, and every `/portal/{org}/...` request passes the portal switch
//! before it is routed.

mod bodies;
mod office;
mod pages;
mod platform;
mod portal;

use crate::adapters::directory;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{PathParam, RequestParts, Response, Router};
use portal_core::organization::Slug;
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, GuardianId, ImportJobId, LinkToken, PaymentMethodId, RequestId, StudentId};
use std::cell::OnceCell;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;

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
// Signed-in devices (issue 27, part B).
impl PathParam for portal_core::ids::SessionId {
    const NAME: &'static str = "session_id";
}

fn table(development: bool) -> Router {
    let router = platform::routes(Router::default(), development);
    let router = pages::routes(router);
    let router = office::routes(router);
    portal::routes(router)
}

thread_local! {
    // Built once per isolate (its configuration does not change).
    static ROUTES: OnceCell<Router> = const { OnceCell::new() };
}

#[wasm_bindgen(inline_js = "export function request_line(request) { return `${request.method} ${request.url}`; }")]
extern "C" {
    /// The method and the URL in one call into JavaScript instead of two: every crossing costs a
    /// few microseconds (bench/profile.mjs). Neither contains a space.
    fn request_line(request: &web_sys::Request) -> String;
}

/// The parts of the request's URL the routes need. The runtime hands over the URL already
/// serialized by its WHATWG parser (`scheme://host[:port]/path[?query]`), so splitting the string
/// finds what `new URL()` would, without a JS object and four calls to read it back.
struct UrlParts<'a> {
    origin: &'a str,
    pathname: &'a str,
    query: &'a str,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Option<Self> {
        let after_scheme = url.find("://")? + 3;
        let path_start = after_scheme + url[after_scheme..].find('/')?;
        let authority = &url[after_scheme..path_start];
        if authority.is_empty() || authority.contains('@') || !(url.starts_with("http://") || url.starts_with("https://")) {
            return None; // not what the runtime gives a fetch handler: let its parser decide
        }
        let rest = &url[path_start..];
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (pathname, query) = rest.split_once('?').unwrap_or((rest, ""));
        Some(UrlParts { origin: &url[..path_start], pathname, query })
    }
}

/// The organization a path names (`/portal/{org}/...`, `/office/{org}/...`), if it is a slug at all.
fn organization_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/portal/").or_else(|| path.strip_prefix("/office/"))?;
    let slug = rest.split('/').next()?;
    (slug != pages::assets::STATIC_SEGMENT && Slug::parse(slug).is_ok()).then_some(slug)
}

/// The request goes on in its organization's database. An organization the directory does not
/// know stays on the first database, where it is not found either: the same 404 as ever.
async fn use_organizations_database(app: &mut App, path: &str) -> ApiResult<()> {
    let Some(slug) = organization_of(path) else { return Ok(()) };
    if let Some(placement) = directory::placement(app, slug).await? {
        let binding = app.database(&placement.database)?.clone();
        app.use_database(&binding, placement.org_id);
    }
    Ok(())
}

pub async fn handle(mut app: App, raw: web_sys::Request) -> ApiResult<Response> {
    let line = request_line(&raw);
    let (method, href) = line.split_once(' ').ok_or_else(|| ApiError::internal("a request line without a method"))?;
    let parsed;
    let (origin, pathname, query) = match UrlParts::split(href) {
        Some(u) => (u.origin.to_string(), u.pathname.to_string(), u.query.to_string()),
        None => {
            // The runtime's own WHATWG parser for anything unusual.
            parsed = web_sys::Url::new(href).map_err(|_| ApiError::route_not_found())?;
            (parsed.origin(), parsed.pathname(), parsed.search().trim_start_matches('?').to_string())
        }
    };
    // `/healthz/` is `/healthz`: a trailing slash names the same resource.
    let path = match pathname.as_str() {
        "/" => "/",
        p => p.trim_end_matches('/'),
    };
    let development = app.config.is_development();
    use_organizations_database(&mut app, path).await?;
    let app = Rc::new(app);
    if let Some(answer) = portal::gate(&app, path).await? {
        return Ok(answer);
    }
    let parts = RequestParts { app, req: raw, query, origin, params: Vec::new(), cookie_session: false };
    let reply = ROUTES.with(|routes| routes.get_or_init(|| table(development)).dispatch(method, path, parts));
    let answer = match reply {
        Ok(reply) => reply.await,
        Err(e) => Err(e),
    };
    match answer {
        Err(e) if portal::is_page(path) => portal::error_page(e),
        Err(e) if office::is_page(path) => office::error_page(e),
        answer => answer,
    }
}
