//! Responses: JSON, text, HTML pages with their security headers.

use crate::adapters::gateway::ElementSources;
use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use worker::{Headers, Response};

pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_bytes(body)?.with_status(status).with_headers(headers))
}

pub fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?.with_status(204))
}

pub fn text(status: u16, body: &str) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    Ok(Response::from_bytes(body.as_bytes().to_vec())?.with_status(status).with_headers(headers))
}

/// An HTML page with headers that keep it from being framed or sniffed.
pub fn html(status: u16, body: String) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("content-security-policy", PAGE_POLICY)?;
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
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
