//! Makeup tokens: staff issue a student a token for one location, usable until its expiry; the
//! family redeems it into a one-day makeup enrollment (kind `makeup`) in a class of that location.
//! A token's status is never stored: it follows from its expiry, its redemption and today's date in
//! the organization's time zone. Whether a token is still unspent when it is redeemed, and whether
//! a place is left, is decided by the store's guarded batch, so concurrent clicks spend it once.

use crate::one_day::parse_date;
use crate::settings::MakeupMode;
use crate::text::single_line;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeupTokenError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("This organization does not offer makeup tokens in the Customer Portal.")]
    Disabled,
    #[error("This makeup token has already been used or has expired.")]
    NotAvailable,
    #[error("{class} is not at {location}, where this makeup token may be used.")]
    WrongLocation { class: String, location: String },
}

fn invalid(field: &'static str, message: impl Into<String>) -> MakeupTokenError {
    MakeupTokenError::Invalid { field, message: message.into() }
}

pub const MAX_REASON: usize = 200;

/// Where a token stands, as the family's groups (Current Location / Other Locations are both
/// `available`, split by the chosen location).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    Available,
    /// Redeemed for a visit that has not yet passed.
    Pending,
    /// Redeemed for a visit that has passed.
    Spent,
    /// Its last day passed unused.
    Expired,
}

/// `expires_on`: the last day it may be used; `visit_on`: the day of the visit it paid for.
pub fn status(expires_on: NaiveDate, visit_on: Option<NaiveDate>, today: NaiveDate) -> TokenStatus {
    match visit_on {
        Some(day) if day >= today => TokenStatus::Pending,
        Some(_) => TokenStatus::Spent,
        None if expires_on < today => TokenStatus::Expired,
        None => TokenStatus::Available,
    }
}

/// A token as staff issue it, checked: its expiry (today or later) and an optional reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    pub expires_on: NaiveDate,
    pub reason: Option<String>,
}

impl TokenSpec {
    pub fn parse(expires_on: &str, reason: Option<&str>, today: NaiveDate) -> Result<TokenSpec, MakeupTokenError> {
        let expires_on = parse_date(expires_on).map_err(|_| invalid("expires_on", "expires_on must be a date, YYYY-MM-DD."))?;
        if expires_on < today {
            return Err(invalid("expires_on", "expires_on must be today or later."));
        }
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Some(single_line(r, MAX_REASON).ok_or_else(|| invalid("reason", format!("reason must be at most {MAX_REASON} characters on one line.")))?),
        };
        Ok(TokenSpec { expires_on, reason })
    }
}

/// Families use tokens only where the organization chose tokens.
pub fn may_use_tokens(mode: MakeupMode) -> Result<(), MakeupTokenError> {
    match mode {
        MakeupMode::Tokens => Ok(()),
        MakeupMode::None | MakeupMode::Requests => Err(MakeupTokenError::Disabled),
    }
}

/// What a redemption needs to know of a token.
#[derive(Debug, Clone)]
pub struct TokenFacts {
    pub location_id: String,
    pub location_name: String,
    pub expires_on: NaiveDate,
    pub redeemed: bool,
}

/// May this token pay for a visit to a class at `class_location_id` on `date`? (Whether the class
/// meets then and the date has not passed is `one_day::check_visit`.) A token spent or expired is
/// not available (409); a visit after the token's last day is a wrong date (422).
pub fn check_redemption(token: &TokenFacts, class: &str, class_location_id: &str, date: NaiveDate, today: NaiveDate) -> Result<(), MakeupTokenError> {
    if token.redeemed || token.expires_on < today {
        return Err(MakeupTokenError::NotAvailable);
    }
    if token.location_id != class_location_id {
        return Err(MakeupTokenError::WrongLocation { class: class.to_string(), location: token.location_name.clone() });
    }
    if date > token.expires_on {
        return Err(invalid("date", format!("The makeup must be on or before {}, the token's last day.", token.expires_on)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    fn main_pool_token() -> TokenFacts {
        TokenFacts { location_id: "loc_main".into(), location_name: "Main Pool".into(), expires_on: day(20), redeemed: false }
    }

    #[test]
    fn a_token_is_available_until_its_last_day_then_expired() {
        assert_eq!(status(day(20), None, day(20)), TokenStatus::Available);
        assert_eq!(status(day(20), None, day(21)), TokenStatus::Expired);
    }

    #[test]
    fn a_redeemed_token_is_pending_until_its_visit_has_passed_then_spent() {
        assert_eq!(status(day(20), Some(day(8)), day(1)), TokenStatus::Pending);
        assert_eq!(status(day(20), Some(day(8)), day(8)), TokenStatus::Pending, "still pending on the day");
        assert_eq!(status(day(20), Some(day(8)), day(9)), TokenStatus::Spent);
        assert_eq!(status(day(20), Some(day(8)), day(30)), TokenStatus::Spent, "spent, never expired");
    }

    #[test]
    fn a_token_pays_for_a_visit_at_its_location_by_its_last_day() {
        assert_eq!(check_redemption(&main_pool_token(), "Swim 1", "loc_main", day(8), day(1)), Ok(()));
        assert_eq!(check_redemption(&main_pool_token(), "Swim 1", "loc_main", day(20), day(1)), Ok(()));
        assert!(matches!(check_redemption(&main_pool_token(), "Swim 1", "loc_north", day(8), day(1)), Err(MakeupTokenError::WrongLocation { .. })));
        assert!(matches!(check_redemption(&main_pool_token(), "Swim 1", "loc_main", day(21), day(1)), Err(MakeupTokenError::Invalid { field: "date", .. })));
    }

    #[test]
    fn a_spent_or_expired_token_is_not_available() {
        let spent = TokenFacts { redeemed: true, ..main_pool_token() };
        assert_eq!(check_redemption(&spent, "Swim 1", "loc_main", day(8), day(1)), Err(MakeupTokenError::NotAvailable));
        assert_eq!(check_redemption(&main_pool_token(), "Swim 1", "loc_main", day(22), day(21)), Err(MakeupTokenError::NotAvailable));
    }

    #[test]
    fn an_issued_token_has_an_expiry_from_today_and_maybe_a_reason() {
        let spec = TokenSpec::parse("2027-03-20", Some(" Missed class, sick "), day(1)).unwrap();
        assert_eq!((spec.expires_on, spec.reason.as_deref()), (day(20), Some("Missed class, sick")));
        assert_eq!(TokenSpec::parse("2027-03-01", Some("  "), day(1)).unwrap().reason, None);
        let field = |r: Result<TokenSpec, MakeupTokenError>| match r {
            Err(MakeupTokenError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(TokenSpec::parse("2027-02-28", None, day(1))), "expires_on");
        assert_eq!(field(TokenSpec::parse("soon", None, day(1))), "expires_on");
        assert_eq!(field(TokenSpec::parse("2027-03-20", Some("a\nb"), day(1))), "reason");
    }

    #[test]
    fn only_the_tokens_mode_offers_tokens() {
        assert_eq!(may_use_tokens(MakeupMode::Tokens), Ok(()));
        assert_eq!(may_use_tokens(MakeupMode::None), Err(MakeupTokenError::Disabled));
        assert_eq!(may_use_tokens(MakeupMode::Requests), Err(MakeupTokenError::Disabled));
    }
}
