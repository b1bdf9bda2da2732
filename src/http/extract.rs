//! Extractors: what a handler names in its signature is read from the request before it runs,
//! the way axum does it (axum itself measured 0.74x of our throughput here, see README).

use super::body::{parse_json, read_body, MAX_JSON_BODY_BYTES};
use super::cookies::{read_cookie, GUARDIAN_DEVICE_COOKIE, STAFF_DEVICE_COOKIE};
use crate::app::App;
use crate::context::Client;
use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::de::DeserializeOwned;
use std::rc::Rc;

/// A request as the route table found it: the app, the request, its URL and the path's parameters.
pub struct RequestParts {
    pub app: Rc<App>,
    /// The runtime's request itself: headers and body are read only when an extractor asks
    /// (`worker::Request` would read them, and `request.cf`, up front).
    pub req: web_sys::Request,
    /// The query string, without its `?`.
    pub query: String,
    /// `scheme://host[:port]` of the request, which a same-origin `Origin` header must equal.
    pub origin: String,
    pub params: Vec<(&'static str, String)>,
    /// The session came from the browser's cookie (not a bearer token): unsafe requests must then
    /// be same-origin and JSON bodies must say so, or a cross-site page could act for the user.
    pub cookie_session: bool,
}

impl RequestParts {
    pub fn param(&self, name: &str) -> ApiResult<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal(format_args!("route has no `{name}` parameter")))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// A GET (or HEAD): it reads and changes nothing, so once its session check has passed its
    /// reads may come from a replica.
    pub fn is_read(&self) -> bool {
        matches!(self.req.method().as_str(), "GET" | "HEAD")
    }

    fn is_unsafe_method(&self) -> bool {
        !matches!(self.req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// A request a browser sent with our cookie must come from our own pages: a foreign `Origin`,
    /// or `Sec-Fetch-Site` other than same-origin (a sibling subdomain is "same-site", and
    /// SameSite=Lax lets its forms through), is refused.
    pub fn refuse_cross_site(&self) -> ApiResult<()> {
        if !self.is_unsafe_method() {
            return Ok(());
        }
        let fetch_site = self.header("sec-fetch-site");
        match self.header("origin").as_deref() {
            // Our pages send `Referrer-Policy: no-referrer`, under which a browser's own form posts
            // carry `Origin: null`; then only `Sec-Fetch-Site` can vouch for them.
            Some("null") if fetch_site.as_deref() != Some("same-origin") => return Err(cross_site()),
            Some("null") => {}
            Some(origin) if origin != self.origin => return Err(cross_site()),
            _ => {}
        }
        match fetch_site.as_deref() {
            None | Some("same-origin") | Some("none") => Ok(()),
            Some(_) => Err(cross_site()),
        }
    }

    /// A form posted to one of our pages must say it came from our own origin: `Origin` equal to
    /// ours, or (no Origin, or the opaque `null`) `Sec-Fetch-Site: same-origin`. Stricter than
    /// [`Self::refuse_cross_site`]: a post that says nothing is refused too, since every browser
    /// we serve sends one of the two, and only a browser needs a form.
    pub fn require_same_origin(&self) -> ApiResult<()> {
        let same_origin = match self.header("origin").as_deref() {
            Some(origin) if origin != "null" => origin == self.origin,
            _ => self.header("sec-fetch-site").as_deref() == Some("same-origin"),
        };
        if same_origin {
            Ok(())
        } else {
            Err(cross_site())
        }
    }

    /// With the cookie, a body must be declared JSON: forms and `text/plain` (which a cross-site
    /// page can send without asking) are refused with 415.
    pub fn require_json_body(&self, body: &[u8]) -> ApiResult<()> {
        if !self.cookie_session {
            return Ok(());
        }
        self.require_declared_json(body)
    }

    /// The body is declared `application/json` (or there is none and nothing declared), whoever sends it.
    fn require_declared_json(&self, body: &[u8]) -> ApiResult<()> {
        let declared = self.header("content-type");
        let is_json = declared
            .as_deref()
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if is_json || (declared.is_none() && body.is_empty()) {
            Ok(())
        } else {
            Err(ApiError::new(415, ErrorCode::UnsupportedMediaType, "The request body must be JSON (Content-Type: application/json)."))
        }
    }
}

fn cross_site() -> ApiError {
    ApiError::forbidden(ErrorCode::CrossSiteRequest, "This request came from another site and was refused.")
}

/// Something a handler can take as an argument.
#[allow(async_fn_in_trait)] // futures here are never sent across threads (wasm)
pub trait FromRequest: Sized {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self>;
}

impl FromRequest for Rc<App> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(parts.app.clone())
    }
}

/// The organization's slug in the path (`{org}`).
pub struct OrgSlug(pub String);

impl FromRequest for OrgSlug {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(OrgSlug(parts.param("org")?.to_string()))
    }
}

/// A typed path parameter: the id type says which `{name}` it is.
pub trait PathParam: From<String> {
    const NAME: &'static str;
}

pub struct Path<T>(pub T);

impl<T: PathParam> FromRequest for Path<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(Path(T::from(parts.param(T::NAME)?.to_string())))
    }
}

/// The query string, read with serde: a wrong value is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(parts.query.as_bytes()));
        serde_path_to_error::deserialize(pairs).map(Query).map_err(|e| {
            let field = e.path().to_string();
            ApiError::invalid_field(field, format!("The query string has a wrong parameter: {}.", e.into_inner()))
        })
    }
}

/// `?dry_run=true`: preview, change nothing. Absent or `false`: act; any other value is a 422.
pub struct DryRun(pub bool);

impl FromRequest for DryRun {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let mut dry_run = false;
        for (_, v) in form_urlencoded::parse(parts.query.as_bytes()).filter(|(k, _)| k == "dry_run") {
            dry_run |= match &*v {
                "true" => true,
                "false" => false,
                _ => return Err(ApiError::invalid_field("dry_run", "dry_run must be true or false.")),
            };
        }
        Ok(DryRun(dry_run))
    }
}

/// A JSON body (at most 64 KiB): 400 malformed, 413 too large, 422 for a wrong field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Json<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let bytes = read_body(&parts.req, MAX_JSON_BODY_BYTES).await?;
        parts.require_json_body(&bytes)?;
        parse_json(&bytes).map(Json)
    }
}

/// The JSON body of a route that signs someone in (and so sets the session cookie): refused from
/// another site, and refused unless declared JSON, whoever sends it. Without this, a foreign page
/// could post a `text/plain` form and sign the visitor's browser in to the attacker's account
/// (login CSRF); the cookie rule of [`Json`] cannot apply, since there is no session yet.
pub struct SignInJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest for SignInJson<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        parts.refuse_cross_site()?;
        let bytes = read_body(&parts.req, MAX_JSON_BODY_BYTES).await?;
        parts.require_declared_json(&bytes)?;
        parse_json(&bytes).map(SignInJson)
    }
}

/// A JSON body that may be left out: absent or empty means `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest for OptionalJson<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let bytes = read_body(&parts.req, MAX_JSON_BODY_BYTES).await?;
        parts.require_json_body(&bytes)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// Who is signing in: the client's address as Cloudflare reports it (none without the header: not
/// one shared bucket for every client, which would let anyone lock everyone out locally), and the
/// device cookie of an earlier successful sign-in, if the browser kept one.
impl FromRequest for Client {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let cookies = parts.header("cookie");
        let device = cookies.as_deref().and_then(|c| read_cookie(c, STAFF_DEVICE_COOKIE).or_else(|| read_cookie(c, GUARDIAN_DEVICE_COOKIE)));
        let user_agent = portal_core::sign_ins::stored_user_agent(parts.header("user-agent").as_deref());
        Ok(Client { address: parts.header("cf-connecting-ip").filter(|a| !a.trim().is_empty()), device, user_agent })
    }
}

/// `Authorization: Bearer <token>`, if given.
pub fn bearer_token(parts: &RequestParts) -> Option<String> {
    let auth = parts.header("authorization")?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

/// A body read whole, refused with 413 past `LIMIT` bytes (a CSV upload).
pub struct Bytes<const LIMIT: usize>(pub Vec<u8>);

impl<const LIMIT: usize> FromRequest for Bytes<LIMIT> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        read_body(&parts.req, LIMIT).await.map(Bytes)
    }
}
