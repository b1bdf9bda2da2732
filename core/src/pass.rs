//! Punch passes: staff sell a family (or one of its students) a number of punches; each punch
//! redeemed is a one-day enrollment (kind `pass`). Staff redeem always; the family only when the
//! organization allows it. A pass never goes below zero punches: the rule here says why a punch is
//! refused, and the store's guarded update makes the count hold under concurrent redemptions.

use crate::ids::StudentId;
use crate::one_day::parse_date;
use crate::text::single_line;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("This organization does not show passes in the Customer Portal.")]
    Disabled,
    #[error("This organization does not let families redeem passes in the Customer Portal.")]
    RedemptionDisabled,
    #[error("Every punch of {0} has been used.")]
    UsedUp(String),
    #[error("{0} has expired.")]
    Expired(String),
    #[error("{0} is not active.")]
    Inactive(String),
    #[error("{0} is for another student.")]
    WrongStudent(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> PassError {
    PassError::Invalid { field, message: message.into() }
}

pub const MAX_NAME: usize = 100;
pub const MAX_PUNCHES: i64 = 1000;
/// $1,000,000.00: a pass costs less than that.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000;

/// A pass as staff sell it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassSpec {
    pub name: String,
    pub punches: i64,
    pub amount_paid_cents: i64,
    pub expires_on: Option<NaiveDate>,
}

impl PassSpec {
    /// `today`: the organization's date (a pass sold already expired is a mistake).
    pub fn parse(name: &str, punches: i64, amount_paid_cents: i64, expires_on: Option<&str>, today: NaiveDate) -> Result<PassSpec, PassError> {
        let name = single_line(name, MAX_NAME).ok_or_else(|| invalid("name", format!("name must be 1 to {MAX_NAME} characters on one line.")))?;
        if !(1..=MAX_PUNCHES).contains(&punches) {
            return Err(invalid("punches", format!("punches must be from 1 to {MAX_PUNCHES}.")));
        }
        if !(0..=MAX_AMOUNT_CENTS).contains(&amount_paid_cents) {
            return Err(invalid("amount_paid_cents", "amount_paid_cents must be zero or more cents, under $1,000,000."));
        }
        let expires_on = match expires_on {
            None => None,
            Some(s) => {
                let day = parse_date(s).map_err(|_| invalid("expires_on", "expires_on must be a date, YYYY-MM-DD."))?;
                if day < today {
                    return Err(invalid("expires_on", "expires_on must be today or later."));
                }
                Some(day)
            }
        };
        Ok(PassSpec { name, punches, amount_paid_cents, expires_on })
    }
}

/// What a redemption needs to know of a pass.
#[derive(Debug, Clone)]
pub struct PassFacts {
    pub name: String,
    pub student_id: Option<StudentId>,
    pub punches_total: i64,
    pub punches_used: i64,
    pub active: bool,
    pub expires_on: Option<NaiveDate>,
}

impl PassFacts {
    pub fn punches_remaining(&self) -> i64 {
        (self.punches_total - self.punches_used).max(0)
    }

    /// Expired once its last day is over (in the organization's time zone).
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires_on.is_some_and(|last| last < today)
    }
}

/// May a punch of this pass be redeemed for `student` today? Whom the pass is for comes first
/// (a wrong request), then whether it can be used at all.
pub fn check_redemption(pass: &PassFacts, student: &StudentId, today: NaiveDate) -> Result<(), PassError> {
    if pass.student_id.as_ref().is_some_and(|only| only != student) {
        return Err(PassError::WrongStudent(pass.name.clone()));
    }
    if !pass.active {
        return Err(PassError::Inactive(pass.name.clone()));
    }
    if pass.is_expired(today) {
        return Err(PassError::Expired(pass.name.clone()));
    }
    if pass.punches_remaining() == 0 {
        return Err(PassError::UsedUp(pass.name.clone()));
    }
    Ok(())
}

/// The family redeems only where the organization shows passes and allows it.
pub fn may_family_redeem(show_passes: bool, allow_pass_redemption: bool) -> Result<(), PassError> {
    match (show_passes, allow_pass_redemption) {
        (false, _) => Err(PassError::Disabled),
        (true, false) => Err(PassError::RedemptionDisabled),
        (true, true) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    fn ten_swims() -> PassFacts {
        PassFacts { name: "10 Swims".into(), student_id: None, punches_total: 10, punches_used: 3, active: true, expires_on: Some(day(31)) }
    }

    #[test]
    fn a_pass_with_punches_left_is_redeemed_for_any_student_of_the_family() {
        assert_eq!(check_redemption(&ten_swims(), &StudentId("stu_a".into()), day(5)), Ok(()));
    }

    #[test]
    fn a_pass_for_one_student_is_for_that_student_only() {
        let pass = PassFacts { student_id: Some(StudentId("stu_a".into())), ..ten_swims() };
        assert_eq!(check_redemption(&pass, &StudentId("stu_a".into()), day(5)), Ok(()));
        assert_eq!(check_redemption(&pass, &StudentId("stu_b".into()), day(5)), Err(PassError::WrongStudent("10 Swims".into())));
    }

    #[test]
    fn a_used_up_expired_or_inactive_pass_is_refused() {
        let used_up = PassFacts { punches_used: 10, ..ten_swims() };
        assert_eq!(check_redemption(&used_up, &StudentId("s".into()), day(5)), Err(PassError::UsedUp("10 Swims".into())));
        assert_eq!(check_redemption(&ten_swims(), &StudentId("s".into()), NaiveDate::from_ymd_opt(2027, 4, 1).unwrap()), Err(PassError::Expired("10 Swims".into())));
        assert_eq!(check_redemption(&ten_swims(), &StudentId("s".into()), day(31)), Ok(()), "usable on its last day");
        let inactive = PassFacts { active: false, ..ten_swims() };
        assert_eq!(check_redemption(&inactive, &StudentId("s".into()), day(5)), Err(PassError::Inactive("10 Swims".into())));
    }

    #[test]
    fn a_sold_pass_has_a_name_punches_and_a_price() {
        let spec = PassSpec::parse(" 10 Swims ", 10, 9000, Some("2027-03-31"), day(1)).unwrap();
        assert_eq!((spec.name.as_str(), spec.punches, spec.amount_paid_cents, spec.expires_on), ("10 Swims", 10, 9000, Some(day(31))));
        let field = |r: Result<PassSpec, PassError>| match r {
            Err(PassError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(PassSpec::parse("", 10, 0, None, day(1))), "name");
        assert_eq!(field(PassSpec::parse("x", 0, 0, None, day(1))), "punches");
        assert_eq!(field(PassSpec::parse("x", 1, -1, None, day(1))), "amount_paid_cents");
        assert_eq!(field(PassSpec::parse("x", 1, 0, Some("2027-02-28"), day(1))), "expires_on");
        assert_eq!(field(PassSpec::parse("x", 1, 0, Some("soon"), day(1))), "expires_on");
    }

    #[test]
    fn the_family_redeems_only_when_allowed() {
        assert_eq!(may_family_redeem(false, true), Err(PassError::Disabled));
        assert_eq!(may_family_redeem(true, false), Err(PassError::RedemptionDisabled));
        assert_eq!(may_family_redeem(true, true), Ok(()));
    }
}
