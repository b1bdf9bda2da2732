//! The errors of a form, GOV.UK style: a summary on top, each message beside its field.

use crate::error::{ApiError, ApiResult, ErrorCode};
use portal_core::email::EmailAddress;
use portal_core::password::{NewPassword, MIN_PASSWORD_CHARS};
use serde::Deserialize;

pub struct FieldError {
    /// The id of the field it belongs to (the summary links there), or none for the whole form.
    pub field: Option<&'static str>,
    pub message: String,
}

#[derive(Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn field(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field: Some(field), message: message.into() });
    }

    pub fn form(&mut self, message: impl Into<String>) {
        self.0.push(FieldError { field: None, message: message.into() });
    }

    /// A command's refusal on the form: beside the field it names when the form has that field,
    /// else in the summary. A failure on our side is the error page instead (`Err`), except a
    /// gateway that could not be reached, which the person can simply try again.
    pub fn refusal(&mut self, e: ApiError, fields: &[&'static str]) -> ApiResult<()> {
        if e.status >= 500 && e.code != ErrorCode::GatewayUnavailable {
            return Err(e);
        }
        match e.field.as_deref().and_then(|named| fields.iter().find(|f| **f == named)) {
            Some(field) => self.field(field, e.message.clone()),
            None => self.form(e.message.clone()),
        }
        Ok(())
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == Some(field)).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

/// A one-day visit's class and date (a pass, a makeup token, a makeup request), both required;
/// `visit` names it in the date's message ("visit", "makeup").
pub fn visit_errors(class_id: &str, date: &str, visit: &str) -> Errors {
    let mut errors = Errors::default();
    if class_id.is_empty() {
        errors.field("class_id", "Choose a class.");
    }
    if date.trim().is_empty() {
        errors.field("date", format!("Enter the date of the {visit}, like 2027-03-08."));
    }
    errors
}

/// An e-mail address field: the parsed address, or its error added.
pub fn email_field(errors: &mut Errors, field: &'static str, input: &str) -> Option<EmailAddress> {
    let input = input.trim();
    if input.is_empty() {
        errors.field(field, "Enter your e-mail address.");
        return None;
    }
    match EmailAddress::parse(input) {
        Ok(email) => Some(email),
        Err(_) => {
            errors.field(field, "Enter an e-mail address in the correct format, like name@example.com.");
            None
        }
    }
}

/// The two fields of a sign-in form: the address, parsed, once both are filled in.
pub fn sign_in_fields(errors: &mut Errors, email: &str, password: &str) -> Option<EmailAddress> {
    let email = email_field(errors, "email", email);
    if password.is_empty() {
        errors.field("password", "Enter your password.");
    }
    email.filter(|_| errors.is_empty())
}

/// A sign-in command's refusal on its form: wrong credentials beside the password; too many
/// attempts in the summary with the wait, answered 429 with `Retry-After` (the seconds are
/// returned); anything else is the error page.
pub fn sign_in_refusal(errors: &mut Errors, e: ApiError) -> ApiResult<Option<i64>> {
    if e.code == ErrorCode::InvalidCredentials {
        errors.field("password", e.message.clone());
        return Ok(None);
    }
    if e.status == 429 {
        let seconds = e.retry_after_seconds.unwrap_or(60);
        errors.form(format!("Too many failed sign-in attempts. Try again in {}.", wait_words(seconds)));
        return Ok(Some(seconds));
    }
    Err(e)
}

/// A new password field, checked by the same rule the command applies.
pub fn new_password_field(errors: &mut Errors, field: &'static str, input: &str) {
    if input.is_empty() {
        errors.field(field, "Enter a password.");
    } else if let Err(e) = NewPassword::parse(input) {
        errors.field(field, e.to_string());
    }
}

pub fn password_hint() -> String {
    format!("At least {MIN_PASSWORD_CHARS} characters.")
}

/// "15 minutes", "1 minute", "40 seconds": how long to wait, in the words a person would use.
pub fn wait_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if seconds >= 60 {
        plural((seconds + 59) / 60, "minute")
    } else {
        plural(seconds.max(1), "second")
    }
}

/// An amount typed in dollars, on either door's payment forms: "120", "120.5", "$1,200.00" → cents;
/// None for anything else (or more than two decimals).
pub fn parse_money(input: &str) -> Option<i64> {
    let s: String = input.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

/// Add Student and Edit Student, on either door: the staff's and the family's forms are one.
pub const STUDENT_FIELDS: &[&str] = &["first_name", "last_name", "birth_date"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StudentForm {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
}

impl StudentForm {
    /// What the form must have before the command is asked (it checks the rest, as for the API).
    pub fn required(&self, errors: &mut Errors) {
        if self.first_name.trim().is_empty() {
            errors.field("first_name", "Enter the student's first name.");
        }
        if self.last_name.trim().is_empty() {
            errors.field("last_name", "Enter the student's last name.");
        }
        if self.birth_date.trim().is_empty() {
            errors.field("birth_date", "Enter the student's birth date, like 2019-04-02.");
        }
    }
}

/// A form with nothing to fill in (a button alone): its body is read and must be a form.
#[derive(Deserialize)]
pub struct NoFields {}

#[cfg(test)]
mod tests {
    use super::{parse_money, wait_words};

    #[test]
    fn reads_money() {
        assert_eq!(parse_money("120"), Some(12000));
        assert_eq!(parse_money(" $1,200.5 "), Some(120050));
        assert_eq!(parse_money(".75"), Some(75));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(""), None);
    }

    #[test]
    fn says_waits_in_words() {
        assert_eq!(wait_words(900), "15 minutes");
        assert_eq!(wait_words(61), "2 minutes");
        assert_eq!(wait_words(60), "1 minute");
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(0), "1 second");
        assert_eq!(wait_words(42), "42 seconds");
    }
}
