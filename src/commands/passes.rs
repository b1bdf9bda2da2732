//! Punch passes: staff sell them to a family (or one of its students), switch them on and off, and
//! redeem punches; the family sees them where the organization shows passes and redeems a punch
//! where it allows that. A punch redeemed is a one-day enrollment (kind `pass`): the punch, the
//! visit and its audit row are one D1 batch, the punch and the visit both guarded, so a pass never
//! goes below zero and a class never overfills, whatever runs at the same time.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{class_not_found, enrollment_not_found, student_not_found, EnrollmentView, Family};
use crate::commands::{families, require_live};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::enrollments::{self as enrollment_store, enrollment_made, EnrolledBy, StudentRow};
use crate::store::one_day::{insert_visit, NewVisit};
use crate::store::passes::{self as store, pass_changed_by, NewPass, PassRow};
use crate::store::sessions::still_live;
use crate::store::{audit, one_day, won};
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::enrollment::{Day, EnrollmentKind, EnrollmentStatus, RequestOptions};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, PassId, StudentId};
use portal_core::one_day::{check_visit, parse_date};
use portal_core::pass::{check_redemption, may_family_redeem, PassError, PassFacts, PassSpec};
use portal_core::schedule::ClassSchedule;
use portal_core::settings::PortalOptions;
use portal_core::time_zone::OrgTimeZone;
use chrono::NaiveDate;
use serde::Serialize;

pub fn pass_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::PassNotFound, "There is no such pass.")
}

/// A pass as staff and the family see it (API.md's pass).
#[derive(Debug, Serialize)]
pub struct PassView {
    pub active: bool,
    pub amount_paid_cents: i64,
    pub expires_on: Option<String>,
    pub id: PassId,
    pub name: String,
    pub punches_remaining: i64,
    pub punches_total: i64,
    pub punches_used: i64,
    pub purchased_at: String,
    pub student_id: Option<StudentId>,
    /// Its last day has passed (the pages say "Expired"; not in the JSON contract).
    #[serde(skip)]
    pub expired: bool,
}

impl PassView {
    fn of(p: PassRow, today: NaiveDate) -> PassView {
        let expired = facts(&p).is_expired(today);
        PassView {
            active: p.active,
            amount_paid_cents: p.amount_paid_cents,
            expires_on: p.expires_on,
            id: p.id,
            name: p.name,
            punches_remaining: (p.punches_total - p.punches_used).max(0),
            punches_total: p.punches_total,
            punches_used: p.punches_used,
            purchased_at: portal_core::time::Timestamp(p.purchased_at).to_rfc3339(),
            student_id: p.student_id,
            expired,
        }
    }

    /// The date purchased, as the pages show it.
    pub fn purchased_on(&self) -> &str {
        self.purchased_at.get(..10).unwrap_or(&self.purchased_at)
    }

    /// "$90.00".
    pub fn amount_paid(&self) -> String {
        portal_core::payments::Money(self.amount_paid_cents).to_string()
    }

    /// Whether a punch may be redeemed now (the page offers the form only then).
    pub fn usable(&self) -> bool {
        self.active && !self.expired && self.punches_remaining > 0
    }
}

/// A redeemed punch: the pass after it, and the visit it paid for.
#[derive(Debug, Serialize)]
pub struct Redeemed {
    pub enrollment: EnrollmentView,
    pub pass: PassView,
}

/// The family's passes as My Account shows them, with whether the family may redeem them.
#[derive(Debug, Serialize)]
pub struct PassesSection {
    pub passes: Vec<PassView>,
    #[serde(skip)]
    pub may_redeem: bool,
}

fn facts(p: &PassRow) -> PassFacts {
    PassFacts {
        name: p.name.clone(),
        student_id: p.student_id.clone(),
        punches_total: p.punches_total,
        punches_used: p.punches_used,
        active: p.active,
        expires_on: p.expires_on.as_deref().and_then(|d| parse_date(d).ok()),
    }
}

/// The organization's time zone, for staff (a customer's session carries it in its options).
async fn org_time_zone(app: &App, org: &OrgContext) -> ApiResult<OrgTimeZone> {
    crate::store::organizations::time_zone(&app.db, &org.id).await?.ok_or_else(|| ApiError::internal("the organization row is gone"))
}

/// Today in the organization's time zone.
fn today(app: &App, tz: &OrgTimeZone) -> NaiveDate {
    tz.today(app.now().to_datetime())
}

fn entry(requester: &Requester, action: &str, target_kind: &str, target_id: &str, label: String, family_id: &FamilyId) -> AuditEntry {
    AuditEntry::in_family(requester.actor(), action, target_kind, target_id, label, family_id, None)
}

/// What staff sell.
pub struct Sale<'a> {
    pub name: &'a str,
    pub punches: i64,
    pub amount_paid_cents: i64,
    pub expires_on: Option<&'a str>,
    pub student_id: Option<&'a StudentId>,
}

/// Staff sell a pass to a family of the organization (another organization's family: 404), for any
/// of its students or for one (`student_id`, which must be the family's: else 422).
pub async fn sell(app: &App, org: &OrgContext, staff: &Requester, family_id: &FamilyId, sale: Sale<'_>) -> ApiResult<PassView> {
    families::find(app, &org.id, family_id).await?;
    let tz = org_time_zone(app, org).await?;
    let today = today(app, &tz);
    let spec = PassSpec::parse(sale.name, sale.punches, sale.amount_paid_cents, sale.expires_on, today)?;
    if let Some(student) = sale.student_id {
        if enrollment_store::find_student(&app.db, &org.id, student, Some(family_id)).await?.is_none() {
            return Err(ApiError::invalid_field("student_id", "student_id names no student of this family."));
        }
    }
    let id = PassId(new_id("pas")?);
    let expires_on = spec.expires_on.map(|d| d.to_string());
    let actor = staff.actor();
    let new = NewPass {
        id: &id,
        org_id: &org.id,
        family_id,
        student_id: sale.student_id,
        spec: &spec,
        expires_on: expires_on.as_deref(),
        sold_by: &actor.label,
    };
    let label = format!("{} ({} punches)", spec.name, spec.punches);
    let sold = entry(staff, "pass_sold", "pass", &id, label, family_id);
    app.db
        .batch(vec![store::insert_pass(&app.db, &new, app.now())?, audit::insert(&app.db, &org.id, &sold, app.now(), None)?])
        .await?;
    find(app, org, &id, &tz).await
}

async fn find(app: &App, org: &OrgContext, id: &PassId, tz: &OrgTimeZone) -> ApiResult<PassView> {
    let row = store::find_pass(&app.db, &org.id, id, None).await?.ok_or_else(pass_not_found)?;
    Ok(PassView::of(row, today(app, tz)))
}

/// Staff switch a pass on or off (an inactive pass takes no redemptions).
pub async fn set_active(app: &App, org: &OrgContext, staff: &Requester, id: &PassId, active: bool) -> ApiResult<PassView> {
    let pass = store::find_pass(&app.db, &org.id, id, None).await?.ok_or_else(pass_not_found)?;
    let change_id = new_id("chg")?;
    let action = if active { "pass_activated" } else { "pass_deactivated" };
    let changed = entry(staff, action, "pass", &pass.id, pass.name.clone(), &pass.family_id);
    app.db
        .batch(vec![
            store::set_active(&app.db, &pass.id, &org.id, active, &change_id)?,
            audit::insert(&app.db, &org.id, &changed, app.now(), Some(pass_changed_by(&pass.id, &change_id)))?,
        ])
        .await?;
    find(app, org, id, &org_time_zone(app, org).await?).await
}

/// Staff redeem a punch for a student of the pass's family, whatever the portal switch says.
pub async fn staff_redeem(
    app: &App,
    org: &OrgContext,
    staff: &Requester,
    id: &PassId,
    student_id: &StudentId,
    class_id: &ClassId,
    date: &str,
) -> ApiResult<Redeemed> {
    let pass = store::find_pass(&app.db, &org.id, id, None).await?.ok_or_else(pass_not_found)?;
    let student = enrollment_store::find_student(&app.db, &org.id, student_id, None).await?.ok_or_else(student_not_found)?;
    if student.family_id != pass.family_id {
        return Err(ApiError::new(422, ErrorCode::WrongStudent, format!("{} is not a student of this pass's family.", student.full_name())).at("student_id"));
    }
    let tz = org_time_zone(app, org).await?;
    let made = redeem(app, org, &tz, staff, None, &pass, &student, class_id, date).await?;
    Ok(made.seen_by(RequestOptions::default(), false))
}

/// What `redeem` made, before the viewer's actions are worked out.
struct Visit {
    pass: PassView,
    enrollment: enrollment_store::EnrollmentRow,
}

impl Visit {
    fn seen_by(self, options: RequestOptions, may_manage: bool) -> Redeemed {
        let today = Day::of(portal_core::time::Timestamp(self.enrollment.enrolled_at));
        Redeemed { enrollment: EnrollmentView::of(&self.enrollment, options, may_manage, today), pass: self.pass }
    }
}

/// Takes a punch and makes the visit, in one batch: the punch only while a place is left in the
/// class that day (and the customer's session is live), the visit only if the punch was taken.
#[allow(clippy::too_many_arguments)]
async fn redeem(
    app: &App,
    org: &OrgContext,
    tz: &OrgTimeZone,
    requester: &Requester,
    session: Option<&str>,
    pass: &PassRow,
    student: &StudentRow,
    class_id: &ClassId,
    date: &str,
) -> ApiResult<Visit> {
    let today = today(app, tz);
    let date = parse_date(date)?;
    let class = enrollment_store::find_class(&app.db, &org.id, class_id).await?.ok_or_else(class_not_found)?;
    let c = &class.class;
    let schedule = ClassSchedule::parse(&c.days, &c.start_time, &c.end_time, &c.start_date, &c.end_date).map_err(ApiError::internal)?;
    check_redemption(&facts(pass), &student.id, today)?;
    check_visit(class.name(), &schedule, date, today)?;

    let (day, today_text) = (date.to_string(), today.to_string());
    let change_id = new_id("chg")?;
    let visit_id = EnrollmentId(new_id("enr")?);
    let actor = requester.actor();
    let visit = NewVisit {
        id: &visit_id,
        org_id: &org.id,
        family_id: &student.family_id,
        student_id: &student.id,
        class_id: class.id(),
        kind: EnrollmentKind::Pass,
        date: &day,
        by: EnrolledBy { kind: actor.kind.as_str(), label: &actor.label },
    };
    let label = format!("{} in {} on {day} with {}", student.full_name(), class.name(), pass.name);
    let redeemed = entry(requester, "pass_redeemed", "enrollment", &visit_id, label, &student.family_id);
    let place = one_day::place_left(class.id(), &student.id, &day);
    let live = session.map(|sid| still_live(sid, app.now()));
    let results = app
        .db
        .batch(vec![
            store::redeem_punch(&app.db, &pass.id, &student.id, &today_text, &change_id, place, live)?,
            insert_visit(&app.db, &visit, app.now(), pass_changed_by(&pass.id, &change_id))?,
            audit::insert(&app.db, &org.id, &redeemed, app.now(), Some(enrollment_made(&visit_id)))?,
        ])
        .await?;
    if !won(&results, 0)? {
        return Err(why_not_redeemed(app, org, session, pass, student, class_id, &day, today).await);
    }
    let now = store::find_pass(&app.db, &org.id, &pass.id, None).await?.ok_or_else(pass_not_found)?;
    let enrollment = enrollment_store::find_enrollment(&app.db, &org.id, &visit_id, None).await?.ok_or_else(enrollment_not_found)?;
    Ok(Visit { pass: PassView::of(now, today), enrollment })
}

/// The punch was not taken: the session ended, the pass changed meanwhile, the student already
/// holds a place that day, or the class is full that day.
#[allow(clippy::too_many_arguments)]
async fn why_not_redeemed(
    app: &App,
    org: &OrgContext,
    session: Option<&str>,
    pass: &PassRow,
    student: &StudentRow,
    class_id: &ClassId,
    day: &str,
    today: NaiveDate,
) -> ApiError {
    let reason = async {
        if let Some(sid) = session {
            require_live(app, sid).await?;
        }
        let now = store::find_pass(&app.db, &org.id, &pass.id, None).await?.ok_or_else(pass_not_found)?;
        check_redemption(&facts(&now), &student.id, today)?;
        let class = enrollment_store::find_class(&app.db, &org.id, class_id).await?.ok_or_else(class_not_found)?;
        let held = enrollment_store::student_enrollments(&app.db, student).await?.into_iter().any(|e| {
            e.class.class_id == *class_id && e.status == EnrollmentStatus::Active && e.date.as_deref().is_none_or(|d| d == day)
        });
        if held {
            return Err(ApiError::conflict(ErrorCode::AlreadyEnrolled, format!("{} already has a place in {} on {day}.", student.full_name(), class.name())));
        }
        Err(ApiError::conflict(ErrorCode::ClassFull, format!("{} is full on {day}.", class.name())))
    };
    match reason.await {
        Ok(()) => ApiError::internal("a redemption wrote nothing for no reason found"),
        Err(e) => e,
    }
}

impl Family<'_> {
    /// The family's passes, newest first (403 `passes_disabled` where passes are not shown).
    pub async fn passes(&self, app: &App, options: &PortalOptions) -> ApiResult<PassesSection> {
        if !options.show_passes {
            return Err(PassError::Disabled.into());
        }
        let today = today(app, &options.time_zone);
        let passes = store::family_passes(&app.db, &self.id).await?.into_iter().map(|p| PassView::of(p, today)).collect();
        let may_redeem = options.allow_pass_redemption && self.may_manage().is_ok();
        Ok(PassesSection { passes, may_redeem })
    }

    /// Redeems a punch of one of the family's passes for one of its students, where the
    /// organization allows it; refused while the portal is off (the session guard reads the switch).
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem_pass(
        &self,
        app: &App,
        options: &PortalOptions,
        id: &PassId,
        student_id: &StudentId,
        class_id: &ClassId,
        date: &str,
    ) -> ApiResult<Redeemed> {
        may_family_redeem(options.show_passes, options.allow_pass_redemption)?;
        self.may_manage_visits()?;
        let pass = store::find_pass(&app.db, &self.org.id, id, Some(&self.id)).await?.ok_or_else(pass_not_found)?;
        let student = self.student(app, student_id).await?;
        let requester = Requester::Guardian(self.guardian.clone());
        let made = redeem(app, self.org, &options.time_zone, &requester, Some(self.session_id), &pass, &student, class_id, date).await?;
        Ok(made.seen_by(self.options, true))
    }

    /// The Primary Guardian, or a guardian they allow (API.md: 403 `enrollment_not_permitted`).
    pub fn may_manage_visits(&self) -> ApiResult<()> {
        self.may_manage().map_err(|e| ApiError::forbidden(ErrorCode::EnrollmentNotPermitted, e.message.clone()))
    }
}

/// My Account's Passes, for each student: None where the organization does not show passes (the
/// section is then absent).
pub async fn passes_section(app: &App, family: &Family<'_>, options: &PortalOptions) -> ApiResult<Option<PassesSection>> {
    match family.passes(app, options).await {
        Ok(section) => Ok(Some(section)),
        Err(e) if e.code == ErrorCode::PassesDisabled => Ok(None),
        Err(e) => Err(e),
    }
}

impl PassesSection {
    /// The passes a student may use: the family's, and those sold for this student.
    pub fn of_student(&self, id: &StudentId) -> Vec<&PassView> {
        self.passes.iter().filter(|p| p.student_id.as_ref().is_none_or(|only| only == id)).collect()
    }
}

/// A family's passes as staff see them (the Office Portal's Passes page of a family).
pub async fn family_passes(app: &App, org: &OrgContext, family_id: &FamilyId) -> ApiResult<Vec<PassView>> {
    let today = today(app, &org_time_zone(app, org).await?);
    Ok(store::family_passes(&app.db, family_id).await?.into_iter().map(|p| PassView::of(p, today)).collect())
}

/// The family a pass of the organization was sold to.
pub async fn family_of(app: &App, org: &OrgContext, id: &PassId) -> ApiResult<FamilyId> {
    Ok(store::find_pass(&app.db, &org.id, id, None).await?.ok_or_else(pass_not_found)?.family_id)
}
