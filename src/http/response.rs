//! Responses: JSON, text, HTML pages with their security headers.

use crate::adapters::gateway::ElementSources;
use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use worker::{Headers, Response, ResponseBody};

pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    respond(status, body, &JSON_HEADERS)
}

pub fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?.with_status(204))
}

pub fn text(status: u16, body: &str) -> ApiResult<Response> {
    respond(status, body.as_bytes().to_vec(), &TEXT_HEADERS)
}

/// An HTML page with headers that keep it from being framed or sniffed.
pub fn html(status: u16, body: String) -> ApiResult<Response> {
    respond(status, body.into_bytes(), &HTML_HEADERS)
}

// Each kind of answer's headers, built once per isolate: a response copies them in one call into
// JavaScript, where setting them one by one takes a call each (measured in bench/peer.mjs).
thread_local! {
    static JSON_HEADERS: Option<web_sys::Headers> =
        headers_of(&[("content-type", "application/json; charset=utf-8"), ("cache-control", "no-store")]);
    static TEXT_HEADERS: Option<web_sys::Headers> = headers_of(&[("content-type", "text/plain; charset=utf-8")]);
    static HTML_HEADERS: Option<web_sys::Headers> = headers_of(&[
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", PAGE_POLICY),
    ]);
}

fn headers_of(fields: &[(&str, &str)]) -> Option<web_sys::Headers> {
    let headers = web_sys::Headers::new().ok()?;
    fields.iter().try_for_each(|(name, value)| headers.set(name, value)).ok()?;
    Some(headers)
}

fn respond(status: u16, body: Vec<u8>, kind: &'static std::thread::LocalKey<Option<web_sys::Headers>>) -> ApiResult<Response> {
    let headers = kind
        .with(|template| template.as_ref().map(web_sys::Headers::new_with_headers))
        .ok_or_else(|| ApiError::internal("the response headers could not be built"))?
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    Ok(Response::from_body(ResponseBody::Body(body))?.with_status(status).with_headers(Headers(headers)))
}

/// The pages' Content-Security-Policy. No inline script or style anywhere: the stylesheet and the
/// one script are files of ours (see routes/portal/pages/mod.rs), so an injected tag can neither
/// run nor restyle the page.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                           form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' policy with a gateway's sources let in.
pub fn policy_letting_in(third: &ElementSources) -> String {
    PAGE_POLICY.replace("script-src 'self'", &format!("script-src 'self' {}", third.script)).replace(
        "img-src 'self' data:",
        &format!("img-src 'self' data: {}; frame-src {}; connect-src {}", third.img, third.frame, third.connect),
    )
}

/// Renders an askama page.
pub fn page<T: askama::Template>(status: u16, template: &T) -> ApiResult<Response> {
    html(status, template.render().map_err(ApiError::internal)?)
}

/// 303 See Other: the answer to a form post (Post/Redirect/Get), so that reloading the next page
/// does not post the form again. Each cookie goes in its own `Set-Cookie`.
pub fn see_other(location: &str, cookies: &[String]) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    for cookie in cookies {
        headers.append("set-cookie", cookie)?;
    }
    Ok(Response::empty()?.with_status(303).with_headers(headers))
}
