//! Makeup requests, the `requests` makeup mode: a family asks for a student to attend one class on
//! one date; staff approve it (a one-day `makeup` enrollment, guarded like every visit so a class
//! never overfills) or deny it, through the requests queue and its e-mails. The family sees its
//! requests and its Past Makeups.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{class_not_found, decision_notices, find_request, EnrollmentLists, EnrollmentView, Family, RequestView};
use crate::commands::{guarded_effects, require_live};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::enrollments::{self as enrollment_store, enrollment_made, request_changed_by, EnrolledBy, RequestRow, StudentRow};
use crate::store::makeup_requests::{self as store, NewMakeupRequest};
use crate::store::one_day::{insert_visit, NewVisit};
use crate::store::sessions::still_live;
use crate::store::{audit, won};
use chrono::NaiveDate;
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::enrollment::{may_decide, EnrollmentKind, EnrollmentStatus, RequestKind, RequestOptions, RequestStatus};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, RequestId, StudentId};
use portal_core::makeup_request::{may_request, parse_reason, MakeupRequestError};
use portal_core::one_day::{check_visit, parse_date};
use portal_core::schedule::ClassSchedule;
use portal_core::settings::PortalOptions;
use serde::Serialize;

/// A student's makeups in the `requests` mode (API.md: `GET /students/{id}/makeups`).
#[derive(Debug, Serialize)]
pub struct MakeupRequests {
    pub mode: &'static str,
    /// Makeup enrollments whose date has passed (Past Makeups), latest first.
    pub past: Vec<EnrollmentView>,
    /// The student's makeup requests, newest first.
    pub requests: Vec<RequestView>,
}

fn entry(requester: &Requester, action: &str, student: &StudentId, label: String, family_id: &FamilyId, reason: Option<String>) -> AuditEntry {
    AuditEntry::in_family(requester.actor(), action, "student", student, label, family_id, reason)
}

/// The class, if the student may visit it on `date` (a day it meets, not passed).
async fn class_meeting(app: &App, org_id: &str, class_id: &ClassId, date: NaiveDate, today: NaiveDate) -> ApiResult<enrollment_store::ClassRow> {
    let class = enrollment_store::find_class(&app.db, org_id, class_id).await?.ok_or_else(class_not_found)?;
    let c = &class.class;
    let schedule = ClassSchedule::parse(&c.days, &c.start_time, &c.end_time, &c.start_date, &c.end_date).map_err(ApiError::internal)?;
    check_visit(class.name(), &schedule, date, today)?;
    Ok(class)
}

/// 409 `already_enrolled` when the student already holds a place in the class that day (a
/// regular place, or a visit).
async fn not_already_there(app: &App, student: &StudentRow, class_id: &ClassId, class: &str, day: &str) -> ApiResult<()> {
    let held = enrollment_store::student_enrollments(&app.db, student).await?.into_iter().any(|e| {
        e.class.class_id == *class_id && e.status == EnrollmentStatus::Active && e.date.as_deref().is_none_or(|d| d == day)
    });
    if held {
        return Err(ApiError::conflict(ErrorCode::AlreadyEnrolled, format!("{} already has a place in {class} on {day}.", student.full_name())));
    }
    Ok(())
}

impl Family<'_> {
    /// A student's makeup requests and Past Makeups (403 `makeups_disabled` unless the
    /// organization's makeup mode is `requests`).
    pub async fn makeup_requests(&self, app: &App, options: &PortalOptions, student_id: &StudentId) -> ApiResult<MakeupRequests> {
        may_request(options.makeups)?;
        let student = self.student(app, student_id).await?;
        let today = options.time_zone.today(app.now().to_datetime()).to_string();
        let requests = self.requests(app).await?.into_iter().filter(|r| r.kind == RequestKind::Makeup && r.student.id == student.id).collect();
        let mut past: Vec<EnrollmentView> = enrollment_store::student_enrollments(&app.db, &student)
            .await?
            .iter()
            .filter(|e| e.kind == EnrollmentKind::Makeup && e.date.as_deref().is_some_and(|d| d < today.as_str()))
            .map(|e| EnrollmentView::of(e, RequestOptions::default(), false, portal_core::enrollment::Day::of(app.now())))
            .collect();
        past.sort_by(|a, b| b.date.cmp(&a.date));
        Ok(MakeupRequests { mode: "requests", past, requests })
    }

    /// Asks for a makeup: refused unless the mode is `requests`, for a guardian who may not manage
    /// enrollments, and while the portal is off (the session guard reads the switch).
    pub async fn request_makeup(
        &self,
        app: &App,
        options: &PortalOptions,
        student_id: &StudentId,
        class_id: &ClassId,
        date: &str,
        reason: Option<&str>,
    ) -> ApiResult<RequestView> {
        may_request(options.makeups)?;
        self.may_manage_visits()?;
        let student = self.student(app, student_id).await?;
        let date = parse_date(date)?;
        let reason = parse_reason(reason)?;
        let class = class_meeting(app, &self.org.id, class_id, date, options.time_zone.today(app.now().to_datetime())).await?;
        let day = date.to_string();
        not_already_there(app, &student, class.id(), class.name(), &day).await?;

        let id = RequestId(new_id("req")?);
        let requester = Requester::Guardian(self.guardian.clone());
        let actor = requester.actor();
        let new = NewMakeupRequest {
            id: &id,
            org_id: &self.org.id,
            family_id: &self.id,
            student_id: &student.id,
            class_id: class.id(),
            date: &day,
            reason: reason.as_deref(),
            requested_by_id: actor.id.as_deref().unwrap_or(""),
            requested_by_label: &actor.label,
        };
        let label = format!("{} in {} on {day}", student.full_name(), class.name());
        let asked = entry(&requester, "makeup_requested", &student.id, label, &self.id, reason.clone());
        let live = || still_live(self.session_id, app.now());
        let statements = vec![store::insert(&app.db, &new, app.now(), live())?, audit::insert(&app.db, &self.org.id, &asked, app.now(), Some(live()))?];
        match app.db.batch(statements).await {
            Ok(results) if !won(&results, 0)? => require_live(app, self.session_id).await?,
            Ok(_) => {}
            // The unique index: the same makeup asked for a moment ago.
            Err(e) => {
                let pending = self.requests(app).await?.into_iter().any(|r| {
                    r.kind == RequestKind::Makeup
                        && r.is_pending()
                        && r.student.id == student.id
                        && r.class.as_ref().is_some_and(|c| &c.id == class.id())
                        && r.date.as_deref() == Some(day.as_str())
                });
                return Err(if pending {
                    MakeupRequestError::AlreadyRequested { student: student.full_name(), class: class.name().to_string(), date: day }.into()
                } else {
                    e
                });
            }
        }
        find_request(app, self.org, &id).await
    }
}

/// Staff decide a pending makeup request (`requests::decide` sends it here). Approving makes the
/// one-day `makeup` enrollment in the same batch, only while a place is left that day; if none is,
/// nothing is kept, the request stays pending, and the answer is 409 `class_full`. The family is
/// e-mailed the outcome as for a drop or transfer.
pub(crate) async fn decide(
    app: &App,
    org: &OrgContext,
    staff: &Requester,
    request: &RequestRow,
    approve: bool,
    note: Option<String>,
) -> ApiResult<RequestView> {
    let missing = || ApiError::internal("a makeup request without its class or date");
    let class_id = request.to_class_id.as_ref().ok_or_else(missing)?;
    let day = request.date.as_deref().ok_or_else(missing)?;
    let student = enrollment_store::find_student(&app.db, &org.id, &request.student_id, None).await?.ok_or_else(missing)?;
    let class_name = request.to_class_name.clone().unwrap_or_default();
    if approve {
        let zone = crate::store::organizations::time_zone(&app.db, &org.id).await?.ok_or_else(|| ApiError::internal("the organization row is gone"))?;
        let today = zone.today(app.now().to_datetime());
        class_meeting(app, &org.id, class_id, parse_date(day)?, today).await?;
        not_already_there(app, &student, class_id, &class_name, day).await?;
    }
    let change_id = new_id("chg")?;
    let status = if approve { RequestStatus::Approved } else { RequestStatus::Denied };
    let actor = staff.actor();
    let visit_id = EnrollmentId(new_id("enr")?);
    let visit = NewVisit {
        id: &visit_id,
        org_id: &org.id,
        family_id: &request.family_id,
        student_id: &request.student_id,
        class_id,
        kind: EnrollmentKind::Makeup,
        date: day,
        by: EnrolledBy { kind: actor.kind.as_str(), label: &actor.label },
    };
    let mut statements =
        vec![enrollment_store::decide_request(&app.db, &request.id, status, &actor.label, note.as_deref(), None, &change_id, app.now())?];
    if approve {
        statements.push(insert_visit(&app.db, &visit, app.now(), request_changed_by(&request.id, &change_id))?);
        statements.push(store::link_enrollment(&app.db, &request.id, &visit_id, enrollment_made(&visit_id))?);
    }
    let student_name = student.full_name();
    let label = format!("{student_name} in {class_name} on {day}");
    let action = if approve { "makeup_request_approved" } else { "makeup_request_denied" };
    let decided = entry(staff, action, &request.student_id, label, &request.family_id, note.clone());
    let notices = decision_notices(app, org, request, &student_name, RequestKind::Makeup.as_str(), approve, None, note).await?;
    // An approval is told (and audited) only if the class took the student that day.
    let effects_guard = || if approve { enrollment_made(&visit_id) } else { request_changed_by(&request.id, &change_id) };
    let fx = guarded_effects(app, &org.id, &[decided], &notices, effects_guard)?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        let now = enrollment_store::find_request(&app.db, &org.id, &request.id).await?.ok_or_else(crate::commands::enrollments::request_not_found)?;
        may_decide(now.status)?;
        return Err(ApiError::conflict(ErrorCode::ConcurrentChange, "The request changed while this was being done. Reload it and try again."));
    }
    if approve && !won(&results, 1)? {
        app.db.batch(vec![enrollment_store::reopen_request(&app.db, &request.id, &change_id)?]).await?;
        return Err(ApiError::conflict(ErrorCode::ClassFull, format!("{class_name} is full on {day}.")));
    }
    app.enqueue(&fx.outbox_ids).await;
    find_request(app, org, &request.id).await
}

/// My Account's Makeups of each student in the `requests` mode, read from what Your Student(s)
/// already loaded (the family's requests, each student's enrollments): no query of its own.
#[derive(Debug)]
pub struct MakeupRequestsSection {
    /// The viewer may Request a Makeup (the primary, or a guardian they allow).
    pub may_request: bool,
    /// Today in the organization's time zone: a makeup before it is a Past Makeup.
    today: String,
}

impl MakeupRequestsSection {
    /// None unless the organization's makeup mode is `requests` (the section is then absent).
    pub fn of(app: &App, family: &Family<'_>, options: &PortalOptions) -> Option<MakeupRequestsSection> {
        may_request(options.makeups).ok()?;
        let today = options.time_zone.today(app.now().to_datetime()).to_string();
        Some(MakeupRequestsSection { may_request: family.may_manage().is_ok(), today })
    }

    /// A student's makeup requests, newest first.
    pub fn requests_of<'a>(&self, requests: &'a [RequestView], student: &StudentId) -> Vec<&'a RequestView> {
        requests.iter().filter(|r| r.kind == RequestKind::Makeup && &r.student.id == student).collect()
    }

    /// Past Makeups: the student's makeup enrollments whose date has passed, latest first.
    pub fn past_of<'a>(&self, lists: &'a EnrollmentLists) -> Vec<&'a EnrollmentView> {
        let mut past: Vec<&EnrollmentView> = lists
            .current
            .iter()
            .chain(&lists.past)
            .filter(|e| e.kind == EnrollmentKind::Makeup && e.date.as_deref().is_some_and(|d| d < self.today.as_str()))
            .collect();
        past.sort_by(|a, b| b.date.cmp(&a.date));
        past
    }
}
