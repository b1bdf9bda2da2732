//! One-day enrollments (kind `makeup` or `pass`, with their `date`): the place a visit takes is
//! counted by the statement that writes it, as `enrollments::ENROLL` counts a regular place. A
//! class's places on date D are its live regular enrollments plus its live one-day enrollments
//! dated D; D1 runs one statement at a time, so two visits racing for the last place cannot both
//! get it.

use super::enrollments::EnrolledBy;
use super::{int, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::enrollment::EnrollmentKind;
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, StudentId};
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

/// A place is left in the class on the date, and the student does not already hold one there.
/// Binds: class, date, class, class, student, date (`place_left`).
pub const PLACE_LEFT: &str = "(SELECT COUNT(*) FROM enrollments e WHERE e.class_id = ? AND e.status = 'active' \
       AND (e.date IS NULL OR e.date = ?)) < (SELECT c.capacity FROM classes c WHERE c.id = ?) \
     AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.class_id = ? AND e.student_id = ? AND e.status = 'active' \
       AND (e.date IS NULL OR e.date = ?))";

/// The guard of a visit: put on the statement that pays for it (a punch, a token) and on the
/// insert itself, which run in one batch, so both see the same count.
pub fn place_left<'a>(class_id: &'a ClassId, student_id: &'a StudentId, date: &'a str) -> Guard<'a> {
    Guard { sql: PLACE_LEFT, args: vec![text(class_id), text(date), text(class_id), text(class_id), text(student_id), text(date)] }
}

/// A visit to make.
pub struct NewVisit<'a> {
    pub id: &'a EnrollmentId,
    pub org_id: &'a str,
    pub family_id: &'a FamilyId,
    pub student_id: &'a StudentId,
    pub class_id: &'a ClassId,
    pub kind: EnrollmentKind,
    pub date: &'a str,
    pub by: EnrolledBy<'a>,
}

/// Inserts the visit while a place is left (`place_left`) and `paid` holds (the punch or token
/// that pays for it was taken by this batch).
pub fn insert_visit<'a>(db: &Db, v: &'a NewVisit<'a>, now: Timestamp, paid: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    let place = place_left(v.class_id, v.student_id, v.date);
    let sql = format!(
        "INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, date, enrolled_at, \
           enrolled_by_kind, enrolled_by_label, last_change_id) \
         SELECT ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ? WHERE {} AND {}",
        place.sql, paid.sql
    );
    let mut args: Vec<Arg<'_>> = vec![
        text(v.id),
        text(v.org_id),
        text(v.family_id),
        text(v.student_id),
        text(v.class_id),
        text(v.kind.as_str()),
        text(v.date),
        int(now.millis()),
        text(v.by.kind),
        text(v.by.label),
        text(v.id),
    ];
    args.extend(place.args);
    args.extend(paid.args);
    db.stmt(&sql, &args)
}
