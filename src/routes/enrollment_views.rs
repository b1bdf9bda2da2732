//! How classes, students, enrollments and requests look in JSON, to staff and to families alike.

use crate::store::enrollments::{ClassRow, EnrollmentClass, EnrollmentRow, RequestRow, StudentRow};
use portal_core::enrollment::{enrollment_actions, Day, EnrollmentStatus, RequestOptions};
use portal_core::time::Timestamp;
use serde_json::{json, Value};

fn days(stored: &str) -> Value {
    serde_json::from_str(stored).unwrap_or(Value::Array(vec![]))
}

fn ended(end_date: &str, today: Day) -> bool {
    Day::parse(end_date, "end_date").is_ok_and(|end| end < today)
}

pub fn class_json(c: &ClassRow, today: Day) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "location": { "id": c.location_id, "name": c.location_name },
        "days": days(&c.days),
        "start_time": c.start_time,
        "end_time": c.end_time,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "capacity": c.capacity,
        "waitlist": c.waitlist != 0,
        "enrolled": c.enrolled,
        "waitlisted": c.waitlisted,
        "open": !ended(&c.end_date, today),
    })
}

fn enrollment_class_json(c: &EnrollmentClass) -> Value {
    json!({
        "id": c.class_id,
        "name": c.class_name,
        "location": { "id": c.location_id, "name": c.location_name },
        "days": days(&c.days),
        "start_time": c.start_time,
        "end_time": c.end_time,
        "start_date": c.start_date,
        "end_date": c.end_date,
    })
}

pub fn student_json(s: &StudentRow) -> Value {
    json!({
        "id": s.id,
        "family_id": s.family_id,
        "first_name": s.first_name,
        "last_name": s.last_name,
        "birth_date": s.birth_date,
    })
}

/// What the viewer sees of an enrollment: a place in a class that has ended reads as completed.
pub fn seen_status(e: &EnrollmentRow, today: Day) -> EnrollmentStatus {
    match Day::parse(&e.class.end_date, "end_date") {
        Ok(end) => e.status.as_seen(end, today),
        Err(_) => e.status,
    }
}

pub fn enrollment_json(e: &EnrollmentRow, options: RequestOptions, may_manage: bool, today: Day) -> Value {
    let seen = seen_status(e, today);
    json!({
        "id": e.id,
        "student_id": e.student_id,
        "class": enrollment_class_json(&e.class),
        "status": seen,
        "kind": e.kind,
        "enrolled_at": Timestamp(e.enrolled_at).to_rfc3339(),
        "ended_at": e.ended_at.map(|t| Timestamp(t).to_rfc3339()),
        "pending_request": e.pending_request_id.as_ref().map(|id| json!({ "id": id, "kind": e.pending_request_kind })),
        "actions": enrollment_actions(options, seen, e.pending_request_id.is_some(), may_manage),
    })
}

/// A student's enrollments split as My Account shows them.
pub fn enrollments_json(rows: &[EnrollmentRow], options: RequestOptions, may_manage: bool, today: Day) -> Value {
    let (mut current, mut waitlist, mut past) = (vec![], vec![], vec![]);
    for e in rows {
        let list = match seen_status(e, today) {
            EnrollmentStatus::Active => &mut current,
            EnrollmentStatus::Waitlisted => &mut waitlist,
            _ => &mut past,
        };
        list.push(enrollment_json(e, options, may_manage, today));
    }
    json!({ "current": current, "waitlist": waitlist, "past": past })
}

pub fn request_json(r: &RequestRow) -> Value {
    json!({
        "id": r.id,
        "kind": r.kind,
        "status": r.status,
        "enrollment_id": r.enrollment_id,
        "student": { "id": r.student_id, "first_name": r.student_first_name, "last_name": r.student_last_name },
        "from_class": { "id": r.from_class_id, "name": r.from_class_name },
        "to_class": r.to_class_id.as_ref().map(|id| json!({ "id": id, "name": r.to_class_name })),
        "reason": r.reason,
        "effective_date": r.effective_date,
        "requested_by": r.requested_by_label,
        "requested_at": Timestamp(r.requested_at).to_rfc3339(),
        "decided_by": r.decided_by_label,
        "decided_at": r.decided_at.map(|t| Timestamp(t).to_rfc3339()),
        "note": r.note,
        "outcome": r.outcome,
    })
}
