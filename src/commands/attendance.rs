//! Attendance: the sheet of a class meeting (everyone enrolled that day, their mark, a future
//! absence the family reported), staff marking it in one batch, and a student's marks as the
//! family reads them (when the organization shows attendance). Every date is a date in the
//! organization's time zone; the meeting comes from `schedule::ClassSchedule`, the one place that
//! computes meetings.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{class_not_found, Family};
use crate::commands::evaluations::ClassRef;
use crate::error::{ApiError, ApiResult};
use crate::store::attendance::{self as store, org_time_zone, Mark, SheetRow};
use crate::store::enrollments::{self as enrollment_store, ClassRow};
use portal_core::attendance::{check_marks, on_sheet, AttendanceError, AttendanceStatus, EnrollmentSpan};
use portal_core::enrollment::{EnrollmentKind, EnrollmentStatus};
use portal_core::ids::{AbsenceId, AttendanceId, ClassId, EnrollmentId, StudentId};
use portal_core::schedule::{ClassSchedule, Meeting};
use portal_core::settings::PortalOptions;
use portal_core::time::Timestamp;
use portal_core::time_zone::OrgTimeZone;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A date the API takes: `YYYY-MM-DD`.
pub fn parse_date(s: &str, field: &str) -> ApiResult<NaiveDate> {
    let bad = || ApiError::invalid_field(field, format!("{field} must be a date, YYYY-MM-DD."));
    if s.len() != 10 {
        return Err(bad());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp(t.timestamp_millis())
}

/// Today in the organization's time zone.
pub async fn org_today(app: &App, org: &OrgContext) -> ApiResult<NaiveDate> {
    Ok(org_time_zone(&app.db, &org.id).await?.today(app.now().to_datetime()))
}

pub fn schedule_of(class: &ClassRow) -> ApiResult<ClassSchedule> {
    let c = &class.class;
    ClassSchedule::parse(&c.days, &c.start_time, &c.end_time, &c.start_date, &c.end_date).map_err(ApiError::internal)
}

/// A future absence on the sheet.
#[derive(Debug, Serialize)]
pub struct AbsenceNote {
    pub id: AbsenceId,
    pub reason: Option<String>,
}

/// A student on the sheet: the enrollment that put them there, their mark if taken.
#[derive(Debug, Serialize)]
pub struct SheetEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absence: Option<AbsenceNote>,
    pub enrollment_id: EnrollmentId,
    pub first_name: String,
    pub kind: EnrollmentKind,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AttendanceStatus>,
    pub student_id: StudentId,
}

impl SheetEntry {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn is(&self, status: &AttendanceStatus) -> bool {
        self.status == Some(*status)
    }

    pub fn kind_words(&self) -> &'static str {
        match self.kind {
            EnrollmentKind::Regular => "Enrolled",
            EnrollmentKind::Makeup => "Makeup",
            EnrollmentKind::Pass => "Pass visit",
        }
    }
}

/// A class meeting's attendance sheet.
#[derive(Debug, Serialize)]
pub struct Sheet {
    pub class_id: ClassId,
    pub date: String,
    pub students: Vec<SheetEntry>,
}

/// The meeting of a class on a date, if it meets then.
async fn meeting(app: &App, org: &OrgContext, class_id: &ClassId, date: NaiveDate) -> ApiResult<(ClassRow, Option<Meeting>)> {
    let class = enrollment_store::find_class(&app.db, &org.id, class_id).await?.ok_or_else(class_not_found)?;
    let tz = org_time_zone(&app.db, &org.id).await?;
    let meeting = schedule_of(&class)?.meeting_on(date, &tz);
    Ok((class, meeting))
}

/// Who is on the sheet of a meeting: each student once (by the first enrollment that puts them there).
fn entries(rows: Vec<SheetRow>, m: &Meeting) -> Vec<SheetEntry> {
    let date = m.date.format("%Y-%m-%d").to_string();
    let mut out: Vec<SheetEntry> = Vec::new();
    for r in rows {
        let span = EnrollmentSpan {
            kind: r.kind,
            status: r.status,
            enrolled_at: Timestamp(r.enrolled_at),
            ended_at: r.ended_at.map(Timestamp),
            date: r.date.as_deref(),
        };
        if !on_sheet(&span, &date, stamp(m.starts_at), stamp(m.ends_at)) || out.iter().any(|e| e.student_id == r.student_id) {
            continue;
        }
        out.push(SheetEntry {
            absence: r.absence_id.map(|id| AbsenceNote { id, reason: r.absence_reason }),
            enrollment_id: r.enrollment_id,
            first_name: r.first_name,
            kind: r.kind,
            last_name: r.last_name,
            status: r.mark,
            student_id: r.student_id,
        });
    }
    out
}

fn not_meeting(class: &ClassRow, date: NaiveDate) -> ApiError {
    AttendanceError::ClassNotMeeting { class: class.name().to_string(), date: date.to_string() }.into()
}

/// The sheet of a class on a date (its meeting need not have started: staff see who is coming).
pub async fn sheet(app: &App, org: &OrgContext, class_id: &ClassId, date: NaiveDate) -> ApiResult<Sheet> {
    let (class, meeting) = meeting(app, org, class_id, date).await?;
    let m = meeting.ok_or_else(|| not_meeting(&class, date))?;
    let date = date.to_string();
    let rows = store::sheet(&app.db, class_id, &date).await?;
    Ok(Sheet { class_id: class_id.clone(), students: entries(rows, &m), date })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkInput {
    pub student_id: StudentId,
    pub status: AttendanceStatus,
}

/// Staff mark a started meeting: every record in one batch (a student marked again keeps the
/// newest mark). 422 for a date the class does not meet, a meeting not yet started, a student not
/// on the sheet.
pub async fn mark(app: &App, org: &OrgContext, marked_by: &str, class_id: &ClassId, date: NaiveDate, records: &[MarkInput]) -> ApiResult<Sheet> {
    let (class, meeting) = meeting(app, org, class_id, date).await?;
    let day = date.to_string();
    let rows = match &meeting {
        Some(_) => store::sheet(&app.db, class_id, &day).await?,
        None => Vec::new(),
    };
    let on = meeting.as_ref().map(|m| entries(rows, m)).unwrap_or_default();
    let find = |id: &str| on.iter().find(|e| &e.student_id[..] == id);
    check_marks(
        class.name(),
        &day,
        meeting.as_ref().map(|m| stamp(m.starts_at)),
        app.now(),
        records.iter().map(|r| &r.student_id[..]),
        |id| find(id).map(|e| e.enrollment_id.to_string()),
        |id| find(id).map(SheetEntry::full_name).unwrap_or_else(|| format!("Student {id}")),
    )?;
    let ids = records.iter().map(|_| new_id("att").map(AttendanceId)).collect::<ApiResult<Vec<_>>>()?;
    let mut statements = Vec::new();
    for (r, id) in records.iter().zip(&ids) {
        let Some(entry) = find(&r.student_id) else { continue };
        let m = Mark {
            id,
            org_id: &org.id,
            class_id,
            date: &day,
            student_id: &r.student_id,
            enrollment_id: &entry.enrollment_id,
            status: r.status,
            marked_by,
        };
        statements.push(store::upsert(&app.db, &m, app.now())?);
    }
    if !statements.is_empty() {
        app.db.batch(statements).await?;
    }
    sheet(app, org, class_id, date).await
}

/// A mark as the family reads it.
#[derive(Debug, Serialize)]
pub struct Record {
    pub date: String,
    pub status: AttendanceStatus,
}

/// One enrollment's marks, newest first.
#[derive(Debug, Serialize)]
pub struct EnrollmentAttendance {
    pub class: ClassRef,
    pub enrollment_id: EnrollmentId,
    pub records: Vec<Record>,
}

/// A student's attendance: current enrollments, and past ones (folded on the page).
#[derive(Debug, Default, Serialize)]
pub struct StudentAttendance {
    pub current: Vec<EnrollmentAttendance>,
    pub past: Vec<EnrollmentAttendance>,
}

/// Every student's attendance in a family, from two reads (My Account).
pub struct FamilyAttendance(Vec<(StudentId, StudentAttendance)>);

impl FamilyAttendance {
    pub async fn load(app: &App, family: &Family<'_>, tz: &OrgTimeZone) -> ApiResult<FamilyAttendance> {
        let (enrollments, marks) = store::family_attendance(&app.db, &family.id).await?;
        let today = tz.today(app.now().to_datetime()).to_string();
        let mut students: Vec<(StudentId, StudentAttendance)> = Vec::new();
        for e in &enrollments {
            let records: Vec<Record> =
                marks.iter().filter(|m| m.enrollment_id == e.id).map(|m| Record { date: m.date.clone(), status: m.status }).collect();
            let current = match &e.date {
                Some(day) => *day >= today,
                None => e.status == EnrollmentStatus::Active && e.end_date >= today,
            };
            let entry = EnrollmentAttendance { class: ClassRef { id: e.class_id.clone(), name: e.class_name.clone() }, enrollment_id: e.id.clone(), records };
            let at = match students.iter().position(|(id, _)| *id == e.student_id) {
                Some(i) => i,
                None => {
                    students.push((e.student_id.clone(), StudentAttendance::default()));
                    students.len() - 1
                }
            };
            let lists = &mut students[at].1;
            if current { lists.current.push(entry) } else { lists.past.push(entry) }
        }
        Ok(FamilyAttendance(students))
    }

    pub fn of(&self, student: &StudentId) -> Option<&StudentAttendance> {
        self.0.iter().find(|(id, _)| id == student).map(|(_, a)| a)
    }

    fn take(mut self, student: &StudentId) -> StudentAttendance {
        match self.0.iter().position(|(id, _)| id == student) {
            Some(i) => self.0.swap_remove(i).1,
            None => StudentAttendance::default(),
        }
    }
}

impl Family<'_> {
    /// Every guardian who can log in reads it, while the organization shows attendance.
    pub async fn student_attendance(&self, app: &App, options: &PortalOptions, id: &StudentId) -> ApiResult<StudentAttendance> {
        if !options.show_attendance {
            return Err(AttendanceError::Disabled.into());
        }
        let student = self.student(app, id).await?;
        Ok(FamilyAttendance::load(app, self, &options.time_zone).await?.take(&student.id))
    }
}
