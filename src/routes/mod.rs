//! The one route table. Each resource module lists its own routes into it; 404s and 405s (with
//! `Allow`) come from the table, and every `/portal/{org}/...` request passes the portal switch
//! before it is routed.

mod bodies;
// Account information, credit and statements.
mod contact_points;
mod office;
mod pages;
// Your Student(s) part B.
mod passes;
mod platform;
mod portal;

use crate::adapters::directory;
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{bookmark, PathParam, RequestParts, Response, Router};
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
// Future absences (stu-a)
impl PathParam for portal_core::ids::AbsenceId {
    const NAME: &'static str = "absence_id";
}

// Signed-in devices (issue 27, part B).
impl PathParam for portal_core::ids::SessionId {
    const NAME: &'static str = "session_id";
}

/// The routes of this Worker: the Customer Portal's and the platform's (`portal`), or the Office
/// Portal's (`office`); a build with both (the default, for checks) has every route.
fn table(development: bool) -> Router {
    let router = Router::default();
    #[cfg(feature = "portal")]
    let router = {
        let router = platform::routes(router, development);
        let router = pages::portal_routes(router);
        portal::routes(router)
    };
    #[cfg(feature = "office")]
    let router = {
        let router = pages::office_routes(router);
        office::routes(router)
    };
    let _ = development;
    router
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

/// `/portal/{org}` or `/office/{org}` of an organization's path.
fn portal_path_of(path: &str) -> Option<&str> {
    let slug = organization_of(path)?;
    // The slug is the segment after the first: `/portal/` and `/office/` are 8 bytes.
    path.get(..8 + slug.len())
}

/// The request goes on in its organization's database. An organization the directory does not
/// know stays on the first database, where it is not found either: the same 404 as ever. While the
/// organization moves to another database, its writes are refused (reads go on in the old one):
/// the move copies nothing before every isolate knows this (jobs::move_org).
async fn use_organizations_database(app: &mut App, method: &str, path: &str) -> ApiResult<()> {
    let Some(slug) = organization_of(path) else { return Ok(()) };
    let mut placement = directory::placement(app, slug).await?;
    let writes = !matches!(method, "GET" | "HEAD");
    if writes && placement.as_ref().is_some_and(|p| p.moving) {
        placement = directory::placement_now(app, slug).await?; // the move may be over
    }
    if let Some(placement) = placement {
        if placement.moving && writes {
            return Err(ApiError::new(
                503,
                ErrorCode::OrganizationMoving,
                "This organization is moving to another database. Please try again in a minute.",
            )
            .with_retry_after(MOVING_RETRY_AFTER_SECONDS));
        }
        let binding = app.database(&placement.database)?.clone();
        app.use_database(&binding, placement.org_id);
        app.moving = placement.moving;
    }
    Ok(())
}

/// What a write refused during a move tells the client to wait: a move takes a minute or two.
const MOVING_RETRY_AFTER_SECONDS: i64 = 30;

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
    #[cfg(not(feature = "office"))]
    if path == "/office" || path.starts_with("/office/") {
        let answer = forward_to_office(&app, &raw).await;
        // A staff write may have switched the Customer Portal off (or scheduled maintenance) in
        // the office Worker's isolate: this isolate, which gates the portal, forgets its copy so
        // that the change holds here at once, as it did when one Worker did both.
        if !matches!(method, "GET" | "HEAD") {
            if let Some(slug) = organization_of(path) {
                crate::adapters::switch::forget(slug);
            }
        }
        return answer;
    }
    let development = app.config.is_development();
    let placed = use_organizations_database(&mut app, method, path).await;
    // An organization's requests read and write in D1 sessions (read replication), and hand back
    // the bookmark that keeps a client's next request at least as fresh.
    let portal_path = portal_path_of(path);
    if placed.is_ok() && portal_path.is_some() {
        app.open_sessions(bookmark::of_request(&raw));
    }
    let app = Rc::new(app);
    let answer = match placed {
        Ok(()) => route(app.clone(), raw, method, path, query, origin, development).await,
        Err(e) => Err(e),
    };
    let answer = match answer {
        Err(e) if portal::is_page(path) => portal::error_page(e),
        Err(e) if office::is_page(path) => office::error_page(e),
        answer => answer,
    };
    let Some(portal_path) = portal_path else { return answer };
    // An error answers with its bookmark too: the request may have read (or, rarely, written).
    let answer = answer.or_else(ApiError::into_response)?;
    bookmark::hand_back(&app, &answer, bookmark::Door::of(portal_path, path))?;
    Ok(answer)
}

#[cfg(not(feature = "office"))]
#[wasm_bindgen(inline_js = "export function forward_to_office(env, request) { return env.OFFICE.fetch(request); }")]
extern "C" {
    #[wasm_bindgen(catch, js_name = forward_to_office)]
    fn office_fetch(env: &worker::Env, request: &web_sys::Request) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
}

/// The Office Portal is a Worker of its own (each Worker's upload stays within its size budget):
/// its requests come to this one's address and go on to it, unchanged, over the `OFFICE` service
/// binding (in production the same thread, no network hop).
#[cfg(not(feature = "office"))]
async fn forward_to_office(app: &App, raw: &web_sys::Request) -> ApiResult<Response> {
    use wasm_bindgen::JsCast;
    let unreachable = |_| ApiError::internal("the Office Portal's Worker (service binding OFFICE) did not answer");
    let promise = office_fetch(&app.env, raw).map_err(unreachable)?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(unreachable)?;
    answer.dyn_into::<Response>().map_err(unreachable)
}

async fn route(app: Rc<App>, raw: web_sys::Request, method: &str, path: &str, query: String, origin: String, development: bool) -> ApiResult<Response> {
    if let Some(answer) = portal::gate(&app, path).await? {
        return Ok(answer);
    }
    let parts = RequestParts { app, req: raw, query, origin, params: Vec::new(), cookie_session: false };
    let reply = ROUTES.with(|routes| routes.get_or_init(|| table(development)).dispatch(method, path, parts));
    match reply {
        Ok(reply) => reply.await,
        Err(e) => Err(e),
    }
}
