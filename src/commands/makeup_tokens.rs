//! Makeup tokens: staff issue a student a token for a location; where the organization offers
//! tokens, the family sees them (Current Location Tokens, Tokens Available in Other Locations,
//! Pending, Expired, Spent) and redeems one into a one-day makeup enrollment in a class of that
//! location. The visit, the token and the audit row are one D1 batch, the visit guarded on a place,
//! the unused token and the live session, so a token pays once and a class never overfills.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{class_not_found, enrollment_not_found, EnrollmentView, Family, LocationRow};
use crate::commands::{families, require_live};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::attendance::org_time_zone;
use crate::store::enrollments::{self as enrollment_store, enrollment_made, EnrolledBy, StudentRow};
use crate::store::makeup_tokens::{self as store, unused_while_live, NewToken, TokenRow};
use crate::store::one_day::{insert_visit, NewVisit};
use crate::store::{audit, won};
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::enrollment::{Day, EnrollmentKind, EnrollmentStatus};
use portal_core::ids::{ClassId, EnrollmentId, FamilyId, MakeupTokenId, StudentId};
use portal_core::makeup_token::{check_redemption, may_use_tokens, status, TokenFacts, TokenSpec, TokenStatus};
use portal_core::one_day::{check_visit, parse_date};
use portal_core::schedule::ClassSchedule;
use portal_core::settings::{MakeupMode, PortalOptions};
use chrono::NaiveDate;
use serde::Serialize;

pub fn token_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::MakeupTokenNotFound, "There is no such makeup token.")
}

/// A token as staff and the family see it (API.md's token).
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub enrollment_id: Option<EnrollmentId>,
    pub expires_on: String,
    pub id: MakeupTokenId,
    pub issued_at: String,
    pub location: LocationRow,
    pub status: TokenStatus,
    pub student_id: StudentId,
    /// Why staff issued it (the pages show it; not in the JSON contract).
    #[serde(skip)]
    pub reason: Option<String>,
    /// The visit it paid for: "Swim 1 on 2027-03-08" (pages only).
    #[serde(skip)]
    pub visit: Option<String>,
}

impl TokenView {
    fn of(t: TokenRow, today: NaiveDate) -> TokenView {
        let status = status(day(&t.expires_on), t.visit_date.as_deref().map(day), today);
        let visit = match (&t.visit_class, &t.visit_date) {
            (Some(class), Some(date)) => Some(format!("{class} on {date}")),
            _ => None,
        };
        TokenView {
            enrollment_id: t.enrollment_id,
            expires_on: t.expires_on,
            id: t.id,
            issued_at: portal_core::time::Timestamp(t.issued_at).to_rfc3339(),
            location: LocationRow { id: t.location_id, name: t.location_name },
            status,
            student_id: t.student_id,
            reason: t.reason,
            visit,
        }
    }

    /// The date issued, as the pages show it.
    pub fn issued_on(&self) -> &str {
        self.issued_at.get(..10).unwrap_or(&self.issued_at)
    }

    /// May be used now (the page offers Use Makeup Token only then).
    pub fn available(&self) -> bool {
        self.status == TokenStatus::Available
    }

    /// The status in the pages' words.
    pub fn status_words(&self) -> &'static str {
        match self.status {
            TokenStatus::Available => "Available",
            TokenStatus::Pending => "Pending",
            TokenStatus::Spent => "Spent",
            TokenStatus::Expired => "Expired",
        }
    }
}

/// A stored date; the column only ever holds `YYYY-MM-DD` written by these commands.
fn day(s: &str) -> NaiveDate {
    parse_date(s).unwrap_or(NaiveDate::MIN)
}

/// A student's tokens in My Account's groups (API.md's `GET /students/{id}/makeups` in tokens mode).
#[derive(Debug, Serialize)]
pub struct MakeupTokens {
    pub mode: MakeupMode,
    pub current_location: Vec<TokenView>,
    pub other_locations: Vec<TokenView>,
    pub pending: Vec<TokenView>,
    pub expired: Vec<TokenView>,
    pub spent: Vec<TokenView>,
}

impl MakeupTokens {
    /// Available tokens split by `location` (None: every available token is in another location).
    fn sorted(tokens: impl Iterator<Item = TokenView>, location: Option<&str>) -> MakeupTokens {
        let mut groups = MakeupTokens {
            mode: MakeupMode::Tokens,
            current_location: vec![],
            other_locations: vec![],
            pending: vec![],
            expired: vec![],
            spent: vec![],
        };
        for t in tokens {
            let group = match t.status {
                TokenStatus::Available if Some(&t.location.id[..]) == location => &mut groups.current_location,
                TokenStatus::Available => &mut groups.other_locations,
                TokenStatus::Pending => &mut groups.pending,
                TokenStatus::Expired => &mut groups.expired,
                TokenStatus::Spent => &mut groups.spent,
            };
            group.push(t);
        }
        groups
    }

    /// My Account's groups, in the seed's words, with what each says when empty.
    pub fn groups(&self) -> [(&'static str, &'static str, &Vec<TokenView>); 5] {
        [
            ("Current Location Tokens", "No tokens to use at this location.", &self.current_location),
            ("Tokens Available in Other Locations", "No tokens to use at other locations.", &self.other_locations),
            ("Pending Makeup Tokens", "No makeups coming.", &self.pending),
            ("Expired Makeup Tokens", "No expired tokens.", &self.expired),
            ("Spent Makeup Tokens", "No spent tokens.", &self.spent),
        ]
    }

    pub fn len(&self) -> usize {
        self.groups().iter().map(|(_, _, list)| list.len()).sum()
    }
}

fn entry(requester: &Requester, action: &str, target_kind: &str, target_id: &str, label: String, family_id: &FamilyId) -> AuditEntry {
    AuditEntry::in_family(requester.actor(), action, target_kind, target_id, label, family_id, None)
}

/// What staff issue.
pub struct Issue<'a> {
    pub student_id: &'a StudentId,
    pub location_id: &'a str,
    pub expires_on: &'a str,
    pub reason: Option<&'a str>,
}

/// Staff issue a token to a student of a family of the organization (another organization's
/// family: 404; a student or location not the family's or organization's: 422).
pub async fn issue(app: &App, org: &OrgContext, staff: &Requester, family_id: &FamilyId, issue: Issue<'_>) -> ApiResult<TokenView> {
    families::find(app, &org.id, family_id).await?;
    let today = org_time_zone(&app.db, &org.id).await?.today(app.now().to_datetime());
    let spec = TokenSpec::parse(issue.expires_on, issue.reason, today)?;
    let Some(student) = enrollment_store::find_student(&app.db, &org.id, issue.student_id, Some(family_id)).await? else {
        return Err(ApiError::invalid_field("student_id", "student_id names no student of this family."));
    };
    let Some(location) = enrollment_store::find_location(&app.db, &org.id, issue.location_id).await? else {
        return Err(ApiError::invalid_field("location_id", "location_id names no location of this organization."));
    };
    let id = MakeupTokenId(new_id("mkt")?);
    let expires_on = spec.expires_on.to_string();
    let actor = staff.actor();
    let new = NewToken {
        id: &id,
        org_id: &org.id,
        family_id,
        student_id: &student.id,
        location_id: &location.id,
        expires_on: &expires_on,
        reason: spec.reason.as_deref(),
        issued_by: &actor.label,
    };
    let label = format!("{} at {} until {expires_on}", student.full_name(), location.name);
    let issued = entry(staff, "makeup_token_issued", "makeup_token", &id, label, family_id);
    app.db
        .batch(vec![store::insert_token(&app.db, &new, app.now())?, audit::insert(&app.db, &org.id, &issued, app.now(), None)?])
        .await?;
    let row = store::find_token(&app.db, &org.id, &id, None).await?.ok_or_else(token_not_found)?;
    Ok(TokenView::of(row, today))
}

/// A family's tokens as staff see them (the Office Portal's Makeup Tokens page of a family).
pub async fn family_tokens(app: &App, org: &OrgContext, family_id: &FamilyId) -> ApiResult<Vec<TokenView>> {
    let today = org_time_zone(&app.db, &org.id).await?.today(app.now().to_datetime());
    Ok(store::family_tokens(&app.db, family_id).await?.into_iter().map(|t| TokenView::of(t, today)).collect())
}

/// The family's tokens, loaded once for My Account: each student's groups come from here.
pub struct FamilyMakeupTokens {
    tokens: Vec<TokenRow>,
    today: NaiveDate,
    location: Option<String>,
    pub may_redeem: bool,
}

impl FamilyMakeupTokens {
    pub fn of_student(&self, id: &StudentId) -> MakeupTokens {
        let mine = self.tokens.iter().filter(|t| &t.student_id == id).map(|t| TokenView::of(t.clone(), self.today));
        MakeupTokens::sorted(mine, self.location.as_deref())
    }
}

/// My Account's Makeups: None unless the organization offers tokens (the section is then absent).
/// `location`: the family's chosen location.
pub async fn makeup_tokens_section(app: &App, family: &Family<'_>, options: &PortalOptions, location: Option<&str>) -> ApiResult<Option<FamilyMakeupTokens>> {
    if may_use_tokens(options.makeups).is_err() {
        return Ok(None);
    }
    Ok(Some(FamilyMakeupTokens {
        tokens: store::family_tokens(&app.db, &family.id).await?,
        today: options.time_zone.today(app.now().to_datetime()),
        location: location.map(str::to_string),
        may_redeem: family.may_manage().is_ok(),
    }))
}

impl Family<'_> {
    /// A student's tokens in My Account's groups (403 `makeups_disabled` unless the organization
    /// offers tokens); `location_id`, if given, must be one of the organization's.
    pub async fn makeup_tokens(&self, app: &App, options: &PortalOptions, student_id: &StudentId, location_id: Option<&str>) -> ApiResult<MakeupTokens> {
        may_use_tokens(options.makeups)?;
        let student = self.student(app, student_id).await?;
        if let Some(location) = location_id {
            if enrollment_store::find_location(&app.db, &self.org.id, location).await?.is_none() {
                return Err(ApiError::invalid_field("location_id", "location_id names no location of this organization."));
            }
        }
        let today = options.time_zone.today(app.now().to_datetime());
        let tokens = store::family_tokens(&app.db, &self.id).await?;
        let mine = tokens.into_iter().filter(|t| t.student_id == student.id).map(|t| TokenView::of(t, today));
        Ok(MakeupTokens::sorted(mine, location_id))
    }

    /// One of the family's tokens, with today's status (the Use Makeup Token page).
    pub async fn makeup_token(&self, app: &App, options: &PortalOptions, id: &MakeupTokenId) -> ApiResult<TokenView> {
        may_use_tokens(options.makeups)?;
        let row = store::find_token(&app.db, &self.org.id, id, Some(&self.id)).await?.ok_or_else(token_not_found)?;
        Ok(TokenView::of(row, options.time_zone.today(app.now().to_datetime())))
    }

    /// Redeems one of the family's tokens into a makeup visit of its student to a class of the
    /// token's location on `date`; refused while the portal is off (the session guard reads the
    /// switch in D1).
    pub async fn redeem_makeup_token(&self, app: &App, options: &PortalOptions, id: &MakeupTokenId, class_id: &ClassId, date: &str) -> ApiResult<EnrollmentView> {
        may_use_tokens(options.makeups)?;
        self.may_manage_visits()?;
        let token = store::find_token(&app.db, &self.org.id, id, Some(&self.id)).await?.ok_or_else(token_not_found)?;
        let student = self.student(app, &token.student_id).await?;
        let today = options.time_zone.today(app.now().to_datetime());
        let date = parse_date(date)?;
        let class = enrollment_store::find_class(&app.db, &self.org.id, class_id).await?.ok_or_else(class_not_found)?;
        let c = &class.class;
        let schedule = ClassSchedule::parse(&c.days, &c.start_time, &c.end_time, &c.start_date, &c.end_date).map_err(ApiError::internal)?;
        check_redemption(&facts(&token), class.name(), &c.location_id, date, today)?;
        check_visit(class.name(), &schedule, date, today)?;

        let day = date.to_string();
        let visit_id = EnrollmentId(new_id("enr")?);
        let requester = Requester::Guardian(self.guardian.clone());
        let actor = requester.actor();
        let visit = NewVisit {
            id: &visit_id,
            org_id: &self.org.id,
            family_id: &student.family_id,
            student_id: &student.id,
            class_id: class.id(),
            kind: EnrollmentKind::Makeup,
            date: &day,
            by: EnrolledBy { kind: actor.kind.as_str(), label: &actor.label },
        };
        let label = format!("{} in {} on {day} with a makeup token", student.full_name(), class.name());
        let redeemed = entry(&requester, "makeup_token_redeemed", "enrollment", &visit_id, label, &student.family_id);
        let results = app
            .db
            .batch(vec![
                insert_visit(&app.db, &visit, app.now(), unused_while_live(&token.id, &day, self.session_id, app.now()))?,
                store::spend(&app.db, &token.id, &visit_id, &day)?,
                audit::insert(&app.db, &self.org.id, &redeemed, app.now(), Some(enrollment_made(&visit_id)))?,
            ])
            .await?;
        if !won(&results, 0)? {
            return Err(self.why_not_redeemed(app, &token, &student, class_id, &day, today).await);
        }
        let made = enrollment_store::find_enrollment(&app.db, &self.org.id, &visit_id, None).await?.ok_or_else(enrollment_not_found)?;
        Ok(EnrollmentView::of(&made, self.options, true, Day::of(app.now())))
    }

    /// The visit was not inserted: the session ended (or the portal went off), the token was
    /// spent meanwhile, the student already holds a place that day, or the class is full that day.
    async fn why_not_redeemed(&self, app: &App, token: &TokenRow, student: &StudentRow, class_id: &ClassId, day: &str, today: NaiveDate) -> ApiError {
        let reason = async {
            require_live(app, self.session_id).await?;
            let now = store::find_token(&app.db, &self.org.id, &token.id, None).await?.ok_or_else(token_not_found)?;
            let f = facts(&now);
            if f.redeemed || f.expires_on < today {
                return Err(ApiError::from(portal_core::makeup_token::MakeupTokenError::NotAvailable));
            }
            let class = enrollment_store::find_class(&app.db, &self.org.id, class_id).await?.ok_or_else(class_not_found)?;
            let held = enrollment_store::student_enrollments(&app.db, student).await?.into_iter().any(|e| {
                e.class.class_id == *class_id && e.status == EnrollmentStatus::Active && e.date.as_deref().is_none_or(|d| d == day)
            });
            if held {
                return Err(ApiError::conflict(ErrorCode::AlreadyEnrolled, format!("{} already has a place in {} on {day}.", student.full_name(), class.name())));
            }
            Err(ApiError::conflict(ErrorCode::ClassFull, format!("{} is full on {day}.", class.name())))
        };
        match reason.await {
            Ok(()) => ApiError::internal("a makeup token redemption wrote nothing for no reason found"),
            Err(e) => e,
        }
    }
}

fn facts(t: &TokenRow) -> TokenFacts {
    TokenFacts {
        location_id: t.location_id.clone(),
        location_name: t.location_name.clone(),
        expires_on: day(&t.expires_on),
        redeemed: t.enrollment_id.is_some(),
    }
}
