//! E-mailed links (invitations and password resets), stored by the hash of their token only.

use super::{text, Db};
use crate::error::ApiResult;
use serde::de::DeserializeOwned;

/// What an e-mailed link leads to (an invitation or a password reset), found by the SHA-256 of its
/// token. It names its organization: a link is followed only under the organization in its URL.
pub trait LinkRow: DeserializeOwned {
    /// The `SELECT` of the row, with the token's hash as `?1`.
    const BY_TOKEN_HASH: &'static str;
    fn org_slug(&self) -> &str;
}

pub async fn find_by_token_hash<T: LinkRow>(db: &Db, token_hash: &str) -> ApiResult<Option<T>> {
    db.first(T::BY_TOKEN_HASH, &[text(token_hash)]).await
}
