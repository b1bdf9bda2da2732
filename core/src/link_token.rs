//! Secrets in e-mailed links (invitations, password resets). Only their SHA-256 is stored, so a
//! copy of the database does not let anyone accept an invitation or reset a password.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of a link token as it arrived in a URL or body.
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.trim().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token we issued is 43 characters of base64url; anything else cannot be one of ours and
/// is refused without a database lookup.
pub fn looks_valid(token: &str) -> bool {
    let t = token.trim();
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash(" abc\n"), hash("abc"));
    }

    #[test]
    fn only_token_shaped_strings_are_looked_up() {
        assert!(looks_valid(&"a".repeat(43)));
        assert!(!looks_valid(&"a".repeat(42)));
        assert!(!looks_valid(&format!("{}/", "a".repeat(42))));
    }
}
