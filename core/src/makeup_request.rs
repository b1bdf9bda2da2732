//! Makeup requests, the organization's `requests` makeup mode: a family asks for one of its
//! students to attend one class on one date (a day the class meets, not yet passed:
//! `one_day::check_visit`); staff approve it into a one-day `makeup` enrollment, or deny it.

use crate::settings::MakeupMode;
use crate::text::single_line;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeupRequestError {
    #[error("This organization does not take makeup requests in the Customer Portal.")]
    Disabled,
    #[error("{student} already has a makeup request for {class} on {date} waiting for the office.")]
    AlreadyRequested { student: String, class: String, date: String },
    #[error("reason must be one line of at most 500 characters.")]
    BadReason,
}

/// Families ask for makeups only where the organization chose the `requests` mode.
pub fn may_request(mode: MakeupMode) -> Result<(), MakeupRequestError> {
    match mode {
        MakeupMode::Requests => Ok(()),
        MakeupMode::None | MakeupMode::Tokens => Err(MakeupRequestError::Disabled),
    }
}

/// A reason is optional, one line of at most 500 characters once trimmed.
pub fn parse_reason(reason: Option<&str>) -> Result<Option<String>, MakeupRequestError> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => single_line(r, 500).map(Some).ok_or(MakeupRequestError::BadReason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_requests_mode_takes_makeup_requests() {
        assert_eq!(may_request(MakeupMode::Requests), Ok(()));
        assert_eq!(may_request(MakeupMode::Tokens), Err(MakeupRequestError::Disabled));
        assert_eq!(may_request(MakeupMode::None), Err(MakeupRequestError::Disabled));
    }

    #[test]
    fn a_reason_is_optional_and_one_short_line() {
        assert_eq!(parse_reason(None), Ok(None));
        assert_eq!(parse_reason(Some("   ")), Ok(None));
        assert_eq!(parse_reason(Some(" Sick on Monday ")), Ok(Some("Sick on Monday".into())));
        assert_eq!(parse_reason(Some("two\nlines")), Err(MakeupRequestError::BadReason));
        assert_eq!(parse_reason(Some(&"x".repeat(501))), Err(MakeupRequestError::BadReason));
    }
}
