//! Responses: JSON, text, HTML pages with their security headers, built as the runtime's own
//! `Response` in one constructor call (no Rust-side response to convert and copy afterwards).

use crate::adapters::gateway::ElementSources;
use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// What every handler answers: the runtime's `Response`, handed back to it as it is.
pub type Response = web_sys::Response;

pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    respond(status, Body::Bytes(&body), &JSON)
}

/// A sign-in's answer (customer or staff): the JSON with the session cookie set.
pub fn signed_in_answer<T: Serialize>(value: &T, cookies: &[String]) -> ApiResult<Response> {
    let resp = json(200, value)?;
    for cookie in cookies {
        resp.headers().append("set-cookie", cookie)?;
    }
    Ok(resp)
}

pub fn no_content() -> ApiResult<Response> {
    respond(204, Body::None, &BARE)
}

/// An HTML page with headers that keep it from being framed or sniffed.
pub fn html(status: u16, body: &str) -> ApiResult<Response> {
    respond(status, Body::Bytes(body.as_bytes()), &HTML)
}

/// A body that never changes (health, the gate's pages and errors), made a JavaScript string once
/// per isolate: an answer with it copies nothing out of wasm memory.
pub struct FixedBody {
    text: JsValue,
    kind: &'static Kind,
}

impl FixedBody {
    pub fn text(body: &str) -> Self {
        FixedBody { text: JsValue::from_str(body), kind: &TEXT }
    }
    pub fn html(body: &str) -> Self {
        FixedBody { text: JsValue::from_str(body), kind: &HTML }
    }
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Option<Self> {
        let body = serde_json::to_string(value).ok()?;
        Some(FixedBody { text: JsValue::from_str(&body), kind: &JSON })
    }
}

pub fn fixed(status: u16, body: &FixedBody) -> ApiResult<Response> {
    respond(status, Body::Js(&body.text), body.kind)
}

/// A body with headers of its own (a download, a static file).
pub fn with_headers(status: u16, body: &[u8], fields: &[(&str, &str)]) -> ApiResult<Response> {
    let init = init_of(fields).ok_or_else(|| ApiError::internal("the response headers could not be built"))?;
    build(status, Body::Bytes(body), &init)
}

/// A kind of answer: the init (its headers) its responses are built with.
type Kind = std::thread::LocalKey<Option<web_sys::ResponseInit>>;

// Each kind's init, built once per isolate. The constructor copies the headers into the
// response's own, so what a handler adds later (a cookie, `Retry-After`) never reaches the
// template; one call instead of one per header (measured in bench/peer.mjs).
thread_local! {
    static JSON: Option<web_sys::ResponseInit> =
        init_of(&[("content-type", "application/json; charset=utf-8"), ("cache-control", "no-store")]);
    static TEXT: Option<web_sys::ResponseInit> = init_of(&[("content-type", "text/plain; charset=utf-8")]);
    static HTML: Option<web_sys::ResponseInit> = init_of(&[
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", PAGE_POLICY),
    ]);
    static BARE: Option<web_sys::ResponseInit> = init_of(&[]);
}

fn init_of(fields: &[(&str, &str)]) -> Option<web_sys::ResponseInit> {
    let headers = web_sys::Headers::new().ok()?;
    fields.iter().try_for_each(|(name, value)| headers.set(name, value)).ok()?;
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    Some(init)
}

enum Body<'a> {
    None,
    Bytes(&'a [u8]),
    Js(&'a JsValue),
}

fn respond(status: u16, body: Body<'_>, kind: &'static Kind) -> ApiResult<Response> {
    kind.with(|init| match init {
        Some(init) => build(status, body, init),
        None => Err(ApiError::internal("the response headers could not be built")),
    })
}

fn build(status: u16, body: Body<'_>, init: &web_sys::ResponseInit) -> ApiResult<Response> {
    init.set_status(status);
    let built = match body {
        Body::None => Response::new_with_opt_str_and_init(None, init),
        // Copied into a JavaScript array: the runtime must not keep a view of the wasm memory.
        Body::Bytes(bytes) => Response::new_with_opt_buffer_source_and_init(Some(&js_sys::Uint8Array::from(bytes)), init),
        Body::Js(value) => ResponseOfJsBody::new(value, init).map(JsCast::unchecked_into),
    };
    built.map_err(ApiError::from)
}

#[wasm_bindgen]
extern "C" {
    /// The runtime's `Response`, for a constructor whose body is already a JavaScript value
    /// (web-sys's take theirs out of Rust memory).
    #[wasm_bindgen(js_name = Response)]
    type ResponseOfJsBody;
    #[wasm_bindgen(constructor, js_class = "Response", catch)]
    fn new(body: &JsValue, init: &web_sys::ResponseInit) -> Result<ResponseOfJsBody, JsValue>;
}

/// The pages' Content-Security-Policy. No inline script or style anywhere: the stylesheet and the
/// one script are files of ours (see routes/portal/pages/mod.rs), so an injected tag can neither
/// run nor restyle the page.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                           form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' policy for a page whose own script asks our API how a job is going.
pub fn policy_polling_self() -> String {
    format!("{PAGE_POLICY}; connect-src 'self'")
}

/// The pages' policy with a gateway's sources let in.
pub fn policy_letting_in(third: &ElementSources) -> String {
    PAGE_POLICY.replace("script-src 'self'", &format!("script-src 'self' {}", third.script)).replace(
        "img-src 'self' data:",
        &format!("img-src 'self' data: {}; frame-src {}; connect-src {}", third.img, third.frame, third.connect),
    )
}

/// Renders an askama page.
pub fn page<T: askama::Template>(status: u16, template: &T) -> ApiResult<Response> {
    html(status, &template.render().map_err(ApiError::internal)?)
}

/// 303 See Other: the answer to a form post (Post/Redirect/Get), so that reloading the next page
/// does not post the form again. Each cookie goes in its own `Set-Cookie`.
pub fn see_other(location: &str, cookies: &[String]) -> ApiResult<Response> {
    let headers = web_sys::Headers::new()?;
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    for cookie in cookies {
        headers.append("set-cookie", cookie)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    build(303, Body::None, &init)
}

impl ApiError {
    /// The error as the API's JSON answer. `Err` only when the runtime cannot build a response at
    /// all: the fetch entry then answers a bare 500. (Here, not in error.rs: the error type sits
    /// below every layer, its HTTP rendering in this one.)
    pub fn into_response(self) -> ApiResult<Response> {
        let resp = json(self.status, &self.body())?;
        // Rarely there: set one by one on the copied headers.
        if let Some(s) = self.retry_after_seconds {
            resp.headers().set("retry-after", &s.to_string())?;
        }
        if let Some(methods) = &self.allow {
            resp.headers().set("allow", methods)?;
        }
        Ok(resp)
    }
}
