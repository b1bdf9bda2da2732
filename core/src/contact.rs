//! A family's contact points (My Account, Account Information): mailing addresses, e-mail
//! addresses and phone numbers, each linked to one guardian or Unassigned, with their opt-outs.
//! Who may edit them follows today's contact rule: once a guardian has accepted, only they edit
//! theirs.

use crate::email::EmailAddress;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactPointError {
    #[error("Only {0} can change their own contact information.")]
    Locked(String),
    #[error("Only the Primary Guardian can change contact information that is not assigned to anyone.")]
    UnassignedLocked,
    #[error("The login e-mail address cannot be changed or deleted here: use Change Login E-mail.")]
    LoginEmail,
    /// Input that breaks a rule, with the field it is about (its name in the request).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
}

fn invalid(field: &'static str, message: impl Into<String>) -> ContactPointError {
    ContactPointError::Invalid { field, message: message.into() }
}

/// Who edits: staff, or a customer (a guardian of the family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editor {
    Staff,
    Guardian { guardian_id: String, is_primary: bool },
}

/// The guardian a contact point belongs to, as the rule needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub guardian_id: String,
    pub name: String,
    /// They accepted an invitation (and so edit their own contact information).
    pub accepted: bool,
}

/// Whether `editor` may add a value for `owner` (None: Unassigned). An accepted guardian may add
/// to their own and to Unassigned; the primary to Unassigned, their own, and guardians who have
/// not accepted; staff to anyone.
pub fn may_add(editor: &Editor, owner: Option<&Owner>) -> Result<(), ContactPointError> {
    match (editor, owner) {
        (Editor::Staff, _) | (Editor::Guardian { .. }, None) => Ok(()),
        (Editor::Guardian { guardian_id, is_primary }, Some(o)) => {
            if *guardian_id == o.guardian_id || (*is_primary && !o.accepted) {
                Ok(())
            } else {
                Err(ContactPointError::Locked(o.name.clone()))
            }
        }
    }
}

/// Whether `editor` may change or delete a value of `owner` (None: Unassigned): as adding, except
/// that only the primary changes Unassigned values.
pub fn may_change(editor: &Editor, owner: Option<&Owner>) -> Result<(), ContactPointError> {
    match (editor, owner) {
        (Editor::Guardian { is_primary: false, .. }, None) => Err(ContactPointError::UnassignedLocked),
        _ => may_add(editor, owner),
    }
}

/// Moving a value from one owner to another: the editor must be able to change it where it is
/// and add it where it goes.
pub fn may_reassign(editor: &Editor, from: Option<&Owner>, to: Option<&Owner>) -> Result<(), ContactPointError> {
    may_change(editor, from)?;
    may_add(editor, to)
}

/// A login e-mail keeps its address and owner (only its opt-out changes here).
pub fn check_login_email_edit(is_login: bool, changes_address_or_owner: bool) -> Result<(), ContactPointError> {
    if is_login && changes_address_or_owner {
        Err(ContactPointError::LoginEmail)
    } else {
        Ok(())
    }
}

pub fn check_login_email_delete(is_login: bool) -> Result<(), ContactPointError> {
    if is_login {
        Err(ContactPointError::LoginEmail)
    } else {
        Ok(())
    }
}

/// A phone number in E.164: `+`, a country code not starting with 0, 8 to 15 digits in all.
/// Spaces, dashes, dots and parentheses typed between the digits are dropped.
pub fn parse_e164(input: &str) -> Result<String, ContactPointError> {
    let bad = || invalid("number", "Enter the number in international format, starting with + and the country code, like +1 555 010 0100.");
    let s = input.trim();
    let rest = s.strip_prefix('+').ok_or_else(bad)?;
    if !rest.chars().all(|c| c.is_ascii_digit() || " -.()".contains(c)) {
        return Err(bad());
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(bad());
    }
    Ok(format!("+{digits}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    Mobile,
    Home,
    Work,
}

impl PhoneKind {
    pub fn parse(s: &str) -> Result<Self, ContactPointError> {
        match s {
            "mobile" => Ok(PhoneKind::Mobile),
            "home" => Ok(PhoneKind::Home),
            "work" => Ok(PhoneKind::Work),
            _ => Err(invalid("kind", "kind must be mobile, home or work.")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Home => "home",
            PhoneKind::Work => "work",
        }
    }
    /// "Mobile", "Home", "Work": as the family reads it.
    pub fn name(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "Mobile",
            PhoneKind::Home => "Home",
            PhoneKind::Work => "Work",
        }
    }
}

/// ISO 3166-1 alpha-2: every officially assigned code.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF",
    "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG",
    "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC",
    "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
    "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN",
    "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
    "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO",
    "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG",
    "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

pub fn parse_country(input: &str) -> Result<String, ContactPointError> {
    let code = input.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(invalid("country", "country must be an ISO 3166-1 alpha-2 code, like US or GB."))
    }
}

/// A postal code for `country`: the United States' ZIP (12345 or 12345-6789) and Canada's
/// (A1A 1A1) exactly; elsewhere 2 to 12 letters, digits, spaces and dashes.
pub fn parse_postal_code(input: &str, country: &str) -> Result<String, ContactPointError> {
    let s = input.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
    let ok = match country {
        "US" => (b.len() == 5 && digits(0..5)) || (b.len() == 10 && digits(0..5) && b[5] == b'-' && digits(6..10)),
        "CA" => {
            let compact: Vec<u8> = b.iter().copied().filter(|c| *c != b' ').collect();
            compact.len() == 6 && compact.iter().enumerate().all(|(i, c)| if i % 2 == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_digit() })
        }
        _ => (2..=12).contains(&b.len()) && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b' ' || *c == b'-') && b.iter().any(u8::is_ascii_alphanumeric),
    };
    if ok {
        Ok(s)
    } else {
        Err(invalid("postal_code", format!("Enter a valid postal code for {country}.")))
    }
}

/// A mailing address as typed.
#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// A mailing address the rules accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

fn line(field: &'static str, input: &str, what: &str) -> Result<String, ContactPointError> {
    crate::text::single_line(input, 120).ok_or_else(|| invalid(field, format!("Enter {what}: 1 to 120 characters on one line.")))
}

fn optional_line(field: &'static str, input: Option<&str>, what: &str) -> Result<Option<String>, ContactPointError> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => line(field, s, what).map(Some),
    }
}

pub fn parse_address(input: &AddressInput) -> Result<Address, ContactPointError> {
    let country = parse_country(&input.country)?;
    Ok(Address {
        line1: line("line1", &input.line1, "the street address")?,
        line2: optional_line("line2", input.line2.as_deref(), "the second address line")?,
        city: line("city", &input.city, "the town or city")?,
        region: optional_line("region", input.region.as_deref(), "the state, province or region")?,
        postal_code: parse_postal_code(&input.postal_code, &country)?,
        country,
    })
}

pub fn parse_email(input: &str) -> Result<EmailAddress, ContactPointError> {
    EmailAddress::parse(input).map_err(|e| invalid("email", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guardian(id: &str, is_primary: bool) -> Editor {
        Editor::Guardian { guardian_id: id.into(), is_primary }
    }
    fn owner(id: &str, accepted: bool) -> Owner {
        Owner { guardian_id: id.into(), name: format!("{id} Lee"), accepted }
    }

    #[test]
    fn the_primary_edits_unassigned_their_own_and_guardians_who_have_not_accepted() {
        let primary = guardian("ann", true);
        assert!(may_change(&primary, None).is_ok());
        assert!(may_change(&primary, Some(&owner("ann", true))).is_ok());
        assert!(may_change(&primary, Some(&owner("cy", false))).is_ok());
        assert_eq!(may_change(&primary, Some(&owner("bob", true))), Err(ContactPointError::Locked("bob Lee".into())));
        assert!(may_add(&primary, Some(&owner("bob", true))).is_err());
    }

    #[test]
    fn an_accepted_guardian_edits_only_theirs_and_may_add_unassigned_values() {
        let bob = guardian("bob", false);
        assert!(may_change(&bob, Some(&owner("bob", true))).is_ok());
        assert!(may_add(&bob, None).is_ok());
        assert_eq!(may_change(&bob, None), Err(ContactPointError::UnassignedLocked));
        assert!(may_change(&bob, Some(&owner("ann", true))).is_err());
        assert!(may_change(&bob, Some(&owner("cy", false))).is_err(), "only the primary edits those who have not accepted");
    }

    #[test]
    fn reassigning_needs_both_sides() {
        let primary = guardian("ann", true);
        assert!(may_reassign(&primary, Some(&owner("cy", false)), None).is_ok());
        assert!(may_reassign(&primary, None, Some(&owner("ann", true))).is_ok());
        assert!(may_reassign(&primary, None, Some(&owner("bob", true))).is_err());
        let bob = guardian("bob", false);
        assert!(may_reassign(&bob, Some(&owner("bob", true)), None).is_ok(), "an accepted guardian may give theirs to Unassigned");
        assert!(may_reassign(&bob, None, Some(&owner("bob", true))).is_err(), "but not take an Unassigned one");
        assert!(may_reassign(&Editor::Staff, Some(&owner("bob", true)), None).is_ok());
    }

    #[test]
    fn the_login_email_keeps_its_address_and_owner() {
        assert_eq!(check_login_email_edit(true, true), Err(ContactPointError::LoginEmail));
        assert!(check_login_email_edit(true, false).is_ok());
        assert_eq!(check_login_email_delete(true), Err(ContactPointError::LoginEmail));
        assert!(check_login_email_delete(false).is_ok());
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(parse_e164(" +1 (555) 010-0100 ").unwrap(), "+15550100100");
        assert_eq!(parse_e164("+44 20 7946 0958").unwrap(), "+442079460958");
        assert!(parse_e164("555 0100").is_err());
        assert!(parse_e164("+0 555 0100").is_err());
        assert!(parse_e164("+1234567").is_err());
        assert!(parse_e164("+1234567890123456").is_err());
        assert!(parse_e164("+1 555 CALL").is_err());
    }

    #[test]
    fn countries_are_iso_3166_alpha_2() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]), "sorted, for the binary search");
        assert_eq!(COUNTRIES.len(), 249);
        assert_eq!(parse_country("gb").unwrap(), "GB");
        assert!(parse_country("UK").is_err());
        assert!(parse_country("USA").is_err());
    }

    #[test]
    fn postal_codes_fit_their_country() {
        assert_eq!(parse_postal_code("12345-6789", "US").unwrap(), "12345-6789");
        assert!(parse_postal_code("1234", "US").is_err());
        assert_eq!(parse_postal_code("k1a 0b1", "CA").unwrap(), "K1A 0B1");
        assert!(parse_postal_code("K1A 0B", "CA").is_err());
        assert_eq!(parse_postal_code("SW1A 1AA", "GB").unwrap(), "SW1A 1AA");
        assert!(parse_postal_code("<script>", "GB").is_err());
    }

    #[test]
    fn an_address_needs_its_lines_a_country_and_a_postal_code() {
        let input = AddressInput {
            line1: " 1 Main St ".into(),
            line2: Some("".into()),
            city: "Springfield".into(),
            region: Some("IL".into()),
            postal_code: "62701".into(),
            country: "us".into(),
        };
        let a = parse_address(&input).unwrap();
        assert_eq!((a.line1.as_str(), a.line2, a.country.as_str()), ("1 Main St", None, "US"));
        let missing = parse_address(&AddressInput { line1: " ".into(), ..input.clone() });
        assert!(matches!(missing, Err(ContactPointError::Invalid { field: "line1", .. })));
        let bad_zip = parse_address(&AddressInput { postal_code: "ABCDE".into(), ..input });
        assert!(matches!(bad_zip, Err(ContactPointError::Invalid { field: "postal_code", .. })));
    }
}
