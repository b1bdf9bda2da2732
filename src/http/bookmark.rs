//! The D1 bookmark a client keeps between requests (read replication, store::replication): the
//! API's `x-d1-bookmark` header, or for the pages a cookie scoped to the portal. Sent back, it
//! makes the next request's replica reads at least as fresh as what this one saw or wrote, so a
//! family sees its own writes. A malformed one is ignored.

use super::cookies::read_cookie;
use super::response::Response;
use crate::app::App;
use crate::error::ApiResult;
use crate::store::replication::Bookmark;
use cookie::{Cookie, SameSite};

pub const HEADER: &str = "x-d1-bookmark";
pub const COOKIE: &str = "d1_bookmark";
/// Development only: how many statements the request ran in each D1 session
/// (`primary=1 replica=3`), so that tests can see which reads went where.
pub const STATEMENTS_HEADER: &str = "x-dev-d1-statements";

/// The bookmark the request carries: the header, else the cookie.
pub fn of_request(req: &web_sys::Request) -> Option<Bookmark> {
    let headers = req.headers();
    if let Some(b) = headers.get(HEADER).ok().flatten().and_then(|h| Bookmark::parse(h.trim())) {
        return Some(b);
    }
    let cookies = headers.get("cookie").ok().flatten()?;
    Bookmark::parse(&read_cookie(&cookies, COOKIE)?)
}

/// Which front door answered: the API (`/portal/{org}/api/...`, `/office/{org}/api/...`) keeps the
/// bookmark in a header, the pages in a cookie for their portal's path.
pub enum Door<'a> {
    Api,
    Pages { portal_path: &'a str },
}

impl<'a> Door<'a> {
    /// `portal_path` is `/portal/{org}` or `/office/{org}`; `path` the request's.
    pub fn of(portal_path: &'a str, path: &str) -> Self {
        let rest = &path[portal_path.len().min(path.len())..];
        if rest == "/api" || rest.starts_with("/api/") {
            Door::Api
        } else {
            Door::Pages { portal_path }
        }
    }
}

/// Puts the request's latest bookmark on its answer (none when it read nothing).
pub fn hand_back(app: &App, response: &Response, door: Door<'_>) -> ApiResult<()> {
    let headers = response.headers();
    if app.config.is_development() {
        let s = app.db.statements();
        headers.set(STATEMENTS_HEADER, &format!("primary={} replica={}", s.primary, s.replica))?;
    }
    let Some(bookmark) = app.db.bookmark() else { return Ok(()) };
    match door {
        Door::Api => headers.set(HEADER, bookmark.as_str())?,
        // A cookie the browser already holds is not set again.
        Door::Pages { .. } if app.db.client_bookmark() == Some(&bookmark) => {}
        Door::Pages { portal_path } => headers.append("set-cookie", &cookie(&bookmark, portal_path))?,
    }
    Ok(())
}

/// Lives as long as the browser session: a bookmark matters for the next few requests only.
fn cookie(bookmark: &Bookmark, portal_path: &str) -> String {
    Cookie::build((COOKIE, bookmark.as_str()))
        .path(portal_path)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build()
        .to_string()
}
