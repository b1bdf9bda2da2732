//! How classes, students, enrollments and requests look, to staff and families alike: the JSON API
//! serializes these views and the pages read their fields (and the words below). Keys are declared
//! in alphabetical order, the order the JSON answers have always had.

use crate::store::enrollments::{ClassDescription, ClassRow, EnrollmentRow, LocationRow, RequestRow, StudentRow};
use portal_core::enrollment::{
    enrollment_actions, Day, EnrollmentKind, EnrollmentStatus, RequestKind, RequestOptions, RequestStatus, Weekday,
};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, RequestId, StudentId};
use portal_core::time::Timestamp;
use serde::Serialize;

/// The stored JSON array of a class's weekdays (written by `store::enrollments`, so it reads back).
fn weekdays(stored: &str) -> Vec<Weekday> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// "Mon, Wed": a class's days as the pages write them.
fn days_words(days: &[Weekday]) -> String {
    let word = |d: &Weekday| match d {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    };
    days.iter().map(word).collect::<Vec<_>>().join(", ")
}

fn ended(end_date: &str, today: Day) -> bool {
    Day::parse(end_date, "end_date").is_ok_and(|end| end < today)
}

fn rfc3339(millis: i64) -> String {
    Timestamp(millis).to_rfc3339()
}

/// A class with its capacity and counts (staff lists, the classes a family may pick from).
#[derive(Debug, Serialize)]
pub struct ClassView {
    pub capacity: i64,
    pub days: Vec<Weekday>,
    pub end_date: String,
    pub end_time: String,
    pub enrolled: i64,
    pub id: ClassId,
    pub location: LocationRow,
    pub name: String,
    /// Not yet ended.
    pub open: bool,
    pub start_date: String,
    pub start_time: String,
    pub waitlist: bool,
    pub waitlisted: i64,
}

impl ClassView {
    pub fn of(c: ClassRow, today: Day) -> ClassView {
        let EnrolledClass { days, end_date, end_time, id, location, name, start_date, start_time } = EnrolledClass::of(c.class);
        ClassView {
            capacity: c.capacity,
            days,
            open: !ended(&end_date, today),
            end_date,
            end_time,
            enrolled: c.enrolled,
            id,
            location,
            name,
            start_date,
            start_time,
            waitlist: c.waitlist,
            waitlisted: c.waitlisted,
        }
    }

    /// Where and when, for someone choosing a class.
    pub fn when(&self) -> String {
        let (location, days) = (&self.location.name, days_words(&self.days));
        format!("{location}, {days} {}–{}, from {}", self.start_time, self.end_time, self.start_date)
    }

    /// How many places are left, or what a full class does.
    pub fn seats(&self) -> String {
        match ((self.capacity - self.enrolled).max(0), self.waitlist) {
            (0, true) => format!("Full: joins the waitlist ({} waiting)", self.waitlisted),
            (0, false) => "Full".into(),
            (1, _) => "1 place left".into(),
            (n, _) => format!("{n} places left"),
        }
    }
}

/// The class of an enrollment: its name, place and times.
#[derive(Debug, Serialize)]
pub struct EnrolledClass {
    pub days: Vec<Weekday>,
    pub end_date: String,
    pub end_time: String,
    pub id: ClassId,
    pub location: LocationRow,
    pub name: String,
    pub start_date: String,
    pub start_time: String,
}

impl EnrolledClass {
    fn of(c: ClassDescription) -> EnrolledClass {
        EnrolledClass {
            days: weekdays(&c.days),
            end_date: c.end_date,
            end_time: c.end_time,
            id: c.class_id,
            location: LocationRow { id: c.location_id, name: c.location_name },
            name: c.class_name,
            start_date: c.start_date,
            start_time: c.start_time,
        }
    }

    pub fn when(&self) -> String {
        let days = days_words(&self.days);
        format!("{days} {}–{}, {} to {}", self.start_time, self.end_time, self.start_date, self.end_date)
    }
}

#[derive(Debug, Serialize)]
pub struct PendingRequest {
    pub id: RequestId,
    pub kind: RequestKind,
}

/// An enrollment as the viewer sees it, with the requests they may make of it now (`actions`).
#[derive(Debug, Serialize)]
pub struct EnrollmentView {
    pub actions: Vec<&'static str>,
    pub class: EnrolledClass,
    /// The one day of a makeup or pass visit; absent for a regular enrollment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub ended_at: Option<String>,
    pub enrolled_at: String,
    pub id: EnrollmentId,
    pub kind: EnrollmentKind,
    pub pending_request: Option<PendingRequest>,
    /// As seen: a place in a class that has ended reads as completed.
    pub status: EnrollmentStatus,
    pub student_id: StudentId,
}

impl EnrollmentView {
    pub fn of(e: &EnrollmentRow, options: RequestOptions, may_manage: bool, today: Day) -> EnrollmentView {
        // A one-day visit (makeup, pass) ends with its day; a regular place with its class.
        let last_day = e.date.as_deref().unwrap_or(&e.class.end_date);
        let seen = match Day::parse(last_day, "end_date") {
            Ok(end) => e.status.as_seen(end, today),
            Err(_) => e.status,
        };
        // A visit is not dropped or transferred: it is one day.
        let may_request = may_manage && e.date.is_none();
        EnrollmentView {
            actions: enrollment_actions(options, seen, e.pending_request_id.is_some(), may_request),
            class: EnrolledClass::of(e.class.clone()),
            date: e.date.clone(),
            ended_at: e.ended_at.map(rfc3339),
            enrolled_at: rfc3339(e.enrolled_at),
            id: e.id.clone(),
            kind: e.kind,
            pending_request: e.pending_request_id.clone().zip(e.pending_request_kind).map(|(id, kind)| PendingRequest { id, kind }),
            status: seen,
            student_id: e.student_id.clone(),
        }
    }

    pub fn offers(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    pub fn status_words(&self) -> &'static str {
        match self.status {
            EnrollmentStatus::Active => "Enrolled",
            EnrollmentStatus::Waitlisted => "Waitlisted",
            EnrollmentStatus::Dropped => "Dropped",
            EnrollmentStatus::Transferred => "Transferred",
            EnrollmentStatus::Completed => "Completed",
        }
    }

    pub fn pending_words(&self) -> Option<&'static str> {
        self.pending_request.as_ref().map(|p| match p.kind {
            RequestKind::Drop => "Drop requested: waiting for the office",
            RequestKind::Transfer => "Transfer requested: waiting for the office",
            RequestKind::Makeup => "Makeup requested: waiting for the office",
        })
    }
}

/// A student's enrollments split as My Account shows them.
#[derive(Debug, Default, Serialize)]
pub struct EnrollmentLists {
    pub current: Vec<EnrollmentView>,
    pub past: Vec<EnrollmentView>,
    pub waitlist: Vec<EnrollmentView>,
}

impl EnrollmentLists {
    pub fn push(&mut self, e: EnrollmentView) {
        match e.status {
            EnrollmentStatus::Active => self.current.push(e),
            EnrollmentStatus::Waitlisted => self.waitlist.push(e),
            _ => self.past.push(e),
        }
    }

    /// The three lists as the seed names them: (summary, when empty, open at first, list).
    pub fn groups(&self) -> [(&'static str, &'static str, bool, &[EnrollmentView]); 3] {
        [
            ("View Current Enrollments", "No current enrollments.", true, &self.current),
            ("Show/Hide Waitlist Enrollments", "Not on any waitlist.", !self.waitlist.is_empty(), &self.waitlist),
            ("Show/Hide Past Enrollments", "No past enrollments.", false, &self.past),
        ]
    }
}

#[derive(Debug, Serialize)]
pub struct ClassName {
    pub id: ClassId,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct StudentName {
    pub first_name: String,
    pub id: StudentId,
    pub last_name: String,
}

/// A family by id and name (the family a request came from).
#[derive(Debug)]
pub struct FamilyName {
    pub id: FamilyId,
    pub name: String,
}

/// A drop, transfer or makeup request, with who asked and who decided. A makeup names its
/// `class` and `date` (and no `from_class`; its `enrollment_id` is the visit its approval made).
#[derive(Debug, Serialize)]
pub struct RequestView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ClassName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub effective_date: Option<String>,
    pub enrollment_id: Option<EnrollmentId>,
    /// The family that asked, for the Office Portal's Requests page (not in the JSON contract).
    #[serde(skip)]
    pub family: FamilyName,
    pub from_class: Option<ClassName>,
    pub id: RequestId,
    pub kind: RequestKind,
    pub note: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub requested_at: String,
    pub requested_by: String,
    pub status: RequestStatus,
    pub student: StudentName,
    pub to_class: Option<ClassName>,
}

impl RequestView {
    pub fn of(r: RequestRow) -> RequestView {
        let to_class = r.to_class_id.zip(r.to_class_name).map(|(id, name)| ClassName { id, name });
        let (class, to_class) = if r.kind == RequestKind::Makeup { (to_class, None) } else { (None, to_class) };
        RequestView {
            class,
            date: r.date,
            decided_at: r.decided_at.map(rfc3339),
            decided_by: r.decided_by_label,
            effective_date: r.effective_date,
            enrollment_id: r.enrollment_id,
            family: FamilyName { id: r.family_id, name: r.family_name },
            from_class: r.from_class_id.zip(r.from_class_name).map(|(id, name)| ClassName { id, name }),
            id: r.id,
            kind: r.kind,
            note: r.note,
            outcome: r.outcome,
            reason: r.reason,
            requested_at: rfc3339(r.requested_at),
            requested_by: r.requested_by_label,
            status: r.status,
            student: StudentName { first_name: r.student_first_name, id: r.student_id, last_name: r.student_last_name },
            to_class,
        }
    }

    /// "Drop Mia Lee from Level 1 on 2026-12-31", "Transfer Mia Lee from Level 1 to Level 2",
    /// "Makeup for Mia Lee in Level 1 on 2026-12-07".
    pub fn what(&self) -> String {
        let student = format!("{} {}", self.student.first_name, self.student.last_name);
        let name = |c: &Option<ClassName>| c.as_ref().map(|c| c.name.clone()).unwrap_or_default();
        let from = name(&self.from_class);
        match (self.kind, &self.to_class) {
            (RequestKind::Makeup, _) => format!("Makeup for {student} in {} on {}", name(&self.class), self.date.as_deref().unwrap_or_default()),
            (_, Some(to)) => format!("Transfer {student} from {from} to {}", to.name),
            (_, None) => format!("Drop {student} from {from}") + &self.effective_date.as_ref().map(|d| format!(" on {d}")).unwrap_or_default(),
        }
    }

    pub fn status_words(&self) -> &'static str {
        match self.status {
            RequestStatus::Pending => "Pending",
            RequestStatus::Approved => "Approved",
            RequestStatus::Denied => "Denied",
        }
    }

    pub fn is_pending(&self) -> bool {
        self.status == RequestStatus::Pending
    }
}

/// A student in My Account, with their enrollments.
#[derive(Debug, Serialize)]
pub struct StudentCard {
    pub enrollments: EnrollmentLists,
    pub student: StudentRow,
}

/// What the Your Student(s) section of My Account shows.
#[derive(Debug, Serialize)]
pub struct StudentsSection {
    pub may_manage: bool,
    pub requests: Vec<RequestView>,
    pub students: Vec<StudentCard>,
    /// Why the viewer sees no write actions.
    pub why_not: Option<String>,
}

/// A family's students and requests as staff see them (the Office Portal's Students page).
#[derive(Debug, Serialize)]
pub struct FamilyStudents {
    pub requests: Vec<RequestView>,
    pub students: Vec<StudentCard>,
}
