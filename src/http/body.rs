//! Request bodies: size limits, then serde with the field's path in every 422.

use crate::error::{ApiError, ApiResult, ErrorCode};
use serde::de::DeserializeOwned;
use wasm_bindgen_futures::JsFuture;

/// JSON bodies larger than this are refused with 413 before they are parsed.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

pub async fn read_body(req: &web_sys::Request, limit: usize) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::new(413, ErrorCode::BodyTooLarge, format!("The request body is larger than {limit} bytes."));
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len.trim().parse::<usize>().is_ok_and(|n| n > limit) {
            return Err(too_large());
        }
    }
    let unreadable = |_| ApiError::bad_request(ErrorCode::UnreadableBody, "The request body could not be read.");
    let buffer = JsFuture::from(req.array_buffer().map_err(unreadable)?).await.map_err(unreadable)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// 400 for malformed JSON or a body that is not an object, 422 for a wrong field, naming it by
/// its path: "`primary_guardian.first_name` must be a string".
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let malformed = |detail: String| ApiError::bad_request(ErrorCode::MalformedJson, format!("The request body is not valid JSON: {detail}."));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(ErrorCode::MalformedJson, "The request body must be a JSON object."));
    }
    // Syntax first, so that a broken body is a 400 even where its first fields fit.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::invalid_request("The request body must be a JSON object."));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let (field, problem) = field_problem(&path, &e.into_inner().to_string());
        ApiError::invalid_field(field, format!("The request body has a wrong field: {problem}."))
    })
}

/// serde's words ("invalid type: integer `5`, expected a string") said as the API says them, with
/// the path of the field they are about.
fn field_problem(path: &str, serde_message: &str) -> (String, String) {
    let join = |name: &str| if path == "." || path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_string();
    if let Some(rest) = serde_message.strip_prefix("unknown field ") {
        // serde_path_to_error's path already ends with the unknown key.
        let name = quoted(rest);
        let at = if path == name || path.ends_with(&format!(".{name}")) { path.to_string() } else { join(&name) };
        let problem = format!("`{at}` is not a known field");
        return (at, problem);
    }
    if let Some(rest) = serde_message.strip_prefix("missing field ") {
        let at = join(&quoted(rest));
        let problem = format!("`{at}` is missing");
        return (at, problem);
    }
    if let Some((_, expected)) = serde_message.split_once(", expected ") {
        let expected = match expected {
            "i64" | "u32" | "i32" | "u8" | "u16" | "u64" => "an integer",
            "a boolean" => "true or false",
            "a sequence" => "a list",
            "struct" => "an object",
            other if other.starts_with("struct ") => "an object",
            other => other,
        };
        return (path.to_string(), format!("`{path}` must be {expected}"));
    }
    (path.to_string(), format!("`{path}`: {serde_message}"))
}

#[cfg(test)]
mod tests {
    use super::field_problem;

    #[test]
    fn says_serde_errors_in_the_apis_words() {
        let said = |path, serde: &str| field_problem(path, serde);
        let at = |field: &str, problem: &str| (field.to_string(), problem.to_string());
        assert_eq!(said("slug", "invalid type: integer `5`, expected a string"), at("slug", "`slug` must be a string"));
        assert_eq!(said("colour", "unknown field `colour`, expected one of `slug`"), at("colour", "`colour` is not a known field"));
        assert_eq!(said("primary_guardian.age", "unknown field `age`, expected `x`"), at("primary_guardian.age", "`primary_guardian.age` is not a known field"));
        assert_eq!(said(".", "missing field `name`"), at("name", "`name` is missing"));
        assert_eq!(said("primary_guardian", "missing field `email`"), at("primary_guardian.email", "`primary_guardian.email` is missing"));
        assert_eq!(said("amount_cents", "invalid type: string \"x\", expected i64"), at("amount_cents", "`amount_cents` must be an integer"));
    }
}
