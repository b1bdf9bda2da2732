//! Future absences: a family reports that a student will miss class (by date or by enrollment),
//! lists the ones still to come, and cancels one before it starts; staff see a day's absences and
//! each on the attendance sheet. Customer writes: the option, the permission to manage the
//! student, and the session guard (so the portal switch, read in D1) decide.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::attendance::parse_date;
use crate::commands::enrollments::{enrollment_not_found, Family};
use crate::commands::require_live;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::absences::{self as store, AbsenceRow, NewAbsence};
use crate::store::enrollments as enrollment_store;
use crate::store::sessions::still_live;
use crate::store::won;
use portal_core::absence::{by_date, by_enrollment, may_cancel, parse_reason, parse_time, AbsenceError, AttendedClass, CoveredMeeting};
use portal_core::enrollment::EnrollmentStatus;
use portal_core::ids::{AbsenceId, ClassId, EnrollmentId, FamilyId, StudentId};
use portal_core::schedule::ClassSchedule;
use portal_core::settings::PortalOptions;
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};

pub fn absence_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::AbsenceNotFound, "There is no such absence.")
}

/// What a family reports.
#[derive(Debug, Deserialize)]
#[serde(tag = "by", rename_all = "lowercase", deny_unknown_fields)]
pub enum NewAbsenceInput {
    /// A span (RFC 3339 date-times: a few hours can be meant).
    Date { from: String, to: String, reason: Option<String> },
    /// One class on one date.
    Enrollment { enrollment_id: EnrollmentId, date: String, reason: Option<String> },
}

#[derive(Debug, Deserialize, Serialize)]
pub struct CoveredView {
    pub class_id: ClassId,
    #[serde(skip_serializing)]
    pub class_name: String,
    pub date: String,
}

#[derive(Debug, Serialize)]
pub struct StudentRef {
    pub first_name: String,
    pub id: StudentId,
    pub last_name: String,
}

#[derive(Debug, Serialize)]
pub struct FamilyRef {
    pub id: FamilyId,
    pub name: String,
}

/// A reported absence as families see it (`student_id`) and staff see it (with student and family).
#[derive(Debug, Serialize)]
pub struct AbsenceView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<FamilyRef>,
    pub from: String,
    pub id: AbsenceId,
    pub meetings: Vec<CoveredView>,
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student: Option<StudentRef>,
    pub student_id: StudentId,
    pub to: String,
    /// Its first meeting has not started: the family may still cancel it.
    #[serde(skip)]
    pub cancellable: bool,
}

impl AbsenceView {
    fn of(row: AbsenceRow, staff: bool, now: Timestamp) -> ApiResult<AbsenceView> {
        let meetings: Vec<CoveredView> = serde_json::from_str(&row.meetings).map_err(ApiError::internal)?;
        Ok(AbsenceView {
            family: staff.then(|| FamilyRef { id: row.family_id.clone(), name: row.family_name.clone() }),
            from: Timestamp(row.from_at).to_rfc3339(),
            id: row.id,
            meetings,
            reason: row.reason,
            student: staff.then(|| StudentRef { first_name: row.first_name.clone(), id: row.student_id.clone(), last_name: row.last_name.clone() }),
            student_id: row.student_id,
            to: Timestamp(row.to_at).to_rfc3339(),
            cancellable: now.millis() < row.first_starts_at,
        })
    }

    /// "Swim 1 on 2026-03-09, Swim 1 on 2026-03-11": what the pages list.
    pub fn meetings_words(&self) -> String {
        self.meetings.iter().map(|m| format!("{} on {}", m.class_name, m.date)).collect::<Vec<_>>().join(", ")
    }

    pub fn student_name(&self) -> String {
        self.student.as_ref().map(|s| format!("{} {}", s.first_name, s.last_name)).unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
pub struct AbsenceList {
    pub absences: Vec<AbsenceView>,
}

/// Staff: every future absence covering a meeting on `date`.
pub async fn on_day(app: &App, org: &OrgContext, date: &str) -> ApiResult<AbsenceList> {
    let day = parse_date(date, "date")?.to_string();
    let rows = store::day_absences(&app.db, &org.id, &day).await?;
    let absences = rows.into_iter().map(|r| AbsenceView::of(r, true, app.now())).collect::<ApiResult<_>>()?;
    Ok(AbsenceList { absences })
}

/// Every family's absences still to come, from one read (My Account).
pub struct FamilyAbsences(Vec<AbsenceView>);

impl FamilyAbsences {
    pub async fn load(app: &App, family: &FamilyId) -> ApiResult<FamilyAbsences> {
        let rows = store::family_absences(&app.db, family, app.now()).await?;
        Ok(FamilyAbsences(rows.into_iter().map(|r| AbsenceView::of(r, false, app.now())).collect::<ApiResult<_>>()?))
    }

    pub fn of(&self, student: &StudentId) -> Vec<&AbsenceView> {
        self.0.iter().filter(|a| a.student_id == *student).collect()
    }
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp(t.timestamp_millis())
}

impl Family<'_> {
    fn may_report_absences(&self, options: &PortalOptions) -> ApiResult<()> {
        if !options.allow_future_absences {
            return Err(AbsenceError::Disabled.into());
        }
        if self.may_manage().is_err() {
            return Err(AbsenceError::NotPermitted.into());
        }
        Ok(())
    }

    /// A student's absences still to come; every guardian who can log in reads them.
    pub async fn student_absences(&self, app: &App, options: &PortalOptions, id: &StudentId) -> ApiResult<AbsenceList> {
        if !options.allow_future_absences {
            return Err(AbsenceError::Disabled.into());
        }
        let student = self.student(app, id).await?;
        let rows = store::student_absences(&app.db, &student.id, app.now()).await?;
        Ok(AbsenceList { absences: rows.into_iter().map(|r| AbsenceView::of(r, false, app.now())).collect::<ApiResult<_>>()? })
    }

    /// Reports an absence: the meetings it covers are found now and written with it in one batch.
    pub async fn report_absence(&self, app: &App, options: &PortalOptions, id: &StudentId, input: NewAbsenceInput) -> ApiResult<AbsenceView> {
        self.may_report_absences(options)?;
        let student = self.student(app, id).await?;
        let tz = &options.time_zone;
        let now = app.now().to_datetime();
        let enrollments = enrollment_store::student_enrollments(&app.db, &student).await?;
        let live: Vec<_> = enrollments.iter().filter(|e| e.status == EnrollmentStatus::Active).collect();
        let schedules = live
            .iter()
            .map(|e| ClassSchedule::parse(&e.class.days, &e.class.start_time, &e.class.end_time, &e.class.start_date, &e.class.end_date).map_err(ApiError::internal))
            .collect::<ApiResult<Vec<_>>>()?;
        let days = store::one_day_dates(&app.db, &student.id).await?;
        let attended = |i: usize| AttendedClass {
            class: i,
            schedule: &schedules[i],
            only_on: days.iter().find(|(e, _)| *e == live[i].id).and_then(|(_, d)| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        };
        let (from, to, reason, covered): (_, _, _, Vec<CoveredMeeting<usize>>) = match input {
            NewAbsenceInput::Date { from, to, reason } => {
                let (from, to) = (parse_time(&from, "from")?, parse_time(&to, "to")?);
                let classes: Vec<_> = (0..live.len()).map(attended).collect();
                (from, to, reason, by_date(from, to, now, &classes, tz)?)
            }
            NewAbsenceInput::Enrollment { enrollment_id, date, reason } => {
                let date = parse_date(&date, "date")?;
                let i = live.iter().position(|e| e.id == enrollment_id).ok_or_else(|| {
                    if enrollments.iter().any(|e| e.id == enrollment_id) { AbsenceError::NotCurrent.into() } else { enrollment_not_found() }
                })?;
                let one = by_enrollment(attended(i), live[i].class.class_name.as_str(), date, now, tz)?;
                (one.meeting.starts_at, one.meeting.ends_at, reason, vec![one])
            }
        };
        let reason = parse_reason(reason.as_deref())?;
        let absence_id = AbsenceId(new_id("abs")?);
        let first = covered.iter().map(|c| c.meeting.starts_at).min().unwrap_or(from);
        let by = self.guardian_label();
        let new = NewAbsence {
            id: &absence_id,
            org_id: &self.org.id,
            student_id: &student.id,
            from_at: stamp(from),
            to_at: stamp(to),
            reason: reason.as_deref(),
            first_starts_at: stamp(first),
            created_by: &by,
        };
        let dates: Vec<String> = covered.iter().map(|c| c.meeting.date.to_string()).collect();
        let mut statements = vec![store::insert(&app.db, &new, app.now(), still_live(self.session_id, app.now()))?];
        for (c, date) in covered.iter().zip(&dates) {
            statements.push(store::insert_meeting(&app.db, &absence_id, &live[c.class].class.class_id, date, stamp(c.meeting.starts_at))?);
        }
        let results = app.db.batch(statements).await?;
        if !won(&results, 0)? {
            require_live(app, self.session_id).await?;
            return Err(ApiError::internal("an absence was not written"));
        }
        let row = store::find(&app.db, &self.org.id, &absence_id, &self.id).await?.ok_or_else(absence_not_found)?;
        AbsenceView::of(row, false, app.now())
    }

    /// Cancels an absence of this family before its first meeting starts (409 `absence_started`).
    pub async fn cancel_absence(&self, app: &App, options: &PortalOptions, id: &AbsenceId) -> ApiResult<()> {
        self.may_report_absences(options)?;
        let row = store::find(&app.db, &self.org.id, id, &self.id).await?.ok_or_else(absence_not_found)?;
        may_cancel(Timestamp(row.first_starts_at).to_datetime(), app.now().to_datetime())?;
        let results = app.db.batch(vec![store::cancel(&app.db, id, app.now(), still_live(self.session_id, app.now()))?]).await?;
        if !won(&results, 0)? {
            require_live(app, self.session_id).await?;
            // Still live: the meeting started (or another cancel won) meanwhile.
            return Err(AbsenceError::Started.into());
        }
        Ok(())
    }

    fn guardian_label(&self) -> String {
        format!("{} {}", self.guardian.first_name, self.guardian.last_name)
    }
}
