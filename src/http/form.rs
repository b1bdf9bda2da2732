//! Forms posted by our own pages (`application/x-www-form-urlencoded`): the front door that works
//! without JavaScript. The JSON API stays the other door; both call the same commands.

use super::body::read_body;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use super::extract::{FromRequest, RequestParts};
use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::de::DeserializeOwned;

/// Our forms are a few short fields; anything much larger is not one of them.
pub const MAX_FORM_BODY_BYTES: usize = 16 * 1024;

/// 415 unless the body is declared as the kind of form the page sends.
fn require_body_type(parts: &RequestParts, expected: &str) -> ApiResult<()> {
    let declared = parts.header("content-type");
    let media_type = declared.as_deref().and_then(|t| t.split(';').next()).map(str::trim);
    if media_type.is_some_and(|t| t.eq_ignore_ascii_case(expected)) {
        Ok(())
    } else {
        Err(ApiError::new(415, ErrorCode::UnsupportedMediaType, "This page only takes its own form."))
    }
}

/// A form body read with serde, after the same-origin check (a page on another site, or a sibling
/// subdomain, must not be able to sign someone in, send e-mails or sign them out): 403 for a
/// cross-site post, 415 for another body type, 400 for a body that is not a form.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        parts.require_same_origin()?;
        require_body_type(parts, "application/x-www-form-urlencoded")?;
        let bytes = read_body(&parts.req, MAX_FORM_BODY_BYTES).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|_| ApiError::bad_request(ErrorCode::MalformedForm, "The form could not be read. Go back to the page and try again."))
    }
}

/// A form with a file (`multipart/form-data`), as an `<input type="file">` posts it: the runtime's
/// own parser reads it (`Request.formData()`), so no multipart parser is compiled into the Worker.
/// The same-origin check and the size limit come first: 413 for a body over `LIMIT` bytes (plus
/// room for the form's other fields), 415 for another body type, 400 for one that cannot be read.
pub struct Upload<const LIMIT: usize> {
    /// The file of the field named `file`, if one was chosen.
    pub file: Option<Vec<u8>>,
    fields: web_sys::FormData,
}

impl<const LIMIT: usize> Upload<LIMIT> {
    /// A text field of the form (a ticked checkbox sends its value; an unticked one nothing).
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).as_string()
    }
}

/// The form's own fields around the file are a few short values.
const UPLOAD_FORM_ROOM: usize = 16 * 1024;

impl<const LIMIT: usize> FromRequest for Upload<LIMIT> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        parts.require_same_origin()?;
        require_body_type(parts, "multipart/form-data")?;
        let too_large = || ApiError::new(413, ErrorCode::BodyTooLarge, format!("The file is larger than {LIMIT} bytes."));
        // A declared length over the limit is refused unread; a body sent without one (chunked)
        // is read as `read_body` reads one, and its file measured below.
        let declared = parts.header("content-length").and_then(|l| l.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n > LIMIT + UPLOAD_FORM_ROOM) {
            return Err(too_large());
        }
        let unreadable = |_| ApiError::bad_request(ErrorCode::MalformedForm, "The form could not be read. Go back to the page and try again.");
        let fields: web_sys::FormData = JsFuture::from(parts.req.form_data().map_err(unreadable)?).await.map_err(unreadable)?.unchecked_into();
        let file = match fields.get("file").dyn_into::<web_sys::File>() {
            Ok(file) if file.size() > 0.0 || !file.name().is_empty() => {
                if file.size() > LIMIT as f64 {
                    return Err(too_large());
                }
                let buffer = JsFuture::from(file.array_buffer()).await.map_err(unreadable)?;
                Some(js_sys::Uint8Array::new(&buffer).to_vec())
            }
            _ => None,
        };
        Ok(Upload { file, fields })
    }
}
