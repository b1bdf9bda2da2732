//! The session extractors: a handler that names `Staff` or `Customer` in its signature runs only
//! for a live session of that kind in the organization its URL names. Each is one D1 query, on
//! every request and on the primary (never a replica), so sign-out, revocation and a disabled
//! portal take effect at once.

use super::cookies::{read_cookie, GUARDIAN_COOKIE, STAFF_COOKIE};
use super::extract::{bearer_token, FromRequest, RequestParts};
use crate::adapters::switch::maintenance_error;
use crate::context::{Account, Family, OrgContext, SignedInGuardian};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::sessions;
use portal_core::access_end::has_ended;
use portal_core::access::{AccessError, AccessState, GuardianFacts, Requester};
use portal_core::audit::Actor;
use portal_core::organization::StaffRole;
use portal_core::settings::{MakeupMode, PortalOptions};
use portal_core::time_zone::OrgTimeZone;
use portal_core::ids::FamilyId;
use portal_core::payments::Payer;
use portal_core::session::{check_live, SessionClaims, SessionError, SessionKind};
use portal_core::maintenance::MaintenanceWindow;
use crate::app::App;
use crate::store::sign_ins;
use portal_core::sign_ins::{last_seen_is_stale, LAST_SEEN_EVERY_SECONDS};
use portal_core::time::Timestamp;

/// The session token: `Authorization: Bearer`, else the cookie a browser got at sign-in (then the
/// request must not come from another site).
fn session_token(parts: &mut RequestParts, cookie_name: &str) -> ApiResult<Option<String>> {
    if let Some(token) = bearer_token(parts) {
        return Ok(Some(token));
    }
    let Some(token) = parts.header("cookie").and_then(|c| read_cookie(&c, cookie_name)) else {
        return Ok(None);
    };
    parts.refuse_cross_site()?;
    parts.cookie_session = true;
    Ok(Some(token))
}

fn verified_claims(parts: &mut RequestParts, cookie_name: &str, kind: SessionKind) -> ApiResult<SessionClaims> {
    let token = session_token(parts, cookie_name)?.ok_or(SessionError::Missing)?;
    let claims = parts.app.config.session_key.verify(&token, parts.app.now())?;
    // Another organization's token: its session may be in another database, where it is not found.
    if claims.kind != kind || parts.app.org_id.as_ref().is_some_and(|org| *org != claims.org) {
        return Err(SessionError::WrongAudience.into());
    }
    Ok(claims)
}

/// The signed-in staff member, with the organization the URL names.
pub struct Staff {
    pub session_id: String,
    pub id: String,
    pub email: String,
    pub role: StaffRole,
    pub org: OrgContext,
    pub portal_enabled: bool,
    /// The organization's maintenance window, if one was scheduled.
    pub maintenance: Option<MaintenanceWindow>,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor::staff(&self.id, &self.email)
    }

    pub fn requester(&self) -> Requester {
        Requester::Staff(self.actor())
    }

    pub fn require_settings_role(&self) -> ApiResult<()> {
        if self.role.may_change_settings() {
            Ok(())
        } else {
            Err(ApiError::forbidden(ErrorCode::OwnerOrAdminRequired, "Only an owner or an admin can change settings."))
        }
    }
}

impl FromRequest for Staff {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let claims = verified_claims(parts, STAFF_COOKIE, SessionKind::Staff)?;
        let app = &parts.app;
        let row = sessions::load_staff_session(&app.db, &claims.sid).await?.ok_or(SessionError::Ended)?;
        // An ended session says why (signed out elsewhere) where it can, as a guardian's does.
        if let Err(e) = check_live(&claims, &row.session.stored(), app.now()) {
            return Err(if e == SessionError::Ended { ApiError::session_ended(row.session.end_reason.as_deref()) } else { e.into() });
        }
        if row.session.org_slug != parts.param("org")? {
            return Err(SessionError::WrongAudience.into());
        }
        let (Some(email), Some(role)) = (row.staff_email, row.staff_role) else {
            // The staff user is gone: say so, rather than the bare "session ended".
            return Err(ApiError::new(401, ErrorCode::SessionEnded, portal_core::session::ENDED_STAFF_REMOVED));
        };
        touch(app, &claims.sid, row.session.last_seen_at).await?;
        // Checked on the primary: a GET's other reads may now come from a replica.
        if parts.is_read() {
            app.db.allow_stale_reads();
        }
        Ok(Staff {
            session_id: claims.sid,
            id: row.session.subject_id,
            email,
            role,
            org: OrgContext {
                id: row.session.org_id,
                slug: row.session.org_slug,
                name: row.session.org_name,
                invitation_ttl_hours: row.invitation_ttl_hours,
            },
            portal_enabled: row.session.portal_enabled,
            maintenance: row.session.maintenance.window(),
        })
    }
}

/// A request header that, in development only, ends the customer's session just after its check.
pub const END_SESSION_AFTER_CHECK: &str = "x-dev-end-session-after-check";

/// The signed-in guardian, their family and organization, and the payment settings.
pub struct Customer {
    pub session_id: String,
    /// The login: one person may be a guardian in several families; this session is for one.
    pub person_id: String,
    /// The organization's customer session epoch now: a session begun under it is live.
    pub session_epoch: i64,
    pub org: OrgContext,
    pub me: GuardianFacts,
    pub email: Option<String>,
    pub family_name: String,
    pub can_make_payments: bool,
    pub can_view_full_ledger: bool,
    pub can_manage_enrollments: bool,
    pub password_hash: Option<String>,
    /// Every portal option, read with the session: a customer route checks `options.show_passes`
    /// or reads `options.time_zone` without another query.
    pub options: PortalOptions,
}

impl Customer {
    /// The customer as payments see them.
    pub fn account(&self) -> Account<'_> {
        Account {
            org_id: &self.org.id,
            family_id: &self.me.family_id,
            payer: Payer {
                guardian_id: self.me.id.clone(),
                is_primary: self.me.is_primary,
                can_make_payments: self.can_make_payments,
            },
            payer_name: self.requester().actor().label,
            can_view_full_ledger: self.can_view_full_ledger,
            settings: &self.options,
            session_id: &self.session_id,
        }
    }

    pub fn requester(&self) -> Requester {
        Requester::Guardian(self.me.clone())
    }

    /// The customer as their own login's commands (changing the password) see them.
    pub fn signed_in(&self) -> SignedInGuardian<'_> {
        SignedInGuardian {
            org: &self.org,
            person_id: &self.person_id,
            me: &self.me,
            email: self.email.as_deref(),
            password_hash: self.password_hash.as_deref(),
            session_id: &self.session_id,
        }
    }

    /// The customer as Your Student(s) sees them.
    pub fn family(&self) -> Family<'_> {
        Family {
            org: &self.org,
            id: FamilyId(self.me.family_id.clone()),
            guardian: &self.me,
            can_manage_enrollments: self.can_manage_enrollments,
            options: self.options.requests(),
            session_id: &self.session_id,
        }
    }

    pub fn require_primary(&self) -> ApiResult<()> {
        if self.me.is_primary {
            Ok(())
        } else {
            Err(AccessError::PrimaryGuardianOnly.into())
        }
    }
}

impl FromRequest for Customer {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let claims = verified_claims(parts, GUARDIAN_COOKIE, SessionKind::Guardian)?;
        let sid = claims.sid.clone();
        let me = Customer::of_session(&parts.app, claims, &parts.param("org")?).await?;
        // Development only, for the tests: the session ends right after its check passed, as if a
        // revoke committed between the check and the request's write (whose guard must then
        // refuse it: `store::sessions::still_live`).
        let app = &parts.app;
        if app.config.is_development() && parts.header(END_SESSION_AFTER_CHECK).is_some() {
            sessions::end(&app.db, &sid, "access_revoked", app.now()).await?;
        }
        // The session and the switch were checked on the primary: a GET's other reads may now
        // come from a replica.
        if parts.is_read() {
            app.db.allow_stale_reads();
        }
        Ok(me)
    }
}

/// Records that a session was used now, at most once a minute (the list of signed-in devices).
/// Not while the organization moves: its rows must stay as the move copied them.
async fn touch(app: &App, session_id: &str, last_seen_at: Option<i64>) -> ApiResult<()> {
    if app.moving {
        return Ok(());
    }
    let now = app.now();
    if last_seen_is_stale(last_seen_at.map(Timestamp), now) {
        sign_ins::touch(&app.db, session_id, now, now.plus_seconds(-LAST_SEEN_EVERY_SECONDS)).await?;
    }
    Ok(())
}

impl Customer {
    /// The customer whose session `claims` names, if it is live now in organization `org_slug`: the
    /// one session check, which the Mobile App's refresh makes too. The portal switch is checked
    /// here against D1, the truth, whatever the edge's KV copy says.
    pub async fn of_session(app: &App, claims: SessionClaims, org_slug: &str) -> ApiResult<Customer> {
        let row = sessions::load_guardian_session(&app.db, &claims.sid).await?.ok_or(SessionError::Ended)?;
        if row.session.org_slug != org_slug {
            return Err(SessionError::WrongAudience.into());
        }
        if !row.session.portal_enabled {
            return Err(ApiError::portal_unavailable());
        }
        // A maintenance window is on from its first second, whatever the cron has done; a session
        // begun before it ended with it.
        if let Some(window) = row.session.maintenance.window() {
            if window.is_on(app.now()) {
                return Err(maintenance_error(&window, app.now()));
            }
            if window.ended_session(Timestamp(row.session.created_at), app.now()) {
                return Err(SessionError::Ended.into());
            }
        }
        // An ended session says why (signed out, revoked, password changed) where it can.
        let ended = ApiError::session_ended;
        if let Err(e) = check_live(&claims, &row.session.stored(), app.now()) {
            return Err(if e == SessionError::Ended { ended(row.session.end_reason.as_deref()) } else { e.into() });
        }
        let (AccessState::CanLogIn, Some(person_id)) = (row.access_state, row.person_id) else {
            return Err(ended(Some("access_revoked")));
        };
        // From the start of the day their access ends (organization time), whatever the cron did.
        if has_ended(row.access_ends_at, app.now()) {
            return Err(ended(Some("access_revoked")));
        }
        touch(app, &claims.sid, row.session.last_seen_at).await?;
        Ok(Customer {
            session_id: claims.sid,
            person_id,
            session_epoch: row.session.customer_session_epoch,
            org: OrgContext {
                id: row.session.org_id,
                slug: row.session.org_slug,
                name: row.session.org_name,
                invitation_ttl_hours: row.invitation_ttl_hours,
            },
            me: GuardianFacts {
                is_primary: row.primary_guardian_id == row.session.subject_id,
                id: row.session.subject_id,
                family_id: row.family_id,
                state: AccessState::CanLogIn,
                first_name: row.first_name,
                last_name: row.last_name,
            },
            email: row.email,
            family_name: row.family_name,
            can_make_payments: row.can_make_payments,
            can_view_full_ledger: row.can_view_full_ledger,
            can_manage_enrollments: row.can_manage_enrollments,
            password_hash: row.password_hash,
            options: PortalOptions {
                invitation_ttl_hours: row.invitation_ttl_hours,
                show_full_ledger_history: row.show_full_ledger_history,
                require_recurring_authorization: row.require_recurring_authorization,
                auto_portal_access_for_new_contacts: row.auto_portal_access_for_new_contacts,
                payment_gateway_kind: row.payment_gateway_kind,
                payment_gateway_account_id: row.payment_gateway_account_id,
                allow_drop_requests: row.allow_drop_requests,
                allow_transfer_requests: row.allow_transfer_requests,
                allow_cancel_waitlist: row.allow_cancel_waitlist,
                time_zone: OrgTimeZone::from_stored(&row.time_zone),
                show_attendance: row.show_attendance,
                makeups: MakeupMode::from_stored(&row.makeups),
                allow_future_absences: row.allow_future_absences,
                show_qr_codes: row.show_qr_codes,
                show_passes: row.show_passes,
                allow_pass_redemption: row.allow_pass_redemption,
                show_credit: row.show_credit,
                allow_statements: row.allow_statements,
                allow_ledger_report: row.allow_ledger_report,
            },
        })
    }
}
