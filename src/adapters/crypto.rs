//! Randomness and password hashing through the runtime's WebCrypto.

use crate::error::{ApiError, ApiResult};
use base64ct::{Base64UrlUnpadded as B64URL, Encoding};
use js_sys::{Array, Uint8Array};
use portal_core::password::{PasswordCost, PasswordHash, HASH_BYTES, SALT_BYTES};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, Pbkdf2Params};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = crypto)]
    static CRYPTO: web_sys::Crypto;
}

pub fn random_bytes<const N: usize>() -> ApiResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(buf)
}

/// An opaque id with a readable prefix (`org_…`, `ses_…`): 128 random bits.
pub fn new_id(prefix: &str) -> ApiResult<String> {
    Ok(format!("{prefix}_{}", B64URL::encode_string(&random_bytes::<16>()?)))
}

/// A secret for a link (invitation, password reset): 256 random bits. Only its hash is stored.
pub fn new_link_token() -> ApiResult<String> {
    Ok(B64URL::encode_string(&random_bytes::<32>()?))
}

fn js_err(e: JsValue) -> ApiError {
    ApiError::internal(format!("webcrypto: {e:?}"))
}

/// One link of the chain in the runtime's native WebCrypto, which caps the iterations of one call
/// (see `portal_core::password`).
async fn pbkdf2_round(password: &[u8], salt: &[u8], iterations: u32) -> ApiResult<Vec<u8>> {
    let subtle = CRYPTO.with(|c| c.subtle());
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let key = JsFuture::from(
        subtle
            .import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    let params = Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(&params, &key.unchecked_into::<CryptoKey>(), (HASH_BYTES * 8) as u32)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// Chained PBKDF2 (see `portal_core::password` for why it is chained).
async fn derive(password: &str, salt: &[u8], iterations: u32, rounds: u32) -> ApiResult<Vec<u8>> {
    let mut key = password.as_bytes().to_vec();
    for _ in 0..rounds {
        key = pbkdf2_round(&key, salt, iterations).await?;
    }
    Ok(key)
}

pub async fn hash_password(password: &str, cost: PasswordCost) -> ApiResult<String> {
    let salt = random_bytes::<SALT_BYTES>()?.to_vec();
    let hash = derive(password, &salt, cost.iterations, cost.rounds).await?;
    Ok(PasswordHash { iterations: cost.iterations, rounds: cost.rounds, salt, hash }.to_phc_string()?)
}

pub async fn verify_password(password: &str, stored: &PasswordHash) -> ApiResult<bool> {
    let derived = derive(password, &stored.salt, stored.iterations, stored.rounds).await?;
    Ok(stored.matches(&derived))
}
