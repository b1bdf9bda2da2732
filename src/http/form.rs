//! Forms posted by our own pages (`application/x-www-form-urlencoded`): the front door that works
//! without JavaScript. The JSON API stays the other door; both call the same commands.

use super::body::read_body;
use super::extract::{FromRequest, RequestParts};
use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::de::DeserializeOwned;

/// Our forms are a few short fields; anything much larger is not one of them.
pub const MAX_FORM_BODY_BYTES: usize = 16 * 1024;

/// A form body read with serde, after the same-origin check (a page on another site, or a sibling
/// subdomain, must not be able to sign someone in, send e-mails or sign them out): 403 for a
/// cross-site post, 415 for another body type, 400 for a body that is not a form.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        parts.require_same_origin()?;
        let is_form = parts
            .header("content-type")
            .as_deref()
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(ApiError::new(415, ErrorCode::UnsupportedMediaType, "This page only takes its own form."));
        }
        let bytes = read_body(&parts.req, MAX_FORM_BODY_BYTES).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| ApiError::bad_request(ErrorCode::MalformedForm, "The form could not be read. Go back to the page and try again."))
    }
}
