//! Scheduled maintenance: staff switch the Customer Portal off from a start to an end time, and it
//! comes back by itself. Whether a window is on is a comparison of times, made wherever the switch
//! is read (the edge gate, the session check, a write's guard), so nothing waits for a cron.

use crate::audit::{Actor, ActorKind, AuditEntry};
use crate::text::single_line;
use crate::time::Timestamp;
use crate::time_zone::OrgTimeZone;
use chrono::NaiveDateTime;

pub const NOTE_MAX_CHARS: usize = 200;

/// The portal is off from `starts_at` (included) to `ends_at` (excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// A line shown under the fixed unavailable message.
    pub note: Option<String>,
}

impl MaintenanceWindow {
    pub fn is_on(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    pub fn is_over(&self, now: Timestamp) -> bool {
        self.ends_at <= now
    }

    /// `Retry-After`: whole seconds until the portal is back, at least one.
    pub fn retry_after_seconds(&self, now: Timestamp) -> i64 {
        ((self.ends_at.millis() - now.millis() + 999) / 1000).max(1)
    }

    /// A session begun before a window that has started ended with it, as a manual disable ends
    /// every session; it stays ended after the window.
    pub fn ended_session(&self, began: Timestamp, now: Timestamp) -> bool {
        self.starts_at <= now && began < self.starts_at
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaintenanceError {
    #[error("Enter when the maintenance starts as a date and time (RFC 3339, e.g. 2026-12-24T22:00:00Z).")]
    InvalidStart,
    #[error("Enter when the maintenance ends as a date and time (RFC 3339, e.g. 2026-12-25T02:00:00Z).")]
    InvalidEnd,
    #[error("The maintenance must end after it starts.")]
    EndsBeforeStart,
    #[error("The maintenance must end in the future.")]
    EndsInPast,
    #[error("The note must be one line of at most 200 characters.")]
    InvalidNote,
}

/// A window as staff asked for it: `ends_at` after `starts_at` and after now (a start in the past
/// means "from now"); a blank note is no note.
pub fn schedule(
    starts_at: Timestamp,
    ends_at: Timestamp,
    note: Option<&str>,
    now: Timestamp,
) -> Result<MaintenanceWindow, MaintenanceError> {
    if ends_at <= starts_at {
        return Err(MaintenanceError::EndsBeforeStart);
    }
    if ends_at <= now {
        return Err(MaintenanceError::EndsInPast);
    }
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(single_line(n, NOTE_MAX_CHARS).ok_or(MaintenanceError::InvalidNote)?),
        None => None,
    };
    Ok(MaintenanceWindow { starts_at, ends_at, note })
}

/// A window from the API's RFC 3339 times.
pub fn parse_schedule(starts_at: &str, ends_at: &str, note: Option<&str>, now: Timestamp) -> Result<MaintenanceWindow, MaintenanceError> {
    let starts_at = Timestamp::parse_rfc3339(starts_at).ok_or(MaintenanceError::InvalidStart)?;
    let ends_at = Timestamp::parse_rfc3339(ends_at).ok_or(MaintenanceError::InvalidEnd)?;
    schedule(starts_at, ends_at, note, now)
}

/// A window's time as the organization's clock reads it (the Office form types and shows these).
pub fn local_time(tz: &OrgTimeZone, t: Timestamp) -> NaiveDateTime {
    tz.local(t.to_datetime())
}

/// A wall-clock time typed in the organization's zone, as an instant.
pub fn from_local_time(tz: &OrgTimeZone, local: NaiveDateTime) -> Timestamp {
    Timestamp(tz.local_to_utc(local.date(), local.time()).timestamp_millis())
}

/// What happened to a window, as the access history names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceEvent {
    Scheduled,
    Cancelled,
    Started,
    Ended,
}

impl MaintenanceEvent {
    pub fn action(self) -> &'static str {
        match self {
            MaintenanceEvent::Scheduled => "maintenance_scheduled",
            MaintenanceEvent::Cancelled => "maintenance_cancelled",
            MaintenanceEvent::Started => "maintenance_started",
            MaintenanceEvent::Ended => "maintenance_ended",
        }
    }
}

/// Who records a window's start and end in the history: the cron, not a person.
pub fn cron_actor() -> Actor {
    Actor { kind: ActorKind::System, id: None, label: "Scheduled maintenance".into() }
}

/// The audit entry of a window's event; the reason says which window.
pub fn audit_entry(org_id: &str, org_name: &str, event: MaintenanceEvent, window: &MaintenanceWindow, actor: Actor) -> AuditEntry {
    AuditEntry {
        actor,
        action: event.action().into(),
        target_kind: "organization".into(),
        target_id: org_id.into(),
        target_label: Some(org_name.into()),
        family_id: None,
        reason: Some(format!("{} to {}", window.starts_at.to_rfc3339(), window.ends_at.to_rfc3339())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn at(ms_from_now: i64) -> Timestamp {
        Timestamp(NOW.millis() + ms_from_now)
    }

    fn window() -> MaintenanceWindow {
        schedule(NOW.plus_seconds(2), NOW.plus_seconds(7), Some("  Back at 7.  "), NOW).unwrap()
    }

    #[test]
    fn a_window_is_on_from_its_first_millisecond_to_its_end() {
        let w = window();
        assert!(!w.is_on(at(1_999)));
        assert!(w.is_on(NOW.plus_seconds(2)));
        assert!(w.is_on(at(6_999)));
        assert!(!w.is_on(NOW.plus_seconds(7)));
        assert!(w.is_over(NOW.plus_seconds(7)));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let w = window();
        assert_eq!(w.retry_after_seconds(NOW.plus_seconds(2)), 5);
        assert_eq!(w.retry_after_seconds(at(6_001)), 1);
        assert_eq!(w.retry_after_seconds(at(6_999)), 1);
    }

    #[test]
    fn sessions_begun_before_the_start_end_with_it_and_stay_ended() {
        let w = window();
        assert!(!w.ended_session(NOW, NOW.plus_seconds(1)));
        assert!(w.ended_session(NOW, NOW.plus_seconds(2)));
        assert!(w.ended_session(NOW, NOW.plus_seconds(60)));
        assert!(!w.ended_session(NOW.plus_seconds(8), NOW.plus_seconds(60)));
    }

    #[test]
    fn the_note_is_trimmed_and_blank_is_none() {
        assert_eq!(window().note.as_deref(), Some("Back at 7."));
        assert_eq!(schedule(NOW, NOW.plus_seconds(5), Some("  "), NOW).unwrap().note, None);
    }

    #[test]
    fn refuses_a_window_that_ends_before_it_starts_or_in_the_past() {
        assert_eq!(schedule(NOW.plus_seconds(5), NOW.plus_seconds(5), None, NOW), Err(MaintenanceError::EndsBeforeStart));
        assert_eq!(schedule(NOW.plus_seconds(-10), NOW.plus_seconds(-5), None, NOW), Err(MaintenanceError::EndsInPast));
        assert!(schedule(NOW.plus_seconds(-10), NOW.plus_seconds(5), None, NOW).is_ok(), "a start in the past means now");
    }

    #[test]
    fn parses_rfc3339_times_and_names_the_bad_one() {
        let w = parse_schedule("2027-01-15T08:00:00Z", "2027-01-15T10:00:00+01:00", None, NOW).unwrap();
        assert_eq!(w.ends_at.millis() - w.starts_at.millis(), 3_600_000);
        assert_eq!(parse_schedule("tomorrow", "2027-01-15T10:00:00Z", None, NOW), Err(MaintenanceError::InvalidStart));
        assert_eq!(parse_schedule("2027-01-15T08:00:00Z", "", None, NOW), Err(MaintenanceError::InvalidEnd));
    }

    #[test]
    fn times_are_typed_and_shown_on_the_organizations_clock() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let typed = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap().and_hms_opt(22, 0, 0).unwrap();
        let t = from_local_time(&chicago, typed);
        assert_eq!(t.to_rfc3339(), "2027-01-16T04:00:00.000Z");
        assert_eq!(local_time(&chicago, t), typed);
    }

    #[test]
    fn refuses_a_long_or_multi_line_note() {
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(schedule(NOW, NOW.plus_seconds(5), Some(&long), NOW), Err(MaintenanceError::InvalidNote));
        assert_eq!(schedule(NOW, NOW.plus_seconds(5), Some("a\nb"), NOW), Err(MaintenanceError::InvalidNote));
        assert!(schedule(NOW, NOW.plus_seconds(5), Some(&"x".repeat(NOTE_MAX_CHARS)), NOW).is_ok());
    }
}
