//! Families and the contact details of their guardians, parsed once at the edge.

use crate::text::single_line;
use crate::email::EmailAddress;

/// A family account is active until the Family Merge tool merges it into another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyStatus {
    Active,
    Merged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("The {0} must be 1 to 80 characters.")]
    BadName(&'static str),
    #[error("The family name must be 1 to 120 characters.")]
    BadFamilyName,
    #[error("The phone number must be 5 to 25 characters of digits, spaces and + ( ) - .")]
    BadPhone,
    #[error("{0}")]
    BadEmail(String),
}

impl ContactError {
    /// The field it is about, as the request names it (`first_name`, `phone`, ...).
    pub fn field(&self) -> &'static str {
        match self {
            ContactError::BadName("first name") => "first_name",
            ContactError::BadName("last name") => "last_name",
            ContactError::BadName(_) | ContactError::BadFamilyName => "name",
            ContactError::BadPhone => "phone",
            ContactError::BadEmail(_) => "email",
        }
    }
}

pub fn parse_person_name(input: &str, field: &'static str) -> Result<String, ContactError> {
    single_line(input, 80).ok_or(ContactError::BadName(field))
}

pub fn parse_family_name(input: &str) -> Result<String, ContactError> {
    single_line(input, 120).ok_or(ContactError::BadFamilyName)
}

pub fn parse_phone(input: &str) -> Result<String, ContactError> {
    let s = input.trim();
    let ok_chars = s.chars().all(|c| c.is_ascii_digit() || " +()-.".contains(c));
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !(5..=25).contains(&s.len()) || !ok_chars || digits < 5 {
        return Err(ContactError::BadPhone);
    }
    Ok(s.to_string())
}

pub fn parse_optional_email(input: Option<&str>) -> Result<Option<EmailAddress>, ContactError> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => EmailAddress::parse(s).map(Some).map_err(|e| ContactError::BadEmail(e.to_string())),
    }
}

/// A new guardian's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
}

impl Contact {
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Self, ContactError> {
        Ok(Contact {
            first_name: parse_person_name(first_name, "first name")?,
            last_name: parse_person_name(last_name, "last name")?,
            email: parse_optional_email(email)?,
            phone: match phone.map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(parse_phone(p)?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_trimmed_and_its_email_normalised() {
        let c = Contact::parse(" Ann ", "Lee", Some(" Ann@X.test "), Some("+1 (555) 010-2000")).unwrap();
        assert_eq!(c.first_name, "Ann");
        assert_eq!(c.email.unwrap().as_str(), "ann@x.test");
        assert_eq!(c.phone.as_deref(), Some("+1 (555) 010-2000"));
    }

    #[test]
    fn empty_optional_fields_are_absent() {
        let c = Contact::parse("Ann", "Lee", Some(""), None).unwrap();
        assert_eq!((c.email, c.phone), (None, None));
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(Contact::parse("", "Lee", None, None), Err(ContactError::BadName("first name")));
        assert_eq!(Contact::parse("Ann", "Lee", None, Some("call me")), Err(ContactError::BadPhone));
        assert!(matches!(Contact::parse("Ann", "Lee", Some("nope"), None), Err(ContactError::BadEmail(_))));
        assert_eq!(parse_family_name(&"f".repeat(121)), Err(ContactError::BadFamilyName));
    }
}
