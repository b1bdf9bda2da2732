//! Future absences and the class meetings each covers.

use super::{guarded, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::ids::{AbsenceId, ClassId, EnrollmentId, FamilyId, StudentId};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// An absence with its student and family, and its meetings as a JSON array of
/// `{class_id, class_name, date}` (one read for a list).
#[derive(Debug, Deserialize)]
pub struct AbsenceRow {
    pub id: AbsenceId,
    pub student_id: StudentId,
    pub first_name: String,
    pub last_name: String,
    pub family_id: FamilyId,
    pub family_name: String,
    pub from_at: i64,
    pub to_at: i64,
    pub reason: Option<String>,
    pub first_starts_at: i64,
    pub meetings: String,
}

macro_rules! absence_select {
    () => {
        "SELECT a.id, a.student_id, s.first_name, s.last_name, s.family_id, f.name AS family_name, a.from_at, a.to_at, \
           a.reason, a.first_starts_at, \
           (SELECT json_group_array(json_object('class_id', m.class_id, 'class_name', c.name, 'date', m.date)) \
              FROM (SELECT * FROM absence_meetings WHERE absence_id = a.id ORDER BY starts_at) m \
              JOIN classes c ON c.id = m.class_id) AS meetings \
         FROM absences a JOIN students s ON s.id = a.student_id JOIN families f ON f.id = s.family_id"
    };
}

/// A student's absences still to come (not cancelled, not yet over), soonest first.
pub const STUDENT_ABSENCES: &str =
    concat!(absence_select!(), " WHERE a.student_id = ?1 AND a.cancelled_at IS NULL AND a.to_at > ?2 ORDER BY a.first_starts_at, a.id");
/// Every family's, for My Account.
pub const FAMILY_ABSENCES: &str =
    concat!(absence_select!(), " WHERE s.family_id = ?1 AND a.cancelled_at IS NULL AND a.to_at > ?2 ORDER BY a.first_starts_at, a.id");
/// The organization's absences covering a meeting on a date.
pub const DAY_ABSENCES: &str = concat!(
    absence_select!(),
    " WHERE a.org_id = ?1 AND a.cancelled_at IS NULL \
       AND a.id IN (SELECT absence_id FROM absence_meetings WHERE date = ?2) ORDER BY s.last_name, s.first_name, a.id"
);
/// `?3`: only within this family.
pub const FIND_ABSENCE: &str = concat!(absence_select!(), " WHERE a.id = ?1 AND a.org_id = ?2 AND s.family_id = ?3 AND a.cancelled_at IS NULL");

pub async fn student_absences(db: &Db, student_id: &StudentId, now: Timestamp) -> ApiResult<Vec<AbsenceRow>> {
    db.all(STUDENT_ABSENCES, &[text(student_id), int(now.millis())]).await
}

pub async fn family_absences(db: &Db, family_id: &FamilyId, now: Timestamp) -> ApiResult<Vec<AbsenceRow>> {
    db.all(FAMILY_ABSENCES, &[text(family_id), int(now.millis())]).await
}

pub async fn day_absences(db: &Db, org_id: &str, date: &str) -> ApiResult<Vec<AbsenceRow>> {
    db.all(DAY_ABSENCES, &[text(org_id), text(date)]).await
}

pub async fn find(db: &Db, org_id: &str, id: &AbsenceId, family_id: &FamilyId) -> ApiResult<Option<AbsenceRow>> {
    db.first(FIND_ABSENCE, &[text(id), text(org_id), text(family_id)]).await
}

pub struct NewAbsence<'a> {
    pub id: &'a AbsenceId,
    pub org_id: &'a str,
    pub student_id: &'a StudentId,
    pub from_at: Timestamp,
    pub to_at: Timestamp,
    pub reason: Option<&'a str>,
    pub first_starts_at: Timestamp,
    pub created_by: &'a str,
}

/// The absence, under `guard` (the customer's session still live: the portal on, access kept).
pub fn insert<'a>(db: &Db, a: &NewAbsence<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    let values = vec![
        text(a.id),
        text(a.org_id),
        text(a.student_id),
        int(a.from_at.millis()),
        int(a.to_at.millis()),
        opt_text(a.reason),
        int(a.first_starts_at.millis()),
        int(now.millis()),
        text(a.created_by),
    ];
    let (tail, args) = guarded(values, Some(guard));
    db.stmt(
        &format!("INSERT INTO absences (id, org_id, student_id, from_at, to_at, reason, first_starts_at, created_at, created_by_label) {tail}"),
        &args,
    )
}

/// One covered meeting, written only if the absence was.
pub fn insert_meeting<'a>(db: &Db, absence: &'a AbsenceId, class_id: &'a ClassId, date: &'a str, starts_at: Timestamp) -> ApiResult<D1PreparedStatement> {
    let guard = Guard { sql: "EXISTS (SELECT 1 FROM absences WHERE id = ?)", args: vec![text(absence)] };
    let (tail, args) = guarded(vec![text(absence), text(class_id), text(date), int(starts_at.millis())], Some(guard));
    db.stmt(&format!("INSERT INTO absence_meetings (absence_id, class_id, date, starts_at) {tail}"), &args)
}

/// Cancels an absence whose first meeting has not started, under `guard`: a cancel racing the
/// meeting's start (or a revoke) changes nothing.
pub fn cancel<'a>(db: &Db, id: &'a AbsenceId, now: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    super::guarded_update(
        db,
        "UPDATE absences SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL AND first_starts_at > ?",
        vec![int(now.millis()), text(id), int(now.millis())],
        guard,
    )
}

#[derive(Deserialize)]
struct OneDay {
    id: EnrollmentId,
    date: String,
}

/// The days of a student's one-day (makeup and pass) enrollments.
pub async fn one_day_dates(db: &Db, student_id: &StudentId) -> ApiResult<Vec<(EnrollmentId, String)>> {
    let rows: Vec<OneDay> = db.all("SELECT id, date FROM enrollments WHERE student_id = ?1 AND date IS NOT NULL", &[text(student_id)]).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.date)).collect())
}
