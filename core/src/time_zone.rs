//! The organization's time zone. Class meetings, absences and access end dates are dates there,
//! not in UTC: a Chicago class on Monday at 17:00 is Monday evening in Chicago whatever the clock
//! of the Worker says.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time_zone must be an IANA time zone name, such as America/Chicago or Europe/London.")]
pub struct UnknownTimeZone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgTimeZone(Tz);

impl Default for OrgTimeZone {
    fn default() -> Self {
        OrgTimeZone(Tz::UTC)
    }
}

impl OrgTimeZone {
    pub fn parse(name: &str) -> Result<OrgTimeZone, UnknownTimeZone> {
        name.parse::<Tz>().map(OrgTimeZone).map_err(|_| UnknownTimeZone)
    }

    /// As stored: a stored name that this build no longer knows reads as UTC rather than failing
    /// every request of the organization.
    pub fn from_stored(name: &str) -> OrgTimeZone {
        OrgTimeZone::parse(name).unwrap_or_default()
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The date it is now in the organization.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    /// The first instant of `date` there (midnight, or the first moment after a gap at midnight).
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        self.local_to_utc(date, NaiveTime::MIN)
    }

    /// A wall-clock time there as an instant. A time that a spring-forward change skips moves
    /// forward by the gap (02:30 becomes 03:30); one that a fall-back change repeats takes the
    /// earlier instant, as calendars do.
    pub fn local_to_utc(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = NaiveDateTime::new(date, time);
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
            LocalResult::None => {
                // In a gap the clock still reads the offset from before it: 02:30 at -06:00 is
                // 08:30 UTC, which is 03:30 at -05:00. Gaps last at most a few hours.
                let before = local - chrono::Duration::hours(6);
                let offset = self.0.from_local_datetime(&before).earliest().map(|t| t.offset().fix());
                match offset {
                    Some(o) => Utc.from_utc_datetime(&(local - o)),
                    None => Utc.from_utc_datetime(&local),
                }
            }
        }
    }
}

impl Serialize for OrgTimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
