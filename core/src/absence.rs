//! Future absences: a family reports that a student will miss class, by date (a span of days or a
//! few hours: every meeting of the student's classes that overlaps it) or by enrollment (one class
//! on one date). Only meetings still to come; a reported absence can be cancelled until its first
//! meeting starts. Meetings come from `schedule::ClassSchedule`, in the organization's time zone.

use crate::schedule::{ClassSchedule, Meeting};
use crate::time_zone::OrgTimeZone;
use chrono::{DateTime, NaiveDate, Utc};

/// The longest span one absence covers.
pub const MAX_SPAN_DAYS: i64 = 366;
pub const MAX_REASON: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceError {
    #[error("This organization does not take future absences in the Customer Portal.")]
    Disabled,
    #[error("Only the Primary Guardian, or a guardian they allow, can report absences.")]
    NotPermitted,
    #[error("{field} must be a date and time, such as 2026-03-09T17:00:00-05:00.")]
    InvalidTime { field: &'static str },
    #[error("to must be after from.")]
    EmptySpan,
    #[error("An absence spans at most {MAX_SPAN_DAYS} days.")]
    SpanTooLong,
    #[error("A future absence cannot begin in the past.")]
    PastTime { field: &'static str },
    #[error("No class of this student meets in that time.")]
    NoMeetings,
    #[error("{class} does not meet on {date}.")]
    ClassNotMeeting { class: String, date: String },
    #[error("This enrollment is not current: choose a class the student attends.")]
    NotCurrent,
    #[error("The reason is at most {MAX_REASON} characters on one line.")]
    InvalidReason,
    #[error("This absence has started: it can no longer be cancelled.")]
    Started,
}

/// A class a student attends, to find the meetings an absence covers: every meeting (a regular
/// enrollment), or only the one of its day (a makeup or pass visit).
pub struct AttendedClass<'a, C> {
    pub class: C,
    pub schedule: &'a ClassSchedule,
    pub only_on: Option<NaiveDate>,
}

/// One meeting an absence covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveredMeeting<C> {
    pub class: C,
    pub meeting: Meeting,
}

pub fn parse_time(s: &str, field: &'static str) -> Result<DateTime<Utc>, AbsenceError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| AbsenceError::InvalidTime { field })
}

pub fn parse_reason(s: Option<&str>) -> Result<Option<String>, AbsenceError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(r) => crate::text::single_line(r, MAX_REASON).map(Some).ok_or(AbsenceError::InvalidReason),
    }
}

/// By date: every meeting of the student's classes that overlaps `from`..`to`, which must lie
/// ahead of `now`. In date order.
pub fn by_date<C: Clone>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    classes: &[AttendedClass<'_, C>],
    tz: &OrgTimeZone,
) -> Result<Vec<CoveredMeeting<C>>, AbsenceError> {
    if to <= from {
        return Err(AbsenceError::EmptySpan);
    }
    if to - from > chrono::Duration::days(MAX_SPAN_DAYS) {
        return Err(AbsenceError::SpanTooLong);
    }
    if from < now {
        return Err(AbsenceError::PastTime { field: "from" });
    }
    let mut covered: Vec<CoveredMeeting<C>> = classes
        .iter()
        .flat_map(|c| {
            c.schedule
                .meetings_overlapping(from, to, tz)
                .into_iter()
                .filter(|m| c.only_on.is_none_or(|day| m.date == day))
                .map(|meeting| CoveredMeeting { class: c.class.clone(), meeting })
        })
        .collect();
    if covered.is_empty() {
        return Err(AbsenceError::NoMeetings);
    }
    covered.sort_by_key(|c| c.meeting.starts_at);
    Ok(covered)
}

/// By enrollment: the class's meeting on `date`, which must not have started.
pub fn by_enrollment<C>(class: AttendedClass<'_, C>, name: &str, date: NaiveDate, now: DateTime<Utc>, tz: &OrgTimeZone) -> Result<CoveredMeeting<C>, AbsenceError> {
    let meeting = class
        .schedule
        .meeting_on(date, tz)
        .filter(|m| class.only_on.is_none_or(|day| m.date == day))
        .ok_or_else(|| AbsenceError::ClassNotMeeting { class: name.to_string(), date: date.to_string() })?;
    if meeting.starts_at <= now {
        return Err(AbsenceError::PastTime { field: "date" });
    }
    Ok(CoveredMeeting { class: class.class, meeting })
}

/// A reported absence may be cancelled until its first meeting starts.
pub fn may_cancel(first_starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), AbsenceError> {
    if now >= first_starts_at {
        Err(AbsenceError::Started)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_time(s, "from").unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn by_date_covers_every_meeting_overlapping_the_span_across_a_daylight_saving_change() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let swim = ClassSchedule::parse(r#"["mon","wed"]"#, "17:00", "17:45", "2026-03-01", "2026-03-31").unwrap();
        let gym = ClassSchedule::parse(r#"["sat"]"#, "09:00", "10:00", "2026-03-01", "2026-03-31").unwrap();
        let classes = [
            AttendedClass { class: "swim", schedule: &swim, only_on: None },
            AttendedClass { class: "gym", schedule: &gym, only_on: Some(day("2026-03-14")) },
        ];
        let now = at("2026-03-01T00:00:00Z");
        // Wednesday 4 March to Monday 9 March in Chicago: Wed 4 (CST), Mon 9 (CDT); the gym's
        // Saturday 7 is not the day of its one visit.
        let covered = by_date(at("2026-03-04T00:00:00-06:00"), at("2026-03-10T00:00:00-05:00"), now, &classes, &chicago).unwrap();
        let seen: Vec<(&str, String)> = covered.iter().map(|c| (c.class, c.meeting.starts_at.to_rfc3339())).collect();
        assert_eq!(seen, [("swim", "2026-03-04T23:00:00+00:00".to_string()), ("swim", "2026-03-09T22:00:00+00:00".to_string())]);
        // A few hours on Monday 9 March: 16:30 to 17:10 Chicago (daylight) time overlaps the swim.
        let hours = by_date(at("2026-03-09T16:30:00-05:00"), at("2026-03-09T17:10:00-05:00"), now, &classes, &chicago).unwrap();
        assert_eq!(hours.len(), 1);
        // 16:00 to 17:00 ends as the meeting starts: nothing.
        assert_eq!(by_date(at("2026-03-09T16:00:00-05:00"), at("2026-03-09T17:00:00-05:00"), now, &classes, &chicago), Err(AbsenceError::NoMeetings));
        assert_eq!(by_date(at("2026-03-14T08:00:00-05:00"), at("2026-03-14T12:00:00-05:00"), now, &classes, &chicago).unwrap()[0].class, "gym");
    }

    #[test]
    fn an_absence_lies_ahead_and_is_cancelled_before_it_starts() {
        let tz = OrgTimeZone::default();
        let swim = ClassSchedule::parse(r#"["mon"]"#, "17:00", "17:45", "2026-03-01", "2026-03-31").unwrap();
        let class = || AttendedClass { class: (), schedule: &swim, only_on: None };
        let now = at("2026-03-09T17:00:00Z");
        assert_eq!(by_date(at("2026-03-09T16:00:00Z"), at("2026-03-20T00:00:00Z"), now, &[class()], &tz), Err(AbsenceError::PastTime { field: "from" }));
        assert_eq!(by_date(at("2026-03-10T00:00:00Z"), at("2026-03-10T00:00:00Z"), now, &[class()], &tz), Err(AbsenceError::EmptySpan));
        assert_eq!(by_date(at("2026-03-10T00:00:00Z"), at("2027-04-10T00:00:00Z"), now, &[class()], &tz), Err(AbsenceError::SpanTooLong));
        assert_eq!(by_enrollment(class(), "Swim", day("2026-03-09"), now, &tz).unwrap_err(), AbsenceError::PastTime { field: "date" });
        assert!(matches!(by_enrollment(class(), "Swim", day("2026-03-10"), now, &tz), Err(AbsenceError::ClassNotMeeting { .. })));
        let next = by_enrollment(class(), "Swim", day("2026-03-16"), now, &tz).unwrap();
        assert_eq!(may_cancel(next.meeting.starts_at, now), Ok(()));
        assert_eq!(may_cancel(next.meeting.starts_at, next.meeting.starts_at), Err(AbsenceError::Started));
    }

    #[test]
    fn a_reason_is_one_line() {
        assert_eq!(parse_reason(Some("  Holiday ")), Ok(Some("Holiday".into())));
        assert_eq!(parse_reason(Some("  ")), Ok(None));
        assert_eq!(parse_reason(Some("a\u{0}b")), Err(AbsenceError::InvalidReason));
    }
}
