//! Organizations (the class businesses) and their staff.

use serde::{Deserialize, Serialize};

/// The organization's slug: the `{org}` of every URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationError {
    #[error("The slug must be 2 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'.")]
    InvalidSlug,
    #[error("The slug '{0}' is reserved.")]
    ReservedSlug(String),
    #[error("The organization name must be 1 to 120 characters.")]
    InvalidName,
    #[error("An organization with the slug '{0}' already exists.")]
    SlugTaken(String),
    #[error("No organization '{0}'.")]
    NotFound(String),
}

/// Words that are routes or would confuse people reading a URL.
const RESERVED: &[&str] = &["api", "admin", "platform", "office", "portal", "dev", "www", "static"];

impl Slug {
    pub fn parse(input: &str) -> Result<Self, OrganizationError> {
        let s = input.trim();
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&s.len()) || !ok_chars || s.starts_with('-') || s.ends_with('-') {
            return Err(OrganizationError::InvalidSlug);
        }
        if RESERVED.contains(&s) {
            return Err(OrganizationError::ReservedSlug(s.to_string()));
        }
        Ok(Slug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name, 1 to 120 characters under the one text rule (`text::single_line`).
pub fn parse_name(input: &str) -> Result<String, OrganizationError> {
    crate::text::single_line(input, 120).ok_or(OrganizationError::InvalidName)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Owner,
    Admin,
    Staff,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Owner => "owner",
            StaffRole::Admin => "admin",
            StaffRole::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(StaffRole::Owner),
            "admin" => Some(StaffRole::Admin),
            "staff" => Some(StaffRole::Staff),
            _ => None,
        }
    }
    /// Organization-wide settings (the portal switch, portal options) are for owners and admins.
    pub fn may_change_settings(self) -> bool {
        matches!(self, StaffRole::Owner | StaffRole::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_lowercase_words() {
        assert_eq!(Slug::parse("splash-swim-2").unwrap().as_str(), "splash-swim-2");
    }

    #[test]
    fn slug_refuses_bad_shapes_and_reserved_words() {
        for bad in ["", "a", "Demo", "-demo", "demo-", "de mo", "dé", &"x".repeat(41)] {
            assert_eq!(Slug::parse(bad), Err(OrganizationError::InvalidSlug), "{bad:?}");
        }
        assert!(matches!(Slug::parse("api"), Err(OrganizationError::ReservedSlug(_))));
    }

    #[test]
    fn name_is_trimmed_and_bounded() {
        assert_eq!(parse_name("  Splash Swim School ").unwrap(), "Splash Swim School");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"n".repeat(121)).is_err());
    }

    #[test]
    fn only_owners_and_admins_change_settings() {
        assert!(StaffRole::Owner.may_change_settings());
        assert!(StaffRole::Admin.may_change_settings());
        assert!(!StaffRole::Staff.may_change_settings());
    }
}
