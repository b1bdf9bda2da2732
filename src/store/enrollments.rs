//! Locations, classes, students, enrollments and enrollment requests.

use super::invitations::guarded_update;
use super::{bool_from_int, flag, guarded, int, opt_text, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::enrollment::{ClassSpec, Day, EnrollmentKind, EnrollmentStatus, RequestKind, RequestStatus, StudentSpec, Weekday};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, GuardianId, RequestId, StudentId};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use worker::D1PreparedStatement;

/// A location as the JSON API shows it, too.
#[derive(Debug, Deserialize, Serialize)]
pub struct LocationRow {
    pub id: String,
    pub name: String,
}

pub async fn insert_location(db: &Db, id: &str, org_id: &str, name: &str, now: Timestamp) -> ApiResult<()> {
    db.run(
        "INSERT INTO locations (id, org_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[text(id), text(org_id), text(name), int(now.millis())],
    )
    .await?;
    Ok(())
}

pub const LOCATIONS: &str = "SELECT id, name FROM locations WHERE org_id = ?1 ORDER BY name, id";

pub async fn locations(db: &Db, org_id: &str) -> ApiResult<Vec<LocationRow>> {
    db.all(LOCATIONS, &[text(org_id)]).await
}

pub async fn find_location(db: &Db, org_id: &str, id: &str) -> ApiResult<Option<LocationRow>> {
    db.first("SELECT id, name FROM locations WHERE id = ?1 AND org_id = ?2", &[text(id), text(org_id)]).await
}

/// A class with its location and how many hold a place and a waitlist spot in it.
#[derive(Debug, Clone, Deserialize)]
pub struct ClassRow {
    #[serde(flatten)]
    pub class: ClassDescription,
    pub capacity: i64,
    #[serde(deserialize_with = "bool_from_int")]
    pub waitlist: bool,
    pub enrolled: i64,
    pub waitlisted: i64,
}

macro_rules! class_select {
    () => {
        "SELECT c.id AS class_id, c.name AS class_name, c.location_id, l.name AS location_name, c.days, c.start_time, \
           c.end_time, c.start_date, c.end_date, c.capacity, c.waitlist, \
           (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id AND e.status = 'active' AND e.date IS NULL) AS enrolled, \
           (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id AND e.status = 'waitlisted' AND e.date IS NULL) AS waitlisted \
         FROM classes c JOIN locations l ON l.id = c.location_id"
    };
}

pub const CLASSES: &str = concat!(class_select!(), " WHERE c.org_id = ?1 ORDER BY c.start_date, c.name, c.id");
pub const OPEN_CLASSES: &str =
    concat!(class_select!(), " WHERE c.org_id = ?1 AND c.end_date >= ?2 ORDER BY c.start_date, c.name, c.id");
pub const FIND_CLASS: &str = concat!(class_select!(), " WHERE c.id = ?1 AND c.org_id = ?2");

impl ClassRow {
    pub fn id(&self) -> &ClassId {
        &self.class.class_id
    }
    pub fn name(&self) -> &str {
        &self.class.class_name
    }
}

pub async fn classes(db: &Db, org_id: &str, open_on: Option<Day>) -> ApiResult<Vec<ClassRow>> {
    match open_on {
        Some(today) => db.all(OPEN_CLASSES, &[text(org_id), text(&today.to_string())]).await,
        None => db.all(CLASSES, &[text(org_id)]).await,
    }
}

pub async fn find_class(db: &Db, org_id: &str, id: &ClassId) -> ApiResult<Option<ClassRow>> {
    db.first(FIND_CLASS, &[text(id), text(org_id)]).await
}

fn days_json(days: &[Weekday]) -> String {
    serde_json::to_string(days).unwrap_or_else(|_| "[]".into())
}

/// A class's columns in the order `INSERT_CLASS` and `UPDATE_CLASS` take them.
fn class_args<'a>(id: &'a str, org_id: &'a str, c: &'a ClassSpec, text_values: &'a [String; 3], now: Timestamp) -> Vec<Arg<'a>> {
    let [start_date, end_date, days] = text_values;
    vec![
        text(id),
        text(org_id),
        text(&c.location_id),
        text(&c.name),
        text(days),
        text(&c.start_time),
        text(&c.end_time),
        text(start_date),
        text(end_date),
        int(c.capacity),
        flag(c.waitlist),
        int(now.millis()),
    ]
}

const INSERT_CLASS: &str = "INSERT INTO classes (id, org_id, location_id, name, days, start_time, end_time, start_date, \
       end_date, capacity, waitlist, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)";
const UPDATE_CLASS: &str = "UPDATE classes SET location_id = ?3, name = ?4, days = ?5, start_time = ?6, end_time = ?7, \
       start_date = ?8, end_date = ?9, capacity = ?10, waitlist = ?11, updated_at = ?12 WHERE id = ?1 AND org_id = ?2";

/// Writes a class: a new one (`existing` false) or a new description of one.
pub async fn save_class(db: &Db, id: &ClassId, org_id: &str, c: &ClassSpec, existing: bool, now: Timestamp) -> ApiResult<()> {
    let text_values = [c.start_date.to_string(), c.end_date.to_string(), days_json(&c.days)];
    let sql = if existing { UPDATE_CLASS } else { INSERT_CLASS };
    db.run(sql, &class_args(id, org_id, c, &text_values, now)).await?;
    Ok(())
}

/// A student, as the JSON API shows one too (its keys in the order the answers have always had).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StudentRow {
    pub birth_date: String,
    pub family_id: FamilyId,
    pub first_name: String,
    pub id: StudentId,
    pub last_name: String,
}

impl StudentRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

pub const FAMILY_STUDENTS: &str = "SELECT id, family_id, first_name, last_name, birth_date FROM students \
     WHERE family_id = ?1 ORDER BY last_name, first_name, id";
/// `?3`: only within this family (NULL: any of the organization's).
pub const FIND_STUDENT: &str = "SELECT id, family_id, first_name, last_name, birth_date FROM students \
     WHERE id = ?1 AND org_id = ?2 AND (?3 IS NULL OR family_id = ?3)";

pub async fn family_students(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<StudentRow>> {
    db.all(FAMILY_STUDENTS, &[text(family_id)]).await
}

/// A student of this organization (and of `family`, if given); any other is simply not found.
pub async fn find_student(db: &Db, org_id: &str, id: &StudentId, family: Option<&FamilyId>) -> ApiResult<Option<StudentRow>> {
    db.first(FIND_STUDENT, &[text(id), text(org_id), opt_text(family.map(|f| &f[..]))]).await
}

/// A new student; under `guard` if given (a customer's: their session still live).
#[allow(clippy::too_many_arguments)]
pub fn insert_student<'a>(
    db: &Db,
    id: &'a StudentId,
    org_id: &'a str,
    family_id: &'a FamilyId,
    s: &'a StudentSpec,
    birth_date: &'a str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let values = vec![
        text(id),
        text(org_id),
        text(family_id),
        text(&s.first_name),
        text(&s.last_name),
        text(birth_date),
        int(now.millis()),
        int(now.millis()),
    ];
    let (tail, args) = guarded(values, guard);
    db.stmt(
        &format!("INSERT INTO students (id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at) {tail}"),
        &args,
    )
}

/// A student's new description; under `guard` if given.
pub fn update_student<'a>(
    db: &Db,
    id: &'a StudentId,
    s: &'a StudentSpec,
    birth_date: &'a str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let sql = "UPDATE students SET first_name = ?, last_name = ?, birth_date = ?, updated_at = ? WHERE id = ?";
    let args = vec![text(&s.first_name), text(&s.last_name), text(birth_date), int(now.millis()), text(id)];
    match guard {
        Some(g) => guarded_update(db, sql, args, g),
        None => db.stmt(sql, &args),
    }
}

/// An enrollment with its class (and location) and its pending request, if any.
#[derive(Debug, Clone, Deserialize)]
pub struct EnrollmentRow {
    pub id: EnrollmentId,
    pub family_id: FamilyId,
    pub student_id: StudentId,
    pub status: EnrollmentStatus,
    pub kind: EnrollmentKind,
    /// The one day of a `makeup` or `pass` enrollment (None: a regular one).
    pub date: Option<String>,
    pub enrolled_at: i64,
    pub ended_at: Option<i64>,
    #[serde(flatten)]
    pub class: ClassDescription,
    pub pending_request_id: Option<RequestId>,
    pub pending_request_kind: Option<RequestKind>,
}

/// What every read of a class shows: its name, place and times (id and name prefixed `class_`,
/// so that an enrollment row can carry them beside its own).
#[derive(Debug, Clone, Deserialize)]
pub struct ClassDescription {
    pub class_id: ClassId,
    pub class_name: String,
    pub location_id: String,
    pub location_name: String,
    /// A JSON array of weekdays.
    pub days: String,
    pub start_time: String,
    pub end_time: String,
    pub start_date: String,
    pub end_date: String,
}

macro_rules! enrollment_select {
    () => {
        "SELECT e.id, e.family_id, e.student_id, e.status, e.kind, e.date, e.enrolled_at, e.ended_at, \
           c.id AS class_id, c.name AS class_name, c.location_id, l.name AS location_name, c.days, c.start_time, \
           c.end_time, c.start_date, c.end_date, r.id AS pending_request_id, r.kind AS pending_request_kind \
         FROM enrollments e JOIN classes c ON c.id = e.class_id JOIN locations l ON l.id = c.location_id \
         LEFT JOIN enrollment_requests r ON r.enrollment_id = e.id AND r.status = 'pending'"
    };
}

pub const STUDENT_ENROLLMENTS: &str =
    concat!(enrollment_select!(), " WHERE e.student_id = ?1 AND e.family_id = ?2 ORDER BY e.enrolled_at, e.id");
/// `?3`: only within this family (NULL: any of the organization's).
pub const FIND_ENROLLMENT: &str =
    concat!(enrollment_select!(), " WHERE e.id = ?1 AND e.org_id = ?2 AND (?3 IS NULL OR e.family_id = ?3)");
/// Every enrollment of a family in one read (My Account's Your Student(s), instead of one per student).
pub const FAMILY_ENROLLMENTS: &str = concat!(enrollment_select!(), " WHERE e.family_id = ?1 ORDER BY e.enrolled_at, e.id");

pub async fn student_enrollments(db: &Db, student: &StudentRow) -> ApiResult<Vec<EnrollmentRow>> {
    db.all(STUDENT_ENROLLMENTS, &[text(&student.id), text(&student.family_id)]).await
}

pub async fn family_enrollments(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<EnrollmentRow>> {
    db.all(FAMILY_ENROLLMENTS, &[text(family_id)]).await
}

/// An enrollment of this organization (and of `family`, if given); any other is not found.
pub async fn find_enrollment(db: &Db, org_id: &str, id: &EnrollmentId, family: Option<&FamilyId>) -> ApiResult<Option<EnrollmentRow>> {
    db.first(FIND_ENROLLMENT, &[text(id), text(org_id), opt_text(family.map(|f| &f[..]))]).await
}

/// Who enrolled a student: staff or a guardian, named as the history shows them.
pub struct EnrolledBy<'a> {
    pub kind: &'a str,
    pub label: &'a str,
}

/// The places a new regular enrollment would share: the class's live regular enrollments plus its
/// busiest coming day of one-day visits (makeups, passes), which hold a place on their date only.
macro_rules! places_taken {
    () => {
        "((SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id AND e.status = 'active' AND e.date IS NULL) \
          + COALESCE((SELECT COUNT(*) FROM enrollments d WHERE d.class_id = c.id AND d.status = 'active' AND d.date >= ?10 \
              GROUP BY d.date ORDER BY COUNT(*) DESC LIMIT 1), 0))"
    };
}

/// The place-or-waitlist rule of `portal_core::enrollment::placement`, inside the insert: the count
/// is read by the statement that writes, and D1 runs one statement at a time, so two families
/// racing for the last place cannot both get it. Nothing is inserted when the class has ended, or
/// is full and keeps no waitlist. Parameters: id, org, family, student, class, kind, now, by kind,
/// by label, today.
pub const ENROLL: &str = concat!(
    "INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, enrolled_at, \
       enrolled_by_kind, enrolled_by_label, last_change_id) \
     SELECT ?1, ?2, ?3, ?4, c.id, \
       CASE WHEN ", places_taken!(), " < c.capacity THEN 'active' ELSE 'waitlisted' END, \
       ?6, ?7, ?8, ?9, ?1 \
     FROM classes c WHERE c.id = ?5 AND c.org_id = ?2 AND c.end_date >= ?10 \
       AND (c.waitlist = 1 OR ", places_taken!(), " < c.capacity)"
);

#[allow(clippy::too_many_arguments)]
pub fn enroll<'a>(
    db: &Db,
    id: &'a EnrollmentId,
    org_id: &'a str,
    family_id: &'a FamilyId,
    student_id: &'a StudentId,
    class_id: &'a ClassId,
    kind: EnrollmentKind,
    by: &EnrolledBy<'a>,
    now: Timestamp,
    today: &'a str,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let args: Vec<Arg<'_>> = vec![
        text(id),
        text(org_id),
        text(family_id),
        text(student_id),
        text(class_id),
        text(kind.as_str()),
        int(now.millis()),
        text(by.kind),
        text(by.label),
        text(today),
    ];
    match guard {
        Some(g) => guarded_update(db, ENROLL, args, g),
        None => db.stmt(ENROLL, &args),
    }
}

/// True once the enrollment `id` exists: later statements of an enrolling batch guard on it.
pub fn enrollment_made(id: &EnrollmentId) -> Guard<'_> {
    Guard { sql: "EXISTS (SELECT 1 FROM enrollments WHERE id = ?)", args: vec![text(id)] }
}

/// Ends an enrollment (`from` is the status it must still have), guarded.
#[allow(clippy::too_many_arguments)]
pub fn end_enrollment<'a>(
    db: &Db,
    id: &'a EnrollmentId,
    from: EnrollmentStatus,
    to: EnrollmentStatus,
    transferred_to: Option<&'a EnrollmentId>,
    change_id: &'a str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let sql = "UPDATE enrollments SET status = ?, ended_at = ?, transferred_to_id = ?, last_change_id = ? \
               WHERE id = ? AND status = ?";
    let args = vec![text(to.as_str()), int(now.millis()), opt_text(transferred_to.map(|t| &t[..])), text(change_id), text(id), text(from.as_str())];
    match guard {
        Some(g) => guarded_update(db, sql, args, g),
        None => db.stmt(sql, &args),
    }
}

/// True while the enrollment was last changed by this change.
pub fn enrollment_changed_by<'a>(id: &'a EnrollmentId, change_id: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM enrollments WHERE id = ? AND last_change_id = ?)", args: vec![text(id), text(change_id)] }
}

/// A request with what a list shows: the student, the classes, who asked and who decided.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestRow {
    pub id: RequestId,
    pub family_id: FamilyId,
    pub family_name: String,
    /// The enrollment a drop or transfer is about; a makeup's once approved (None before).
    pub enrollment_id: Option<EnrollmentId>,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub reason: Option<String>,
    pub effective_date: Option<String>,
    /// A makeup's day.
    pub date: Option<String>,
    pub requested_by_id: GuardianId,
    pub requested_by_label: String,
    pub requested_at: i64,
    pub decided_by_label: Option<String>,
    pub decided_at: Option<i64>,
    pub note: Option<String>,
    pub outcome: Option<String>,
    pub student_id: StudentId,
    pub student_first_name: String,
    pub student_last_name: String,
    /// The enrolled class a drop or transfer leaves (None for a makeup).
    pub from_class_id: Option<ClassId>,
    pub from_class_name: Option<String>,
    /// A transfer's new class, or a makeup's class.
    pub to_class_id: Option<ClassId>,
    pub to_class_name: Option<String>,
}

macro_rules! request_select {
    () => {
        "SELECT r.id, r.family_id, f.name AS family_name, r.enrollment_id, r.kind, r.status, r.reason, r.effective_date, r.date, \
           r.requested_by_id, r.requested_by_label, r.requested_at, r.decided_by_label, r.decided_at, r.note, r.outcome, \
           s.id AS student_id, s.first_name AS student_first_name, s.last_name AS student_last_name, \
           fc.id AS from_class_id, fc.name AS from_class_name, tc.id AS to_class_id, tc.name AS to_class_name \
         FROM enrollment_requests r JOIN students s ON s.id = r.student_id \
         LEFT JOIN enrollments e ON e.id = r.enrollment_id AND r.kind != 'makeup' LEFT JOIN classes fc ON fc.id = e.class_id \
         JOIN families f ON f.id = r.family_id LEFT JOIN classes tc ON tc.id = r.to_class_id"
    };
}

pub const ORG_REQUESTS: &str = concat!(request_select!(), " WHERE r.org_id = ?1 ORDER BY r.requested_at DESC, r.id LIMIT 500");
pub const ORG_REQUESTS_BY_STATUS: &str =
    concat!(request_select!(), " WHERE r.org_id = ?1 AND r.status = ?2 ORDER BY r.requested_at DESC, r.id LIMIT 500");
pub const FAMILY_REQUESTS: &str = concat!(request_select!(), " WHERE r.family_id = ?1 ORDER BY r.requested_at DESC, r.id");
pub const FIND_REQUEST: &str = concat!(request_select!(), " WHERE r.id = ?1 AND r.org_id = ?2");

pub async fn org_requests(db: &Db, org_id: &str, status: Option<RequestStatus>) -> ApiResult<Vec<RequestRow>> {
    match status {
        Some(s) => db.all(ORG_REQUESTS_BY_STATUS, &[text(org_id), text(s.as_str())]).await,
        None => db.all(ORG_REQUESTS, &[text(org_id)]).await,
    }
}

pub async fn family_requests(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<RequestRow>> {
    db.all(FAMILY_REQUESTS, &[text(family_id)]).await
}

pub async fn find_request(db: &Db, org_id: &str, id: &RequestId) -> ApiResult<Option<RequestRow>> {
    db.first(FIND_REQUEST, &[text(id), text(org_id)]).await
}

pub struct NewRequest<'a> {
    pub id: &'a RequestId,
    pub org_id: &'a str,
    pub family_id: &'a FamilyId,
    pub student_id: &'a StudentId,
    pub enrollment_id: &'a EnrollmentId,
    pub kind: RequestKind,
    pub to_class_id: Option<&'a ClassId>,
    pub reason: Option<&'a str>,
    pub effective_date: Option<&'a str>,
    pub requested_by_id: &'a str,
    pub requested_by_label: &'a str,
}

/// A pending request; the unique index refuses a second one for the same enrollment. Under `guard`
/// (the customer's session still live).
pub fn insert_request<'a>(db: &Db, r: &NewRequest<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    let values = vec![
        text(r.id),
        text(r.org_id),
        text(r.family_id),
        text(r.student_id),
        text(r.enrollment_id),
        text(r.kind.as_str()),
        opt_text(r.to_class_id.map(|c| &c[..])),
        opt_text(r.reason),
        opt_text(r.effective_date),
        text(r.requested_by_id),
        text(r.requested_by_label),
        int(now.millis()),
        text(r.id),
    ];
    let (tail, args) = guarded(values, Some(guard));
    db.stmt(
        &format!(
            "INSERT INTO enrollment_requests (id, org_id, family_id, student_id, enrollment_id, kind, to_class_id, reason, effective_date, \
               requested_by_id, requested_by_label, requested_at, last_change_id) {tail}"
        ),
        &args,
    )
}

/// Decides a pending request (only if still pending): the first statement of a deciding batch.
#[allow(clippy::too_many_arguments)]
pub fn decide_request(
    db: &Db,
    id: &RequestId,
    status: RequestStatus,
    decided_by: &str,
    note: Option<&str>,
    outcome: Option<&str>,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE enrollment_requests SET status = ?2, decided_by_label = ?3, decided_at = ?4, note = ?5, outcome = ?6, \
           last_change_id = ?7 WHERE id = ?1 AND status = 'pending'",
        &[text(id), text(status.as_str()), text(decided_by), int(now.millis()), opt_text(note), opt_text(outcome), text(change_id)],
    )
}

/// Undoes a decision that could not be carried out (an approved transfer whose class filled).
pub fn reopen_request(db: &Db, id: &RequestId, change_id: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE enrollment_requests SET status = 'pending', decided_by_label = NULL, decided_at = NULL, note = NULL, \
           outcome = NULL WHERE id = ?1 AND last_change_id = ?2",
        &[text(id), text(change_id)],
    )
}

/// True while the request was last changed by this change.
pub fn request_changed_by<'a>(id: &'a RequestId, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM enrollment_requests WHERE id = ? AND last_change_id = ?)",
        args: vec![text(id), text(change_id)],
    }
}
