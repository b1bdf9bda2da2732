//! Attendance marks: a class meeting's sheet and its marks, and a family's marks.

use super::{guarded, int, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::attendance::AttendanceStatus;
use portal_core::enrollment::{EnrollmentKind, EnrollmentStatus};
use portal_core::ids::{AbsenceId, AttendanceId, ClassId, EnrollmentId, FamilyId, StudentId};
use portal_core::time::Timestamp;
use portal_core::time_zone::OrgTimeZone;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// The organization's time zone (staff requests do not load the portal options); UTC if the row is gone.
pub async fn org_time_zone(db: &Db, org_id: &str) -> ApiResult<OrgTimeZone> {
    Ok(super::organizations::time_zone(db, org_id).await?.unwrap_or_default())
}

/// An enrollment that may be on a meeting's sheet, with the student's mark for that date and the
/// future absence their family reported for it, if any.
#[derive(Debug, Deserialize)]
pub struct SheetRow {
    pub enrollment_id: EnrollmentId,
    pub student_id: StudentId,
    pub first_name: String,
    pub last_name: String,
    pub kind: EnrollmentKind,
    pub status: EnrollmentStatus,
    pub enrolled_at: i64,
    pub ended_at: Option<i64>,
    pub date: Option<String>,
    pub mark: Option<AttendanceStatus>,
    pub absence_id: Option<AbsenceId>,
    pub absence_reason: Option<String>,
}

/// The class's enrollments that may be on the sheet of `?2` (the rule `attendance::on_sheet`
/// decides), one row each: a regular one not on a waitlist, or a one-day one for that date.
pub const SHEET: &str = "SELECT e.id AS enrollment_id, e.student_id, s.first_name, s.last_name, e.kind, e.status, \
       e.enrolled_at, e.ended_at, e.date, \
       (SELECT a.status FROM attendance a WHERE a.class_id = e.class_id AND a.date = ?2 AND a.student_id = e.student_id) AS mark, \
       (SELECT ab.id FROM absence_meetings am JOIN absences ab ON ab.id = am.absence_id \
          WHERE am.class_id = e.class_id AND am.date = ?2 AND ab.student_id = e.student_id AND ab.cancelled_at IS NULL \
          ORDER BY ab.created_at LIMIT 1) AS absence_id, \
       (SELECT ab.reason FROM absence_meetings am JOIN absences ab ON ab.id = am.absence_id \
          WHERE am.class_id = e.class_id AND am.date = ?2 AND ab.student_id = e.student_id AND ab.cancelled_at IS NULL \
          ORDER BY ab.created_at LIMIT 1) AS absence_reason \
     FROM enrollments e JOIN students s ON s.id = e.student_id \
     WHERE e.class_id = ?1 AND e.status != 'waitlisted' AND (e.date IS NULL OR e.date = ?2) \
     ORDER BY s.last_name, s.first_name, s.id, e.enrolled_at";

pub async fn sheet(db: &Db, class_id: &ClassId, date: &str) -> ApiResult<Vec<SheetRow>> {
    db.all(SHEET, &[text(class_id), text(date)]).await
}

/// A mark as the family's list shows it.
#[derive(Debug, Deserialize)]
pub struct MarkRow {
    pub enrollment_id: EnrollmentId,
    pub date: String,
    pub status: AttendanceStatus,
}

/// A family's enrollment as its attendance list shows it.
#[derive(Debug, Deserialize)]
pub struct AttendedEnrollment {
    pub id: EnrollmentId,
    pub student_id: StudentId,
    pub status: EnrollmentStatus,
    pub date: Option<String>,
    pub class_id: ClassId,
    pub class_name: String,
    pub end_date: String,
}

pub const FAMILY_ENROLLMENTS: &str = "SELECT e.id, e.student_id, e.status, e.date, c.id AS class_id, c.name AS class_name, c.end_date \
     FROM enrollments e JOIN classes c ON c.id = e.class_id WHERE e.family_id = ?1 AND e.status != 'waitlisted' \
     ORDER BY e.enrolled_at, e.id";

pub const FAMILY_MARKS: &str = "SELECT a.enrollment_id, a.date, a.status FROM attendance a \
     JOIN students s ON s.id = a.student_id WHERE s.family_id = ?1 ORDER BY a.date DESC, a.class_id";

/// A family's enrollments (waitlist spots aside) and its students' marks, in one round trip.
pub async fn family_attendance(db: &Db, family_id: &FamilyId) -> ApiResult<(Vec<AttendedEnrollment>, Vec<MarkRow>)> {
    db.all_two((FAMILY_ENROLLMENTS, &[text(family_id)]), (FAMILY_MARKS, &[text(family_id)])).await
}

pub struct Mark<'a> {
    pub id: &'a AttendanceId,
    pub org_id: &'a str,
    pub class_id: &'a ClassId,
    pub date: &'a str,
    pub student_id: &'a StudentId,
    pub enrollment_id: &'a EnrollmentId,
    pub status: AttendanceStatus,
    pub marked_by: &'a str,
}

/// Marks a student (a second mark of the same meeting replaces the first), only while the
/// enrollment that put them on the sheet still holds its place or visit.
pub fn upsert<'a>(db: &Db, m: &Mark<'a>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    let values: Vec<Arg<'a>> = vec![
        text(m.id),
        text(m.org_id),
        text(m.class_id),
        text(m.date),
        text(m.student_id),
        text(m.enrollment_id),
        text(m.status.as_str()),
        int(now.millis()),
        text(m.marked_by),
    ];
    let guard = Guard { sql: "EXISTS (SELECT 1 FROM enrollments WHERE id = ? AND status != 'waitlisted')", args: vec![text(m.enrollment_id)] };
    let (tail, args) = guarded(values, Some(guard));
    db.stmt(
        &format!(
            "INSERT INTO attendance (id, org_id, class_id, date, student_id, enrollment_id, status, marked_at, marked_by_label) {tail} \
             ON CONFLICT (class_id, date, student_id) DO UPDATE SET status = excluded.status, enrollment_id = excluded.enrollment_id, \
               marked_at = excluded.marked_at, marked_by_label = excluded.marked_by_label"
        ),
        &args,
    )
}
