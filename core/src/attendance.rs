//! Attendance: staff mark each student on a class meeting's sheet present, absent or excused. The
//! sheet lists everyone enrolled that day: the regular enrollments live at that meeting, and the
//! one-day (makeup and pass) enrollments for that date. A meeting is marked once it has started,
//! only on a date the class meets (`schedule::ClassSchedule` says which), and only for students on
//! its sheet.

use crate::enrollment::{EnrollmentKind, EnrollmentStatus};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttendanceError {
    #[error("This organization does not show attendance in the Customer Portal.")]
    Disabled,
    #[error("{class} does not meet on {date}.")]
    ClassNotMeeting { class: String, date: String },
    #[error("The meeting of {class} on {date} has not started yet: attendance is taken once it has.")]
    MeetingNotStarted { class: String, date: String },
    #[error("{student} is not on the attendance sheet of this meeting.")]
    NotEnrolled { student: String, index: usize },
    #[error("{student} is marked twice.")]
    MarkedTwice { student: String, index: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttendanceStatus {
    Present,
    Absent,
    Excused,
}

impl AttendanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Absent => "absent",
            AttendanceStatus::Excused => "excused",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "Present",
            AttendanceStatus::Absent => "Absent",
            AttendanceStatus::Excused => "Excused",
        }
    }

    pub const ALL: [AttendanceStatus; 3] = [AttendanceStatus::Present, AttendanceStatus::Absent, AttendanceStatus::Excused];
}

/// An enrollment as far as the sheet cares: its kind, status, when it began and ended, and the
/// one day of a makeup or pass enrollment.
#[derive(Debug, Clone)]
pub struct EnrollmentSpan<'a> {
    pub kind: EnrollmentKind,
    pub status: EnrollmentStatus,
    pub enrolled_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub date: Option<&'a str>,
}

/// Whether an enrollment puts its student on the sheet of the meeting on `date` (`YYYY-MM-DD`)
/// that runs from `starts_at` to `ends_at`: a one-day enrollment for that date, or a regular place
/// held at some moment of the meeting. A waitlist spot never does.
pub fn on_sheet(e: &EnrollmentSpan<'_>, date: &str, starts_at: Timestamp, ends_at: Timestamp) -> bool {
    if e.status == EnrollmentStatus::Waitlisted {
        return false;
    }
    match e.date {
        Some(day) => day == date && matches!(e.status, EnrollmentStatus::Active | EnrollmentStatus::Completed),
        None => e.kind == EnrollmentKind::Regular && e.enrolled_at < ends_at && e.ended_at.is_none_or(|end| end > starts_at),
    }
}

/// A meeting about to be marked: the class meets that day, the meeting has started (`now` at or
/// after `starts_at`), each marked student is on the sheet (`on_sheet`), and none twice.
pub fn check_marks<'a>(
    class: &str,
    date: &str,
    meeting_starts_at: Option<Timestamp>,
    now: Timestamp,
    marked: impl IntoIterator<Item = &'a str>,
    on_sheet: impl Fn(&str) -> Option<String>,
    name_of: impl Fn(&str) -> String,
) -> Result<(), AttendanceError> {
    let Some(starts_at) = meeting_starts_at else {
        return Err(AttendanceError::ClassNotMeeting { class: class.into(), date: date.into() });
    };
    if now < starts_at {
        return Err(AttendanceError::MeetingNotStarted { class: class.into(), date: date.into() });
    }
    let mut seen: Vec<&str> = Vec::new();
    for (index, student) in marked.into_iter().enumerate() {
        if seen.contains(&student) {
            return Err(AttendanceError::MarkedTwice { student: name_of(student), index });
        }
        if on_sheet(student).is_none() {
            return Err(AttendanceError::NotEnrolled { student: name_of(student), index });
        }
        seen.push(student);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: &str = "2026-10-05";
    const STARTS: Timestamp = Timestamp(1_000_000);
    const ENDS: Timestamp = Timestamp(3_700_000);

    fn regular(enrolled_at: i64, ended_at: Option<i64>, status: EnrollmentStatus) -> EnrollmentSpan<'static> {
        EnrollmentSpan { kind: EnrollmentKind::Regular, status, enrolled_at: Timestamp(enrolled_at), ended_at: ended_at.map(Timestamp), date: None }
    }

    #[test]
    fn the_sheet_lists_places_held_during_the_meeting_and_one_day_visits_for_that_date() {
        assert!(on_sheet(&regular(0, None, EnrollmentStatus::Active), DAY, STARTS, ENDS));
        assert!(on_sheet(&regular(2_000_000, None, EnrollmentStatus::Active), DAY, STARTS, ENDS), "joined during the meeting");
        assert!(!on_sheet(&regular(ENDS.0, None, EnrollmentStatus::Active), DAY, STARTS, ENDS), "joined after it");
        assert!(on_sheet(&regular(0, Some(5_000_000), EnrollmentStatus::Dropped), DAY, STARTS, ENDS), "dropped later");
        assert!(!on_sheet(&regular(0, Some(STARTS.0), EnrollmentStatus::Dropped), DAY, STARTS, ENDS), "dropped before it");
        assert!(!on_sheet(&regular(0, None, EnrollmentStatus::Waitlisted), DAY, STARTS, ENDS));

        let visit = |kind, date, status| EnrollmentSpan { kind, status, enrolled_at: Timestamp(9_999_999), ended_at: None, date: Some(date) };
        assert!(on_sheet(&visit(EnrollmentKind::Makeup, DAY, EnrollmentStatus::Active), DAY, STARTS, ENDS));
        assert!(on_sheet(&visit(EnrollmentKind::Pass, DAY, EnrollmentStatus::Completed), DAY, STARTS, ENDS));
        assert!(!on_sheet(&visit(EnrollmentKind::Makeup, "2026-10-12", EnrollmentStatus::Active), DAY, STARTS, ENDS));
        assert!(!on_sheet(&visit(EnrollmentKind::Makeup, DAY, EnrollmentStatus::Dropped), DAY, STARTS, ENDS));
    }

    #[test]
    fn marks_need_a_started_meeting_of_the_class_and_students_on_its_sheet() {
        let sheet = |s: &str| (s == "stu_a" || s == "stu_b").then(|| s.to_string());
        let name = |s: &str| format!("Student {s}");
        let check = |starts: Option<Timestamp>, now: i64, marked: &[&'static str]| {
            check_marks("Swim 1", DAY, starts, Timestamp(now), marked.iter().copied(), sheet, name)
        };
        assert_eq!(check(Some(STARTS), STARTS.0, &["stu_a", "stu_b"]), Ok(()));
        assert!(matches!(check(None, STARTS.0, &["stu_a"]), Err(AttendanceError::ClassNotMeeting { .. })));
        assert!(matches!(check(Some(STARTS), STARTS.0 - 1, &["stu_a"]), Err(AttendanceError::MeetingNotStarted { .. })));
        assert_eq!(check(Some(STARTS), STARTS.0, &["stu_a", "stu_x"]), Err(AttendanceError::NotEnrolled { student: "Student stu_x".into(), index: 1 }));
        assert_eq!(check(Some(STARTS), STARTS.0, &["stu_a", "stu_a"]), Err(AttendanceError::MarkedTwice { student: "Student stu_a".into(), index: 1 }));
    }

    #[test]
    fn the_sheet_follows_the_meeting_in_the_organizations_time_zone_across_a_daylight_saving_change() {
        use crate::schedule::ClassSchedule;
        use crate::time_zone::OrgTimeZone;
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let class = ClassSchedule::parse(r#"["wed","mon"]"#, "17:00", "17:45", "2026-03-01", "2026-03-31").unwrap();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let stamp = |t: chrono::DateTime<chrono::Utc>| Timestamp(t.timestamp_millis());
        // Wednesday 4 March (CST, UTC-6) and Monday 9 March (CDT, UTC-5): 17:00 local both times.
        let before = class.meeting_on(day("2026-03-04"), &chicago).unwrap();
        let after = class.meeting_on(day("2026-03-09"), &chicago).unwrap();
        assert_eq!(stamp(before.starts_at), at("2026-03-04T23:00:00Z"));
        assert_eq!(stamp(after.starts_at), at("2026-03-09T22:00:00Z"));
        // Enrolled at 22:30 UTC on the 9th: during that meeting (17:30 in Chicago), so on its sheet;
        // the same UTC clock time on the 4th was before that meeting began.
        let joined = |t| EnrollmentSpan { kind: EnrollmentKind::Regular, status: EnrollmentStatus::Active, enrolled_at: at(t), ended_at: None, date: None };
        assert!(on_sheet(&joined("2026-03-09T22:30:00Z"), "2026-03-09", stamp(after.starts_at), stamp(after.ends_at)));
        assert!(!on_sheet(&joined("2026-03-09T22:50:00Z"), "2026-03-09", stamp(after.starts_at), stamp(after.ends_at)));
        assert!(on_sheet(&joined("2026-03-04T23:30:00Z"), "2026-03-04", stamp(before.starts_at), stamp(before.ends_at)));
        assert!(!on_sheet(&joined("2026-03-04T23:50:00Z"), "2026-03-04", stamp(before.starts_at), stamp(before.ends_at)));
        assert!(class.meeting_on(day("2026-03-08"), &chicago).is_none(), "a Sunday: no meeting, class_not_meeting");
    }
}
