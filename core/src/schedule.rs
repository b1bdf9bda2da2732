//! When a class meets: on its days, between its first and last date, from its start to its end
//! time in the organization's time zone. Attendance, makeups, passes and absences all ask this one
//! place, so a class never "meets" on a day for one rule and not for another.

use crate::enrollment::Weekday;
use crate::time_zone::OrgTimeZone;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};

/// The stored schedule of a class could not be read (it is checked when written, so this means
/// the row was changed by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The class's schedule is unreadable: {0}.")]
pub struct UnreadableSchedule(&'static str);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSchedule {
    pub days: Vec<Weekday>,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

/// One meeting of a class: its local date and the instants it starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    pub date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

fn weekday_of(date: NaiveDate) -> Weekday {
    match date.weekday() {
        chrono::Weekday::Mon => Weekday::Mon,
        chrono::Weekday::Tue => Weekday::Tue,
        chrono::Weekday::Wed => Weekday::Wed,
        chrono::Weekday::Thu => Weekday::Thu,
        chrono::Weekday::Fri => Weekday::Fri,
        chrono::Weekday::Sat => Weekday::Sat,
        chrono::Weekday::Sun => Weekday::Sun,
    }
}

/// A span of dates to look at a schedule through is at most this long: a query for "every
/// meeting" over a century is a mistake, not a request.
pub const MAX_SPAN_DAYS: i64 = 400;

impl ClassSchedule {
    /// From the `classes` row: `days` is the JSON array (`["mon","wed"]`), times `HH:MM`,
    /// dates `YYYY-MM-DD`.
    pub fn parse(days_json: &str, start_time: &str, end_time: &str, start_date: &str, end_date: &str) -> Result<ClassSchedule, UnreadableSchedule> {
        let days: Vec<Weekday> = serde_json::from_str(days_json).map_err(|_| UnreadableSchedule("days"))?;
        let time = |s: &str, what| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| UnreadableSchedule(what));
        let date = |s: &str, what| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| UnreadableSchedule(what));
        Ok(ClassSchedule {
            days,
            start_time: time(start_time, "start_time")?,
            end_time: time(end_time, "end_time")?,
            start_date: date(start_date, "start_date")?,
            end_date: date(end_date, "end_date")?,
        })
    }

    /// Does the class meet on this (local) date?
    pub fn meets_on(&self, date: NaiveDate) -> bool {
        (self.start_date..=self.end_date).contains(&date) && self.days.contains(&weekday_of(date))
    }

    /// The meeting on `date`, if the class meets then.
    pub fn meeting_on(&self, date: NaiveDate, tz: &OrgTimeZone) -> Option<Meeting> {
        self.meets_on(date).then(|| Meeting {
            date,
            starts_at: tz.local_to_utc(date, self.start_time),
            ends_at: tz.local_to_utc(date, self.end_time),
        })
    }

    /// Every meeting with a local date from `from` to `to` (both included), in order. The span is
    /// cut to the class's own dates and to `MAX_SPAN_DAYS`.
    pub fn meetings(&self, from: NaiveDate, to: NaiveDate, tz: &OrgTimeZone) -> Vec<Meeting> {
        let first = from.max(self.start_date);
        let last = to.min(self.end_date).min(first + chrono::Duration::days(MAX_SPAN_DAYS));
        first.iter_days().take_while(|d| *d <= last).filter_map(|d| self.meeting_on(d, tz)).collect()
    }

    /// Meetings that overlap the instants `[from, to)`: what "every meeting in a span of a few
    /// hours" means for an absence.
    pub fn meetings_overlapping(&self, from: DateTime<Utc>, to: DateTime<Utc>, tz: &OrgTimeZone) -> Vec<Meeting> {
        // A day either side covers the offset between UTC and local dates.
        let (first, last) = (from.date_naive() - chrono::Duration::days(1), to.date_naive() + chrono::Duration::days(1));
        self.meetings(first, last, tz).into_iter().filter(|m| m.starts_at < to && m.ends_at > from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn swim() -> ClassSchedule {
        ClassSchedule::parse(r#"["mon","wed"]"#, "17:00", "17:45", "2026-03-01", "2026-03-31").unwrap()
    }

    #[test]
    fn a_class_meets_on_its_days_between_its_dates() {
        let c = swim();
        assert!(c.meets_on(d("2026-03-02"))); // Monday
        assert!(c.meets_on(d("2026-03-04"))); // Wednesday
        assert!(!c.meets_on(d("2026-03-03"))); // Tuesday
        assert!(!c.meets_on(d("2026-02-23"))); // a Monday before the first date
        assert!(!c.meets_on(d("2026-04-01"))); // a Wednesday after the last date
        assert_eq!(c.meetings(d("2026-01-01"), d("2026-12-31"), &OrgTimeZone::default()).len(), 9);
    }

    #[test]
    fn meetings_keep_their_local_time_across_a_daylight_saving_change() {
        // Chicago moves its clocks forward on Sunday 2026-03-08: 17:00 is 23:00 UTC before, 22:00 after.
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let m = swim().meetings(d("2026-03-02"), d("2026-03-11"), &chicago);
        let starts: Vec<String> = m.iter().map(|m| m.starts_at.to_rfc3339()).collect();
        assert_eq!(starts, ["2026-03-02T23:00:00+00:00", "2026-03-04T23:00:00+00:00", "2026-03-09T22:00:00+00:00", "2026-03-11T22:00:00+00:00"]);
        assert!(m.iter().all(|m| m.ends_at - m.starts_at == chrono::Duration::minutes(45)));
    }

    #[test]
    fn a_wall_clock_time_skipped_by_the_change_moves_forward_and_a_repeated_one_takes_the_first() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(chicago.local_to_utc(d("2026-03-08"), t(2, 30)).to_rfc3339(), "2026-03-08T08:30:00+00:00");
        assert_eq!(chicago.local_to_utc(d("2026-11-01"), t(1, 30)).to_rfc3339(), "2026-11-01T06:30:00+00:00");
        assert_eq!(chicago.start_of_day(d("2026-07-01")).to_rfc3339(), "2026-07-01T05:00:00+00:00");
    }

    #[test]
    fn today_is_the_date_in_the_organization() {
        let tokyo = OrgTimeZone::parse("Asia/Tokyo").unwrap();
        let now = DateTime::parse_from_rfc3339("2026-03-02T20:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(tokyo.today(now), d("2026-03-03"));
        assert_eq!(OrgTimeZone::default().today(now), d("2026-03-02"));
        assert!(OrgTimeZone::parse("Mars/Olympus").is_err());
        assert_eq!(OrgTimeZone::from_stored("Mars/Olympus").name(), "UTC");
    }

    #[test]
    fn meetings_overlapping_a_few_hours_are_those_that_intersect_them() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let at = |s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let m = swim().meetings_overlapping(at("2026-03-09T21:00:00Z"), at("2026-03-09T22:10:00Z"), &chicago);
        assert_eq!(m.iter().map(|m| m.date).collect::<Vec<_>>(), vec![d("2026-03-09")]);
        assert!(swim().meetings_overlapping(at("2026-03-09T20:00:00Z"), at("2026-03-09T22:00:00Z"), &chicago).is_empty());
    }

    #[test]
    fn an_unreadable_row_says_which_part() {
        assert_eq!(ClassSchedule::parse("[\"someday\"]", "17:00", "18:00", "2026-01-01", "2026-02-01").unwrap_err(), UnreadableSchedule("days"));
        assert_eq!(ClassSchedule::parse("[\"mon\"]", "5pm", "18:00", "2026-01-01", "2026-02-01").unwrap_err(), UnreadableSchedule("start_time"));
    }
}
