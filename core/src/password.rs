//! Passwords: the policy for new ones, and the stored hash format.
//!
//! The hash is PBKDF2-HMAC-SHA256 computed by the runtime's WebCrypto. Production Workers refuse more
//! than 100,000 iterations in one call, so the key is derived in `rounds` chained calls (each
//! round's output is the next round's password) to reach OWASP's 600,000 iterations. The stored
//! string names its parameters, so they can be raised later without breaking old hashes.

use password_hash::phc::{self, Ident, Output, ParamsString, Salt};
use subtle::ConstantTimeEq;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Iterations in one WebCrypto call: the production ceiling.
pub const ITERATIONS_PER_ROUND: u32 = 100_000;
/// Chained rounds: 6 x 100,000 = OWASP's 600,000 for PBKDF2-HMAC-SHA256.
pub const ROUNDS: u32 = 6;
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;
const ALGORITHM: Ident = Ident::new_unwrap("pbkdf2-sha256");

/// A candidate password that meets the policy. It is never stored or logged.
pub struct NewPassword(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("The password must be at least {MIN_PASSWORD_CHARS} characters.")]
    TooShort,
    #[error("The password must be at most {MAX_PASSWORD_CHARS} characters.")]
    TooLong,
    #[error("The stored password hash is not in a known format.")]
    UnknownHashFormat,
}

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < MIN_PASSWORD_CHARS || input.trim().is_empty() {
            return Err(PasswordError::TooShort);
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(NewPassword(input.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub rounds: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    /// `$pbkdf2-sha256$i=100000,r=6$<salt>$<hash>`, base64 without padding (PHC string format).
    ///
    /// # Panics
    /// If `salt` or `hash` is outside the PHC format's lengths (8 to 48 and 10 to 64 bytes); the
    /// shell always passes `SALT_BYTES` and `HASH_BYTES`.
    pub fn to_phc_string(&self) -> String {
        let mut params = ParamsString::new();
        let fits = "two numbers fit the parameter string";
        params.add_decimal("i", self.iterations).expect(fits);
        params.add_decimal("r", self.rounds).expect(fits);
        phc::PasswordHash {
            algorithm: ALGORITHM,
            version: None,
            params,
            salt: Some(Salt::new(&self.salt).expect("salt length within the PHC format's bounds")),
            hash: Some(Output::new(&self.hash).expect("hash length within the PHC format's bounds")),
        }
        .to_string()
    }

    pub fn parse(s: &str) -> Result<Self, PasswordError> {
        let phc = phc::PasswordHash::new(s).map_err(|_| PasswordError::UnknownHashFormat)?;
        let params = &phc.params;
        match (phc.salt, phc.hash, params.get_decimal("i"), params.get_decimal("r")) {
            // Exactly `i` and `r`: the PHC parser lets unknown and repeated names through.
            (Some(salt), Some(hash), Some(iterations @ 1..=ITERATIONS_PER_ROUND), Some(rounds @ 1..=64))
                if phc.algorithm == ALGORITHM
                    && phc.version.is_none()
                    && params.iter().count() == 2
                    && hash.len() == HASH_BYTES =>
            {
                Ok(PasswordHash { iterations, rounds, salt: salt.to_vec(), hash: hash.as_bytes().to_vec() })
            }
            _ => Err(PasswordError::UnknownHashFormat),
        }
    }

    /// Compares in constant time, so the comparison leaks nothing about the stored hash.
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.ct_eq(derived).into()
    }
}

/// A hash in the current format for no real password: verified against when the account does not
/// exist, so that a login takes as long for an unknown address as for a known one.
pub fn dummy_hash() -> PasswordHash {
    PasswordHash {
        iterations: ITERATIONS_PER_ROUND,
        rounds: ROUNDS,
        salt: vec![0x5a; SALT_BYTES],
        hash: vec![0; HASH_BYTES],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds_length() {
        assert_eq!(NewPassword::parse("short").unwrap_err(), PasswordError::TooShort);
        assert_eq!(NewPassword::parse("          ").unwrap_err(), PasswordError::TooShort);
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(NewPassword::parse(&"x".repeat(257)).unwrap_err(), PasswordError::TooLong);
    }

    #[test]
    fn phc_string_round_trips() {
        let h = PasswordHash { iterations: 100_000, rounds: 6, salt: vec![1; 16], hash: vec![2; 32] };
        let s = h.to_phc_string();
        assert!(s.starts_with("$pbkdf2-sha256$i=100000,r=6$"), "{s}");
        assert_eq!(PasswordHash::parse(&s).unwrap(), h);
    }

    #[test]
    fn a_stored_hash_keeps_its_exact_string() {
        let stored = "$pbkdf2-sha256$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";
        let h = PasswordHash::parse(stored).unwrap();
        assert_eq!((h.iterations, h.rounds, h.salt.as_slice(), h.hash.as_slice()), (100_000, 6, &[1; 16][..], &[2; 32][..]));
        assert_eq!(h.to_phc_string(), stored);
    }

    #[test]
    fn refuses_unknown_or_damaged_hashes() {
        for bad in [
            "",
            "plain",
            "$argon2id$v=19$m=1,t=1,p=1$abc$def",
            "$pbkdf2-sha256$i=100000$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha256$i=200000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha256$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgIC",
            "$pbkdf2-sha256$i=100000,r=6,x=1$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha256$i=100000,r=6,i=5$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha256$v=1$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha512$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "$pbkdf2-sha256$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn matches_only_the_same_bytes() {
        let h = PasswordHash { iterations: 1, rounds: 1, salt: vec![1; 16], hash: vec![7; 32] };
        assert!(h.matches(&[7; 32]));
        assert!(!h.matches(&[8; 32]));
        assert!(!h.matches(&[7; 31]));
    }

    #[test]
    fn dummy_hash_has_current_cost_and_matches_nothing_real() {
        let d = dummy_hash();
        assert_eq!((d.iterations, d.rounds), (ITERATIONS_PER_ROUND, ROUNDS));
        assert!(PasswordHash::parse(&d.to_phc_string()).is_ok());
    }
}
