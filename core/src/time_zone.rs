//! The organization's time zone. Class meetings, absences and access end dates are dates there,
//! not in UTC: a Chicago class on Monday at 17:00 is Monday evening in Chicago whatever the clock
//! of the Worker says.
//!
//! Names are checked against the IANA list (chrono-tz's name table). The offsets come from
//! `ZoneRules`: the edge installs the runtime's own time-zone database (V8's `Intl`, which ships
//! with every Worker), so the Worker does not carry a second copy of every zone's history (about
//! 200 KB gzip of wasm, measured). Natively (the unit tests, tools) chrono-tz's tables answer.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time_zone must be an IANA time zone name, such as America/Chicago or Europe/London.")]
pub struct UnknownTimeZone;

/// Where the offsets of a zone come from.
pub trait ZoneRules: Sync {
    /// The zone's offset from UTC, in seconds, at the instant `utc_millis`. The zone is a name
    /// from the IANA table (`OrgTimeZone::name`), so it lives as long as the program: a source
    /// may keep it as a key.
    fn offset_seconds(&self, zone: &'static str, utc_millis: i64) -> i32;
}

static RULES: OnceLock<&'static dyn ZoneRules> = OnceLock::new();

/// Installs the offsets source once (the edge does, at start); later calls change nothing.
pub fn use_rules(rules: &'static dyn ZoneRules) {
    let _ = RULES.set(rules);
}

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

    /// The offset from UTC there at `utc`.
    pub fn offset_at(&self, utc: DateTime<Utc>) -> FixedOffset {
        let utc_offset = FixedOffset::east_opt(0).expect("0 is a valid offset");
        if self.0 == Tz::UTC {
            return utc_offset;
        }
        if let Some(rules) = RULES.get() {
            return FixedOffset::east_opt(rules.offset_seconds(self.name(), utc.timestamp_millis())).unwrap_or(utc_offset);
        }
        bundled_offset(self.0, utc).unwrap_or(utc_offset)
    }

    /// The wall-clock time there at `utc`.
    pub fn local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        utc.naive_utc() + self.offset_at(utc)
    }

    /// The date it is now in the organization.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local(now).date()
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
        let as_utc = |t: NaiveDateTime| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc);
        // The offsets half a day either side: a change is never closer to another than that.
        let before = self.offset_at(as_utc(local - chrono::Duration::hours(12)));
        let after = self.offset_at(as_utc(local + chrono::Duration::hours(12)));
        let fits = |offset: FixedOffset| {
            let t = as_utc(local - offset);
            (self.offset_at(t) == offset).then_some(t)
        };
        match (fits(before), fits(after)) {
            (Some(a), Some(b)) => a.min(b),
            (Some(t), None) | (None, Some(t)) => t,
            // In a gap the clock still reads the offset from before it: 02:30 at -06:00 is
            // 08:30 UTC, which is 03:30 at -05:00.
            (None, None) => as_utc(local - before),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn bundled_offset(zone: Tz, utc: DateTime<Utc>) -> Option<FixedOffset> {
    use chrono::{Offset, TimeZone};
    Some(zone.offset_from_utc_datetime(&utc.naive_utc()).fix())
}

/// In a Worker the edge installs `ZoneRules` before any request; without them only UTC is known.
#[cfg(target_arch = "wasm32")]
fn bundled_offset(_zone: Tz, _utc: DateTime<Utc>) -> Option<FixedOffset> {
    None
}

impl Serialize for OrgTimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules the edge installs compute offsets from wall-clock parts; this one does the same
    /// from chrono-tz, to show that `local_to_utc` needs nothing but offsets at instants.
    #[test]
    fn offsets_alone_place_wall_clock_times_as_the_zone_tables_do() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        use chrono::TimeZone;
        for (date, time) in [("2026-03-08", t(1, 59)), ("2026-03-08", t(3, 0)), ("2026-11-01", t(0, 30)), ("2026-11-01", t(2, 0)), ("2026-07-04", t(12, 0))] {
            let expected = chrono_tz::America::Chicago.from_local_datetime(&NaiveDateTime::new(d(date), time)).earliest().unwrap();
            assert_eq!(chicago.local_to_utc(d(date), time), expected.with_timezone(&Utc), "{date} {time}");
        }
        let now = DateTime::parse_from_rfc3339("2026-07-01T03:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(chicago.local(now).to_string(), "2026-06-30 22:00:00");
    }
}
