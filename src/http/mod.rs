//! Request and response helpers shared by every route.

use crate::error::{ApiError, ApiResult};
use portal_core::request_target;
use crate::fields::{Fields, FromFields};
use serde::Serialize;
use serde_json::Value;
use worker::{Headers, Request, Response};

/// JSON bodies larger than this are refused with 413 before they are parsed.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Reads and parses a JSON body: 413 past the limit, 400 for malformed JSON, 422 for a wrong
/// shape (a missing field, a wrong type), each naming what is wrong.
pub async fn read_json<T: FromFields>(req: &mut Request) -> ApiResult<T> {
    parse_json(&read_body(req, MAX_JSON_BODY_BYTES).await?)
}

pub fn parse_json<T: FromFields>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("malformed_json", "The request body must be a JSON object."));
    }
    let value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("The request body is not valid JSON: {e}.")))?;
    let fields =
        Fields::from_value(value).ok_or_else(|| ApiError::invalid_field("The request body must be a JSON object."))?;
    T::read_object(&fields).map_err(|e| ApiError::invalid_field(format!("The request body has a wrong field: {e}.")))
}

pub async fn read_body(req: &mut Request, limit: usize) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(413, "body_too_large", format!("The request body is larger than {limit} bytes."))
    };
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len.trim().parse::<usize>().map(|n| n > limit).unwrap_or(false) {
            return Err(too_large());
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::bad_request("unreadable_body", "The request body could not be read."))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
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
    headers.set(
        "content-security-policy",
        "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )?;
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
}

pub fn bearer_token(req: &Request) -> Option<String> {
    let auth = req.headers().get("authorization").ok().flatten()?;
    let auth = auth.trim();
    let (scheme, token) = auth.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// The session token: `Authorization: Bearer`, else the cookie a browser got at sign-in.
pub fn session_token(req: &Request, cookie_name: &str) -> Option<String> {
    bearer_token(req).or_else(|| {
        let cookies = req.headers().get("cookie").ok().flatten()?;
        cookies.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == cookie_name && !v.is_empty()).then(|| v.to_string())
        })
    })
}

pub fn session_cookie(name: &str, token: &str, path: &str, max_age_seconds: i64) -> String {
    format!("{name}={token}; Path={path}; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax")
}

pub fn cleared_cookie(name: &str, path: &str) -> String {
    format!("{name}=; Path={path}; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

pub fn client_address(req: &Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.inner().url();
    request_target::query_param(request_target::split(&url).1, name)
}

/// A JSON object built key by key: `object!({ "id": row.id, "at": stamp })`. Each value goes
/// through `ToJson` by reference, one small function per type, where `json!` serialised each
/// value through serde at every key (a fifth of a handler's code).
macro_rules! object {
    ({ $($body:tt)* }) => {{
        let mut map = serde_json::Map::new();
        $crate::http::object!(@fields map; $($body)*);
        serde_json::Value::Object(map)
    }};
    (@fields $map:ident; ) => {};
    (@fields $map:ident; $key:literal : { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $crate::http::put(&mut $map, $key, $crate::http::object!({ $($inner)* }));
        $crate::http::object!(@fields $map; $($($rest)*)?);
    };
    (@fields $map:ident; $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $crate::http::put(&mut $map, $key, $crate::http::ToJson::to_json(&$value));
        $crate::http::object!(@fields $map; $($($rest)*)?);
    };
}
pub(crate) use object;

pub fn put(map: &mut serde_json::Map<String, Value>, key: &str, value: Value) {
    map.insert(key.to_string(), value);
}

pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for str {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        self.as_str().to_json()
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for usize {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
}

impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(T::to_json).collect())
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}
