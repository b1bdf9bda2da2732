//! One-day enrollments: a makeup or a pass visit holds a place in a class on one date only. The
//! class must meet on that date (`schedule::ClassSchedule::meets_on`, the one place that knows
//! when a class meets) and the date must not have passed in the organization's time zone; whether
//! a place is left is decided by the insert itself (`store::one_day`), so races cannot overfill.

use crate::schedule::ClassSchedule;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OneDayError {
    #[error("date must be a date, YYYY-MM-DD.")]
    BadDate,
    #[error("{class} does not meet on {date}.")]
    ClassNotMeeting { class: String, date: NaiveDate },
    #[error("{0} has passed: choose a date from today on.")]
    PastDate(NaiveDate),
}

/// `YYYY-MM-DD`, exactly.
pub fn parse_date(s: &str) -> Result<NaiveDate, OneDayError> {
    if s.len() != 10 {
        return Err(OneDayError::BadDate);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| OneDayError::BadDate)
}

/// May a student visit `class` on `date` for one day, `today` being the organization's date?
pub fn check_visit(class: &str, schedule: &ClassSchedule, date: NaiveDate, today: NaiveDate) -> Result<(), OneDayError> {
    if date < today {
        return Err(OneDayError::PastDate(date));
    }
    if !schedule.meets_on(date) {
        return Err(OneDayError::ClassNotMeeting { class: class.to_string(), date });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment::Weekday;
    use chrono::NaiveTime;

    fn mondays_in_march() -> ClassSchedule {
        ClassSchedule {
            days: vec![Weekday::Mon],
            start_time: NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(16, 45, 0).unwrap(),
            start_date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2027, 3, 29).unwrap(),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    #[test]
    fn a_visit_is_on_a_day_the_class_meets() {
        assert_eq!(check_visit("Level 1", &mondays_in_march(), day(8), day(1)), Ok(()));
        assert!(matches!(check_visit("Level 1", &mondays_in_march(), day(9), day(1)), Err(OneDayError::ClassNotMeeting { .. })));
    }

    #[test]
    fn a_visit_cannot_be_in_the_past() {
        assert_eq!(check_visit("Level 1", &mondays_in_march(), day(8), day(9)), Err(OneDayError::PastDate(day(8))));
        assert_eq!(check_visit("Level 1", &mondays_in_march(), day(8), day(8)), Ok(()));
    }

    #[test]
    fn dates_are_read_exactly() {
        assert_eq!(parse_date("2027-03-08"), Ok(day(8)));
        for bad in ["2027-3-8", "2027-02-30", "", "08/03/2027", "2027-03-08T00:00"] {
            assert_eq!(parse_date(bad), Err(OneDayError::BadDate), "{bad}");
        }
    }
}
