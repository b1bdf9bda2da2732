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
/// OWASP's 600,000 iterations for PBKDF2-HMAC-SHA256: the default cost of new hashes.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Below this a hash guards too little to be worth storing.
pub const MIN_ITERATIONS: u32 = 10_000;
pub const MAX_ITERATIONS: u32 = 10_000_000;
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
    #[error("PASSWORD_ITERATIONS must be a whole number from {MIN_ITERATIONS} to {MAX_ITERATIONS}.")]
    Cost,
}

/// The cost of new hashes: a deployment setting (`PASSWORD_ITERATIONS`), because a sign-in spends
/// it in CPU time that the Workers plan bills and limits. Split into chained rounds of at most
/// `ITERATIONS_PER_ROUND`, each as long as the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub iterations: u32,
    pub rounds: u32,
}

impl PasswordCost {
    pub fn from_total(total: u32) -> Result<Self, PasswordError> {
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&total) {
            return Err(PasswordError::Cost);
        }
        let rounds = total.div_ceil(ITERATIONS_PER_ROUND);
        Ok(PasswordCost { iterations: total.div_ceil(rounds), rounds })
    }

    pub fn total(self) -> u64 {
        u64::from(self.iterations) * u64::from(self.rounds)
    }
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost { iterations: ITERATIONS_PER_ROUND, rounds: DEFAULT_ITERATIONS / ITERATIONS_PER_ROUND }
    }
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
    /// Refused if `salt` or `hash` is outside the PHC format's lengths (8 to 48 and 10 to 64
    /// bytes); the shell always passes `SALT_BYTES` and `HASH_BYTES`.
    pub fn to_phc_string(&self) -> Result<String, PasswordError> {
        let unfit = |_| PasswordError::UnknownHashFormat;
        let mut params = ParamsString::new();
        params.add_decimal("i", self.iterations).map_err(unfit)?;
        params.add_decimal("r", self.rounds).map_err(unfit)?;
        let hash = phc::PasswordHash {
            algorithm: ALGORITHM,
            version: None,
            params,
            salt: Some(Salt::new(&self.salt).map_err(unfit)?),
            hash: Some(Output::new(&self.hash).map_err(unfit)?),
        };
        Ok(hash.to_string())
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

    /// A hash made at another cost than the deployment's: rehashed at the next sign-in.
    pub fn needs_rehash(&self, cost: PasswordCost) -> bool {
        self.iterations != cost.iterations || self.rounds != cost.rounds
    }

    /// Compares in constant time, so the comparison leaks nothing about the stored hash.
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.ct_eq(derived).into()
    }
}

/// A hash at the deployment's cost for no real password: verified against when the account does
/// not exist, so that a login takes as long for an unknown address as for a known one.
pub fn dummy_hash(cost: PasswordCost) -> PasswordHash {
    PasswordHash {
        iterations: cost.iterations,
        rounds: cost.rounds,
        salt: vec![0x5a; SALT_BYTES],
        hash: vec![0; HASH_BYTES],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_splits_into_equal_rounds_under_the_per_call_cap() {
        assert_eq!(PasswordCost::from_total(600_000), Ok(PasswordCost { iterations: 100_000, rounds: 6 }));
        assert_eq!(PasswordCost::from_total(600_000).unwrap(), PasswordCost::default());
        assert_eq!(PasswordCost::from_total(50_000), Ok(PasswordCost { iterations: 50_000, rounds: 1 }));
        assert_eq!(PasswordCost::from_total(250_000), Ok(PasswordCost { iterations: 83_334, rounds: 3 }));
        assert!(PasswordCost::from_total(250_000).unwrap().total() >= 250_000);
        assert_eq!(PasswordCost::from_total(9_999), Err(PasswordError::Cost));
        assert_eq!(PasswordCost::from_total(10_000_001), Err(PasswordError::Cost));
    }

    #[test]
    fn a_hash_at_another_cost_needs_a_rehash() {
        let h = PasswordHash { iterations: 100_000, rounds: 6, salt: vec![1; 16], hash: vec![2; 32] };
        assert!(!h.needs_rehash(PasswordCost::default()));
        assert!(h.needs_rehash(PasswordCost::from_total(50_000).unwrap()));
    }

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
        let s = h.to_phc_string().unwrap();
        assert!(s.starts_with("$pbkdf2-sha256$i=100000,r=6$"), "{s}");
        assert_eq!(PasswordHash::parse(&s).unwrap(), h);
    }

    #[test]
    fn a_stored_hash_keeps_its_exact_string() {
        let stored = "$pbkdf2-sha256$i=100000,r=6$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";
        let h = PasswordHash::parse(stored).unwrap();
        assert_eq!((h.iterations, h.rounds, h.salt.as_slice(), h.hash.as_slice()), (100_000, 6, &[1; 16][..], &[2; 32][..]));
        assert_eq!(h.to_phc_string().unwrap(), stored);
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
        let d = dummy_hash(PasswordCost::default());
        assert_eq!((d.iterations, d.rounds), (ITERATIONS_PER_ROUND, 6));
        assert!(PasswordHash::parse(&d.to_phc_string().unwrap()).is_ok());
    }
}
