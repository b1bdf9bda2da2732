//! Students, classes and enrollments: staff keep locations and classes; staff and families add
//! students and enroll them; families ask to drop or transfer (staff decide) and cancel a waitlist
//! spot. Each write is one D1 batch with its audit rows and e-mails. Answers are the views of
//! `views`, which the JSON API serializes and the pages read.

pub mod views;

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::{primary_contact, OrgContext};
use crate::commands::{guarded_effects, require_live};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::enrollments::{
    self as store, enrollment_changed_by, enrollment_made, request_changed_by, ClassRow, EnrolledBy, EnrollmentRow, NewRequest,
    RequestRow,
};
/// Locations and students are shown as they are stored.
pub use crate::store::enrollments::{LocationRow, StudentRow};
use crate::store::families;
use crate::store::sessions::still_live;
use crate::store::{audit, won};
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::enrollment::{ClassPatch, check_drop_date, 
    may_cancel_waitlist, may_decide, may_manage_enrollments, may_request_drop, may_request_transfer, placement, ClassFacts,
    ClassInput, ClassSpec, Day, EnrollmentError, EnrollmentKind, EnrollmentStatus, RequestKind, RequestOptions, RequestStatus,
    StudentSpec,
};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, RequestId, StudentId};
use portal_core::notification::Notification;
pub use crate::context::Family;
pub use views::{ClassView, EnrollmentLists, EnrollmentView, FamilyStudents, RequestView, StudentCard, StudentsSection};

pub fn class_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::ClassNotFound, "There is no such class.")
}
pub fn student_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::StudentNotFound, "There is no such student.")
}
pub fn enrollment_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::EnrollmentNotFound, "There is no such enrollment.")
}
pub fn request_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::RequestNotFound, "There is no such request.")
}

pub fn today(app: &App) -> Day {
    Day::of(app.now())
}

fn entry(requester: &Requester, action: &str, kind: &str, id: &str, label: String, family_id: &FamilyId, reason: Option<String>) -> AuditEntry {
    AuditEntry::in_family(requester.actor(), action, kind, id, label, family_id, reason)
}

pub async fn add_location(app: &App, org: &OrgContext, name: &str) -> ApiResult<LocationRow> {
    let name = portal_core::enrollment::parse_location_name(name)?;
    let id = new_id("loc")?;
    store::insert_location(&app.db, &id, &org.id, &name, app.now()).await?;
    Ok(LocationRow { id, name })
}

pub async fn locations(app: &App, org: &OrgContext) -> ApiResult<Vec<LocationRow>> {
    store::locations(&app.db, &org.id).await
}

/// The organization's classes; `open_only`: those not yet ended.
pub async fn classes(app: &App, org: &OrgContext, open_only: bool) -> ApiResult<Vec<ClassView>> {
    let today = today(app);
    let rows = store::classes(&app.db, &org.id, open_only.then_some(today)).await?;
    Ok(rows.into_iter().map(|c| ClassView::of(c, today)).collect())
}

/// Creates a class (`id` None) or replaces one's description; its location must be the
/// organization's.
/// A PATCH of a class: what the patch names changes, the rest is kept as stored.
pub async fn patch_class(app: &App, org: &OrgContext, id: &ClassId, patch: ClassPatch) -> ApiResult<ClassView> {
    let stored = store::find_class(&app.db, &org.id, id).await?.ok_or_else(class_not_found)?;
    let class = &stored.class;
    let days = serde_json::from_str(&class.days).map_err(ApiError::internal)?;
    let current = ClassInput {
        name: class.class_name.clone(),
        location_id: class.location_id.clone(),
        days,
        start_time: class.start_time.clone(),
        end_time: class.end_time.clone(),
        start_date: class.start_date.clone(),
        end_date: class.end_date.clone(),
        capacity: stored.capacity,
        waitlist: stored.waitlist,
    };
    save_class(app, org, Some(id), patch.over(current)).await
}

pub async fn save_class(app: &App, org: &OrgContext, id: Option<&ClassId>, input: ClassInput) -> ApiResult<ClassView> {
    let spec = ClassSpec::parse(input)?;
    if store::find_location(&app.db, &org.id, &spec.location_id).await?.is_none() {
        return Err(ApiError::invalid_field("location_id", "location_id names no location of this organization."));
    }
    let id = match id {
        Some(id) => {
            store::find_class(&app.db, &org.id, id).await?.ok_or_else(class_not_found)?;
            store::save_class(&app.db, id, &org.id, &spec, true, app.now()).await?;
            id.clone()
        }
        None => {
            let id = ClassId(new_id("cls")?);
            store::save_class(&app.db, &id, &org.id, &spec, false, app.now()).await?;
            id
        }
    };
    let saved = store::find_class(&app.db, &org.id, &id).await?.ok_or_else(class_not_found)?;
    Ok(ClassView::of(saved, today(app)))
}

/// A student of the organization (staff may name any).
pub async fn find_student(app: &App, org_id: &str, id: &StudentId) -> ApiResult<StudentRow> {
    store::find_student(&app.db, org_id, id, None).await?.ok_or_else(student_not_found)
}

/// A new student of `family_id` (the caller knows the family is the organization's). `session`: a
/// customer's, which must still be live when the batch runs (staff: None).
#[allow(clippy::too_many_arguments)]
pub async fn add_student(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    session: Option<&str>,
    family_id: &FamilyId,
    first_name: &str,
    last_name: &str,
    birth_date: &str,
) -> ApiResult<StudentRow> {
    let spec = StudentSpec::parse(first_name, last_name, birth_date, today(app))?;
    let id = StudentId(new_id("stu")?);
    let label = format!("{} {}", spec.first_name, spec.last_name);
    let added = entry(requester, "student_added", "student", &id, label, family_id, None);
    let birth_date = spec.birth_date.to_string();
    let live = || session.map(|sid| still_live(sid, app.now()));
    let results = app
        .db
        .batch(vec![
            store::insert_student(&app.db, &id, &org.id, family_id, &spec, &birth_date, app.now(), live())?,
            audit::insert(&app.db, &org.id, &added, app.now(), live())?,
        ])
        .await?;
    written_while_live(app, session, &results).await?;
    find_student(app, &org.id, &id).await
}

#[allow(clippy::too_many_arguments)]
async fn edit_student(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    session: Option<&str>,
    student: &StudentRow,
    first_name: Option<&str>,
    last_name: Option<&str>,
    birth_date: Option<&str>,
) -> ApiResult<StudentRow> {
    let spec = StudentSpec::parse(
        first_name.unwrap_or(&student.first_name),
        last_name.unwrap_or(&student.last_name),
        birth_date.unwrap_or(&student.birth_date),
        today(app),
    )?;
    let label = format!("{} {}", spec.first_name, spec.last_name);
    let edited = entry(requester, "student_updated", "student", &student.id, label, &student.family_id, None);
    let birth_date = spec.birth_date.to_string();
    let live = || session.map(|sid| still_live(sid, app.now()));
    let results = app
        .db
        .batch(vec![
            store::update_student(&app.db, &student.id, &spec, &birth_date, app.now(), live())?,
            audit::insert(&app.db, &org.id, &edited, app.now(), live())?,
        ])
        .await?;
    written_while_live(app, session, &results).await?;
    find_student(app, &org.id, &student.id).await
}

/// Staff edit any student of the organization (another organization's is not found): what is
/// given changes, the rest stays, and the student is checked whole as when added.
pub async fn staff_edit_student(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    id: &StudentId,
    first_name: Option<&str>,
    last_name: Option<&str>,
    birth_date: Option<&str>,
) -> ApiResult<StudentRow> {
    let student = find_student(app, &org.id, id).await?;
    edit_student(app, org, requester, None, &student, first_name, last_name, birth_date).await
}

fn facts(class: &ClassRow) -> ApiResult<ClassFacts> {
    Ok(ClassFacts {
        name: class.name().to_string(),
        capacity: class.capacity,
        enrolled: class.enrolled,
        waitlist: class.waitlist,
        end_date: Day::parse(&class.class.end_date, "end_date").map_err(ApiError::internal)?,
    })
}

/// Enrolls a student in a class: a place while there is one, else its waitlist, else 409. The
/// rule runs in the insert itself (`store::enrollments::ENROLL`), so concurrent enrollments cannot
/// overfill a class; the answer says what happened. `session`: a customer's, which must still be
/// live when the insert runs (staff: None); if it ended meanwhile, nothing is written and the
/// answer is 401.
async fn enroll(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    session: Option<&str>,
    student: &StudentRow,
    class_id: &ClassId,
) -> ApiResult<EnrollmentRow> {
    let class = store::find_class(&app.db, &org.id, class_id).await?.ok_or_else(class_not_found)?;
    let already_enrolled = || EnrollmentError::AlreadyEnrolled { student: student.full_name(), class: class.name().to_string() };
    let today = today(app);
    // A full class is no news to a student already in it: say that first.
    if let Err(refused) = placement(&facts(&class)?, today) {
        return Err(if holds_place(app, student, class.id()).await? { already_enrolled().into() } else { refused.into() });
    }
    let id = EnrollmentId(new_id("enr")?);
    let actor = requester.actor();
    let by = EnrolledBy { kind: actor.kind.as_str(), label: &actor.label };
    let day = today.to_string();
    let label = format!("{} in {}", student.full_name(), class.name());
    let enrolled = entry(requester, "student_enrolled", "enrollment", &id, label, &student.family_id, None);
    let enrolling = store::enroll(
        &app.db,
        &id,
        &org.id,
        &student.family_id,
        &student.id,
        class.id(),
        EnrollmentKind::Regular,
        &by,
        app.now(),
        &day,
        session.map(|sid| still_live(sid, app.now())),
    )?;
    let statements = vec![enrolling, audit::insert(&app.db, &org.id, &enrolled, app.now(), Some(enrollment_made(&id)))?];
    if let Err(e) = app.db.batch(statements).await {
        // The unique index: the same student enrolled in the same class a moment ago.
        return Err(if holds_place(app, student, class.id()).await? { already_enrolled().into() } else { e });
    }
    match store::find_enrollment(&app.db, &org.id, &id, None).await? {
        Some(made) => Ok(made),
        // The session ended (a revoke, say) after its check: 401, not a class full.
        // Else filled (or ended) between our read and the insert: say which.
        None => {
            if let Some(sid) = session {
                require_live(app, sid).await?;
            }
            let now = store::find_class(&app.db, &org.id, class_id).await?.ok_or_else(class_not_found)?;
            placement(&facts(&now)?, today)?;
            Err(EnrollmentError::ClassFull(now.name().to_string()).into())
        }
    }
}

impl Family<'_> {
    /// The Primary Guardian, or a guardian they allow: every write below asks this first.
    pub fn may_manage(&self) -> ApiResult<()> {
        Ok(may_manage_enrollments(self.guardian.is_primary, self.can_manage_enrollments)?)
    }

    fn requester(&self) -> Requester {
        Requester::Guardian(self.guardian.clone())
    }

    fn view(&self, e: &EnrollmentRow, today: Day) -> EnrollmentView {
        EnrollmentView::of(e, self.options, self.may_manage().is_ok(), today)
    }

    pub async fn students(&self, app: &App) -> ApiResult<Vec<StudentRow>> {
        store::family_students(&app.db, &self.id).await
    }

    /// A student of this family; any other is not found.
    pub async fn student(&self, app: &App, id: &StudentId) -> ApiResult<StudentRow> {
        store::find_student(&app.db, &self.org.id, id, Some(&self.id)).await?.ok_or_else(student_not_found)
    }

    /// An enrollment of this family; any other is not found.
    async fn enrollment_row(&self, app: &App, id: &EnrollmentId) -> ApiResult<EnrollmentRow> {
        store::find_enrollment(&app.db, &self.org.id, id, Some(&self.id)).await?.ok_or_else(enrollment_not_found)
    }

    pub async fn enrollment(&self, app: &App, id: &EnrollmentId) -> ApiResult<EnrollmentView> {
        Ok(self.view(&self.enrollment_row(app, id).await?, today(app)))
    }

    pub async fn student_enrollments(&self, app: &App, id: &StudentId) -> ApiResult<EnrollmentLists> {
        let student = self.student(app, id).await?;
        let today = today(app);
        let mut lists = EnrollmentLists::default();
        for e in store::student_enrollments(&app.db, &student).await? {
            lists.push(self.view(&e, today));
        }
        Ok(lists)
    }

    pub async fn requests(&self, app: &App) -> ApiResult<Vec<RequestView>> {
        Ok(store::family_requests(&app.db, &self.id).await?.into_iter().map(RequestView::of).collect())
    }

    pub async fn add_student(&self, app: &App, first_name: &str, last_name: &str, birth_date: &str) -> ApiResult<StudentRow> {
        self.may_manage()?;
        add_student(app, self.org, &self.requester(), Some(self.session_id), &self.id, first_name, last_name, birth_date).await
    }

    /// Changes what is given; the rest stays.
    pub async fn edit_student(
        &self,
        app: &App,
        id: &StudentId,
        first_name: Option<&str>,
        last_name: Option<&str>,
        birth_date: Option<&str>,
    ) -> ApiResult<StudentRow> {
        self.may_manage()?;
        let student = self.student(app, id).await?;
        edit_student(app, self.org, &self.requester(), Some(self.session_id), &student, first_name, last_name, birth_date).await
    }

    pub async fn enroll(&self, app: &App, student_id: &StudentId, class_id: &ClassId) -> ApiResult<EnrollmentView> {
        self.may_manage()?;
        let student = self.student(app, student_id).await?;
        let made = enroll(app, self.org, &self.requester(), Some(self.session_id), &student, class_id).await?;
        Ok(self.view(&made, today(app)))
    }

    pub async fn ask(&self, app: &App, enrollment_id: &EnrollmentId, ask: Ask<'_>) -> ApiResult<RequestView> {
        self.may_manage()?;
        let enrollment = self.enrollment_row(app, enrollment_id).await?;
        request_change(app, self.org, &self.requester(), self.session_id, self.options, &enrollment, ask).await
    }

    pub async fn cancel_waitlist(&self, app: &App, enrollment_id: &EnrollmentId) -> ApiResult<EnrollmentView> {
        self.may_manage()?;
        let enrollment = self.enrollment_row(app, enrollment_id).await?;
        let cancelled = cancel_waitlist(app, self.org, &self.requester(), self.session_id, self.options, &enrollment).await?;
        Ok(self.view(&cancelled, today(app)))
    }
}

/// My Account's Your Student(s): three reads for the whole family (its students, all their
/// enrollments, its requests), not one per student.
pub async fn students_section(app: &App, family: &Family<'_>) -> ApiResult<StudentsSection> {
    let may_manage = family.may_manage();
    let today = today(app);
    let students = student_cards(app, &family.id, |e| family.view(e, today)).await?;
    Ok(StudentsSection {
        may_manage: may_manage.is_ok(),
        requests: family.requests(app).await?,
        students,
        why_not: may_manage.err().map(|e| e.message.clone()),
    })
}

/// A family's students, each with their enrollments as `view` shows them: two reads.
async fn student_cards(app: &App, family_id: &FamilyId, view: impl Fn(&EnrollmentRow) -> EnrollmentView) -> ApiResult<Vec<StudentCard>> {
    let students = store::family_students(&app.db, family_id).await?;
    let enrollments = store::family_enrollments(&app.db, family_id).await?;
    Ok(students
        .into_iter()
        .map(|student| {
            let mut lists = EnrollmentLists::default();
            for e in enrollments.iter().filter(|e| e.student_id == student.id) {
                lists.push(view(e));
            }
            StudentCard { enrollments: lists, student }
        })
        .collect())
}

/// The Office Portal's Students page of a family (the caller knows it is the organization's):
/// its students with their enrollments, and its requests. Staff are offered no family actions.
pub async fn family_students(app: &App, family_id: &FamilyId) -> ApiResult<FamilyStudents> {
    let today = today(app);
    let students = student_cards(app, family_id, |e| EnrollmentView::of(e, RequestOptions::default(), false, today)).await?;
    let requests = store::family_requests(&app.db, family_id).await?.into_iter().map(RequestView::of).collect();
    Ok(FamilyStudents { requests, students })
}

/// After a batch whose first statement was guarded on the customer's `session` (None: staff, no
/// guard): if it wrote nothing, 401 when the session ended meanwhile.
async fn written_while_live(app: &App, session: Option<&str>, results: &[worker::D1Result]) -> ApiResult<()> {
    match session {
        Some(sid) if !won(results, 0)? => require_live(app, sid).await,
        _ => Ok(()),
    }
}

/// Whether the student already holds a place or a waitlist spot in the class.
async fn holds_place(app: &App, student: &StudentRow, class_id: &ClassId) -> ApiResult<bool> {
    let live = store::student_enrollments(&app.db, student).await?;
    Ok(live
        .iter()
        .any(|x| &x.class.class_id == class_id && x.date.is_none() && matches!(x.status, EnrollmentStatus::Active | EnrollmentStatus::Waitlisted)))
}

/// What a family asks for.
pub enum Ask<'a> {
    Drop { reason: Option<&'a str>, effective_date: Option<&'a str> },
    Transfer { to_class_id: &'a ClassId, reason: Option<&'a str> },
}

pub(crate) fn optional_text(s: Option<&str>, max: usize, field: &'static str) -> ApiResult<Option<String>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() <= max => Ok(Some(s.to_string())),
        Some(_) => Err(ApiError::invalid_field(field, format!("{field} must be at most {max} characters."))),
    }
}

/// A drop or transfer request, pending until staff decide it. One pending request per enrollment.
async fn request_change(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    session: &str,
    options: RequestOptions,
    enrollment: &EnrollmentRow,
    ask: Ask<'_>,
) -> ApiResult<RequestView> {
    // A one-day visit (makeup, pass) is never dropped or transferred.
    if enrollment.date.is_some() {
        return Err(EnrollmentError::NotCurrent.into());
    }
    let class_end = Day::parse(&enrollment.class.end_date, "end_date").map_err(ApiError::internal)?;
    let seen = enrollment.status.as_seen(class_end, today(app));
    let has_pending = enrollment.pending_request_id.is_some();
    let (kind, to_class, reason, effective_date) = match ask {
        Ask::Drop { reason, effective_date } => {
            may_request_drop(options, seen, has_pending)?;
            let effective = effective_date.filter(|d| !d.is_empty()).map(|d| Day::parse(d, "effective_date")).transpose()?;
            if let Some(day) = effective {
                check_drop_date(day, today(app), class_end)?;
            }
            (RequestKind::Drop, None, optional_text(reason, 500, "reason")?, effective.map(|d| d.to_string()))
        }
        Ask::Transfer { to_class_id, reason } => {
            may_request_transfer(options, seen, has_pending, &enrollment.class.class_id, to_class_id)?;
            let to = store::find_class(&app.db, &org.id, to_class_id).await?.ok_or_else(class_not_found)?;
            if !facts(&to)?.is_open(today(app)) {
                return Err(EnrollmentError::ClassEnded(to.name().to_string()).into());
            }
            (RequestKind::Transfer, Some(to), optional_text(reason, 500, "reason")?, None)
        }
    };
    let id = RequestId(new_id("req")?);
    let actor = requester.actor();
    let what = format!("{}_requested", kind.as_str());
    let student = find_student(app, &org.id, &enrollment.student_id).await?;
    let label = format!("{} in {}", student.full_name(), enrollment.class.class_name);
    let asked = entry(requester, &what, "enrollment", &enrollment.id, label, &enrollment.family_id, reason.clone());
    let new = NewRequest {
        id: &id,
        org_id: &org.id,
        family_id: &enrollment.family_id,
        student_id: &enrollment.student_id,
        enrollment_id: &enrollment.id,
        kind,
        to_class_id: to_class.as_ref().map(|c| c.id()),
        reason: reason.as_deref(),
        effective_date: effective_date.as_deref(),
        requested_by_id: actor.id.as_deref().unwrap_or(""),
        requested_by_label: &actor.label,
    };
    let statements = vec![
        store::insert_request(&app.db, &new, app.now(), still_live(session, app.now()))?,
        audit::insert(&app.db, &org.id, &asked, app.now(), Some(still_live(session, app.now())))?,
    ];
    match app.db.batch(statements).await {
        Ok(results) => written_while_live(app, Some(session), &results).await?,
        Err(e) => {
            // The unique index: another request for this enrollment got there first.
            let now = store::find_enrollment(&app.db, &org.id, &enrollment.id, None).await?;
            return Err(if now.is_some_and(|n| n.pending_request_id.is_some()) { EnrollmentError::RequestPending.into() } else { e });
        }
    }
    find_request(app, org, &id).await
}

/// Cancelling a waitlist spot takes effect at once.
async fn cancel_waitlist(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    session: &str,
    options: RequestOptions,
    enrollment: &EnrollmentRow,
) -> ApiResult<EnrollmentRow> {
    may_cancel_waitlist(options, enrollment.status)?;
    let change_id = new_id("chg")?;
    let student = find_student(app, &org.id, &enrollment.student_id).await?;
    let label = format!("{} in {}", student.full_name(), enrollment.class.class_name);
    let cancelled = entry(requester, "waitlist_cancelled", "enrollment", &enrollment.id, label, &enrollment.family_id, None);
    let results = app
        .db
        .batch(vec![
            store::end_enrollment(
                &app.db,
                &enrollment.id,
                EnrollmentStatus::Waitlisted,
                EnrollmentStatus::Dropped,
                None,
                &change_id,
                app.now(),
                Some(still_live(session, app.now())),
            )?,
            audit::insert(&app.db, &org.id, &cancelled, app.now(), Some(enrollment_changed_by(&enrollment.id, &change_id)))?,
        ])
        .await?;
    if !won(&results, 0)? {
        require_live(app, session).await?;
        return Err(EnrollmentError::NotWaitlisted.into());
    }
    store::find_enrollment(&app.db, &org.id, &enrollment.id, None).await?.ok_or_else(enrollment_not_found)
}

/// Staff approve or deny a pending request, with an optional note. Approving a drop ends the
/// enrollment; approving a transfer ends it and enrolls the student in the new class (a place, or
/// its waitlist; a full class without one refuses the approval and the request stays pending).
/// The guardian who asked, and the primary, are e-mailed the outcome.
/// Staff decide a pending drop or transfer request (`requests::decide` has checked it is pending).
pub(crate) async fn decide_change(app: &App, org: &OrgContext, staff: &Requester, request: &RequestRow, approve: bool, note: Option<String>) -> ApiResult<RequestView> {
    let enrollment_id = request.enrollment_id.as_ref().ok_or_else(|| ApiError::internal("a drop or transfer request without its enrollment"))?;
    let from_class = request.from_class_name.as_deref().unwrap_or_default();
    let change_id = new_id("chg")?;
    let status = if approve { RequestStatus::Approved } else { RequestStatus::Denied };
    let kind = request.kind.as_str();
    let today = today(app);
    let day = today.to_string();
    let actor = staff.actor();
    let by = EnrolledBy { kind: actor.kind.as_str(), label: &actor.label };
    let new_enrollment = EnrollmentId(new_id("enr")?);
    let guard = || request_changed_by(&request.id, &change_id);

    // What approving a transfer will do, for the answer and the e-mail (the insert decides again).
    let mut outcome = None;
    let mut statements = Vec::new();
    if let (true, RequestKind::Transfer, Some(to)) = (approve, request.kind, &request.to_class_id) {
        let to = store::find_class(&app.db, &org.id, to).await?.ok_or_else(class_not_found)?;
        outcome = Some(placement(&facts(&to)?, today)?.as_str());
    }
    statements.push(store::decide_request(&app.db, &request.id, status, &actor.label, note.as_deref(), outcome, &change_id, app.now())?);
    if approve {
        match (request.kind, &request.to_class_id) {
            (RequestKind::Transfer, Some(to)) => {
                statements.push(store::enroll(
                    &app.db,
                    &new_enrollment,
                    &org.id,
                    &request.family_id,
                    &request.student_id,
                    to,
                    EnrollmentKind::Regular,
                    &by,
                    app.now(),
                    &day,
                    Some(guard()),
                )?);
                statements.push(store::end_enrollment(
                    &app.db,
                    enrollment_id,
                    EnrollmentStatus::Active,
                    EnrollmentStatus::Transferred,
                    Some(&new_enrollment),
                    &change_id,
                    app.now(),
                    Some(enrollment_made(&new_enrollment)),
                )?);
            }
            _ => statements.push(store::end_enrollment(
                &app.db,
                enrollment_id,
                EnrollmentStatus::Active,
                EnrollmentStatus::Dropped,
                None,
                &change_id,
                app.now(),
                Some(guard()),
            )?),
        }
    }
    let student = format!("{} {}", request.student_first_name, request.student_last_name);
    let label = format!("{student} in {from_class}");
    let action = format!("{kind}_request_{}", if approve { "approved" } else { "denied" });
    let decided = entry(staff, &action, "enrollment", enrollment_id, label, &request.family_id, note.clone());
    let notices = decision_notices(app, org, request, &student, kind, approve, outcome, note).await?;
    // An approved transfer is told (and audited) only if the new class took the student.
    let transferring = approve && request.kind == RequestKind::Transfer;
    let effects_guard = || if transferring { enrollment_made(&new_enrollment) } else { guard() };
    let fx = guarded_effects(app, &org.id, &[decided], &notices, effects_guard)?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        let now = store::find_request(&app.db, &org.id, &request.id).await?.ok_or_else(request_not_found)?;
        may_decide(now.status)?;
        return Err(ApiError::conflict(ErrorCode::ConcurrentChange, "The request changed while this was being done. Reload it and try again."));
    }
    // A transfer the new class could not take after all (it filled meanwhile) leaves the old
    // enrollment as it was: put the request back to pending and say so.
    if transferring && store::find_enrollment(&app.db, &org.id, &new_enrollment, None).await?.is_none() {
        app.db.batch(vec![store::reopen_request(&app.db, &request.id, &change_id)?]).await?;
        let to = request.to_class_name.clone().unwrap_or_default();
        return Err(EnrollmentError::ClassFull(to).into());
    }
    app.enqueue(&fx.outbox_ids).await;
    find_request(app, org, &request.id).await
}

/// One request of the organization (another organization's id: 404 `request_not_found`).
pub async fn find_request(app: &App, org: &OrgContext, id: &RequestId) -> ApiResult<RequestView> {
    Ok(RequestView::of(store::find_request(&app.db, &org.id, id).await?.ok_or_else(request_not_found)?))
}

/// The organization's requests (the latest 500), of one status or all.
pub async fn requests(app: &App, org: &OrgContext, status: Option<RequestStatus>) -> ApiResult<Vec<RequestView>> {
    Ok(store::org_requests(&app.db, &org.id, status).await?.into_iter().map(RequestView::of).collect())
}

/// Staff enroll whatever the portal switch says.
pub async fn staff_enroll(app: &App, org: &OrgContext, staff: &Requester, student_id: &StudentId, class_id: &ClassId) -> ApiResult<EnrollmentView> {
    let student = find_student(app, &org.id, student_id).await?;
    let made = enroll(app, org, staff, None, &student, class_id).await?;
    // Actions are what a family is offered: none for staff.
    Ok(EnrollmentView::of(&made, RequestOptions::default(), false, today(app)))
}


/// The outcome e-mail to the guardian who asked (if they have an address) and to the primary.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn decision_notices(
    app: &App,
    org: &OrgContext,
    request: &RequestRow,
    student: &str,
    kind: &'static str,
    approved: bool,
    outcome: Option<&'static str>,
    note: Option<String>,
) -> ApiResult<Vec<Notification>> {
    let mut to = Vec::new();
    if let Some(asker) = families::find_guardian(&app.db, &org.id, &request.requested_by_id).await? {
        to.extend(asker.email);
    }
    if let Some(family) = families::find_family(&app.db, &org.id, &request.family_id).await? {
        to.extend(primary_contact(app, &family).await?.email);
    }
    to.sort();
    to.dedup();
    Ok(to
        .into_iter()
        .map(|to| Notification::EnrollmentRequestDecided {
            to,
            org_name: org.name.clone(),
            student_name: student.to_string(),
            kind,
            // A makeup names its one class (in `to_class`) and its date.
            from_class: request.from_class_name.clone().or_else(|| request.to_class_name.clone()).unwrap_or_default(),
            to_class: request.from_class_name.as_ref().and(request.to_class_name.clone()),
            date: request.date.clone(),
            approved,
            outcome,
            note: note.clone(),
        })
        .collect())
}
