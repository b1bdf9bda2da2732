//! E-mail addresses, parsed once at the edge of the system.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(&'static str);

impl EmailAddress {
    /// Trims and lower-cases, so that one person has one address whatever they type.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(InvalidEmail("The e-mail address is empty."));
        }
        if s.len() > 254 {
            return Err(InvalidEmail("The e-mail address is longer than 254 characters."));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or(InvalidEmail("The e-mail address needs an @."))?;
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c);
        if local.is_empty() || local.len() > 64 || local.contains('@') || local.chars().any(bad_char)
        {
            return Err(InvalidEmail("The part before the @ is not valid."));
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(InvalidEmail("The domain after the @ is not valid."));
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(EmailAddress::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a nn@example.com", "ann@-x.com", "ann@x..com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn accepts_plus_and_subdomains() {
        assert!(EmailAddress::parse("ann+swim@mail.example.co.uk").is_ok());
    }
}
