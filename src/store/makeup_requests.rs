//! Makeup requests: the rows of `enrollment_requests` of kind `makeup` (a student, a class in
//! `to_class_id`, a `date`). Listing and deciding them shares `enrollments`' request statements.

use super::{guarded_update, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, RequestId, StudentId};
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

pub struct NewMakeupRequest<'a> {
    pub id: &'a RequestId,
    pub org_id: &'a str,
    pub family_id: &'a FamilyId,
    pub student_id: &'a StudentId,
    pub class_id: &'a ClassId,
    pub date: &'a str,
    pub reason: Option<&'a str>,
    pub requested_by_id: &'a str,
    pub requested_by_label: &'a str,
}

/// A pending makeup request, under `guard` (the customer's session still live); the unique index
/// `enrollment_requests_one_pending_makeup` refuses a second for the same student, class and date.
pub fn insert<'a>(db: &Db, r: &NewMakeupRequest<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    let sql = format!(
        "INSERT INTO enrollment_requests (id, org_id, family_id, student_id, kind, to_class_id, date, reason, \
           requested_by_id, requested_by_label, requested_at, last_change_id) \
         SELECT ?, ?, ?, ?, 'makeup', ?, ?, ?, ?, ?, ?, ? WHERE {}",
        guard.sql
    );
    let mut args = vec![
        text(r.id),
        text(r.org_id),
        text(r.family_id),
        text(r.student_id),
        text(r.class_id),
        text(r.date),
        opt_text(r.reason),
        text(r.requested_by_id),
        text(r.requested_by_label),
        int(now.millis()),
        text(r.id),
    ];
    args.extend(guard.args);
    db.stmt(&sql, &args)
}

/// Records on an approved request the makeup enrollment its approval made, once that exists.
pub fn link_enrollment<'a>(db: &Db, id: &'a RequestId, enrollment_id: &'a EnrollmentId, made: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    guarded_update(db, "UPDATE enrollment_requests SET enrollment_id = ? WHERE id = ?", vec![text(enrollment_id), text(id)], made)
}
