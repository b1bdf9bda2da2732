//! The Office Portal API (staff): `/office/{org}/api/...`. Never gated by the portal switch.

pub mod families;
mod guardians;
mod session;
mod imports;
mod ledger;
mod settings;

pub use guardians::{is_dry_run, optional_json, RevokeBody};
pub use session::{Credentials, STAFF_SIGN_IN};

use crate::commands::access::OrgContext;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::session_token;
use crate::routes::STAFF_COOKIE;
use crate::store::sessions;
use portal_core::access::Requester;
use portal_core::audit::Actor;
use portal_core::organization::StaffRole;
use portal_core::session::{check_live, SessionError, SessionKind};
use crate::routes::boxed;
use worker::{Method, Request, Response};


pub async fn route(app: &App, req: Request, org: &str, rest: &[&str]) -> ApiResult<Response> {
    let handler = match (req.method(), rest) {
        (Method::Post, ["session"]) => boxed(session::sign_in(app, req, org)),
        (Method::Delete, ["session"]) => boxed(session::sign_out(app, req, org)),
        (Method::Get, ["settings", "customer-portal"]) => boxed(settings::show_customer_portal(app, req, org)),
        (Method::Put, ["settings", "customer-portal"]) => boxed(settings::set_customer_portal(app, req, org)),
        (Method::Get, ["settings", "portal-options"]) => boxed(settings::show_portal_options(app, req, org)),
        (Method::Patch, ["settings", "portal-options"]) => boxed(settings::set_portal_options(app, req, org)),
        (Method::Post, ["families", id, "ledger"]) => boxed(ledger::post(app, req, org, id)),
        (Method::Get, ["families", id, "ledger"]) => boxed(ledger::show(app, req, org, id)),
        (Method::Get, ["reports", "portal-access.csv"]) => boxed(imports::report(app, req, org)),
        (Method::Post, ["imports", "portal-access"]) => boxed(imports::upload(app, req, org)),
        (Method::Get, ["imports", id]) => boxed(imports::show(app, req, org, id)),
        (Method::Post, ["families"]) => boxed(families::create(app, req, org)),
        (Method::Get, ["families"]) => boxed(families::search(app, req, org)),
        (Method::Get, ["families", id]) => boxed(families::show(app, req, org, id)),
        (Method::Post, ["families", id, "guardians"]) => boxed(families::add_guardian(app, req, org, id)),
        (Method::Put, ["families", id, "primary-guardian"]) => boxed(families::change_primary(app, req, org, id)),
        (Method::Post, ["families", id, "merge"]) => boxed(families::merge(app, req, org, id)),
        (Method::Post, ["guardians", id, "move"]) => boxed(guardians::move_contact(app, req, org, id)),
        (Method::Get, ["audit"]) => boxed(families::audit(app, req, org)),
        (Method::Post, ["guardians", id, "invitation"]) => boxed(guardians::invite(app, req, org, id, false)),
        (Method::Post, ["guardians", id, "invitation", "resend"]) => boxed(guardians::invite(app, req, org, id, true)),
        (Method::Post, ["guardians", id, "revoke-login"]) => boxed(guardians::revoke_login(app, req, org, id)),
        (Method::Post, ["guardians", id, "password-reset"]) => boxed(guardians::password_reset(app, req, org, id)),
        (Method::Get, ["invitations"]) => boxed(guardians::invitations(app, req, org)),
        (_, ["session"])
        | (_, ["settings", "customer-portal" | "portal-options"])
        | (_, ["families"])
        | (_, ["families", _])
        | (_, ["families", _, "guardians" | "primary-guardian" | "merge" | "ledger"])
        | (_, ["guardians", _, "move"])
        | (_, ["audit"])
        | (_, ["guardians", _, "invitation" | "revoke-login" | "password-reset"])
        | (_, ["guardians", _, "invitation", "resend"])
        | (_, ["invitations"])
        | (_, ["reports", "portal-access.csv"])
        | (_, ["imports", _]) => return Err(ApiError::method_not_allowed()),
        _ => return Err(ApiError::route_not_found()),
    };
    handler.await
}

/// The signed-in staff member, with the organization the URL names.
pub struct Staff {
    pub session_id: String,
    pub id: String,
    pub email: String,
    pub role: StaffRole,
    pub org_id: String,
    pub org_slug: String,
    pub org_name: String,
    pub portal_enabled: bool,
    pub invitation_ttl_hours: i64,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor::staff(&self.id, &self.email)
    }

    pub fn org(&self) -> OrgContext {
        OrgContext {
            id: self.org_id.clone(),
            slug: self.org_slug.clone(),
            name: self.org_name.clone(),
            invitation_ttl_hours: self.invitation_ttl_hours,
        }
    }

    pub fn requester(&self) -> Requester {
        Requester::Staff(self.actor())
    }

    pub fn require_settings_role(&self) -> ApiResult<()> {
        if self.role.may_change_settings() {
            Ok(())
        } else {
            Err(ApiError::forbidden("owner_or_admin_required", "Only an owner or an admin can change settings."))
        }
    }
}

/// Verifies the token, then loads its session (one D1 round trip) and checks it is still live and
/// belongs to the organization in the URL.
pub async fn authenticate(app: &App, req: &Request, org_slug: &str) -> ApiResult<Staff> {
    let token = session_token(req, STAFF_COOKIE).ok_or(SessionError::Missing)?;
    let claims = app.config.session_key.verify(&token, app.now)?;
    if claims.kind != SessionKind::Staff {
        return Err(SessionError::WrongAudience.into());
    }
    let row = sessions::load_staff_session(&app.db, &claims.sid)
        .await?
        .ok_or(SessionError::Ended)?;
    check_live(&claims, &row.session.stored(), app.now)?;
    if row.session.org_slug != org_slug {
        return Err(SessionError::WrongAudience.into());
    }
    let (Some(email), Some(role)) = (row.staff_email.clone(), row.staff_role.as_deref().and_then(StaffRole::parse))
    else {
        return Err(SessionError::Ended.into()); // the staff user is gone
    };
    Ok(Staff {
        session_id: claims.sid,
        id: row.session.subject_id,
        email,
        role,
        org_id: row.session.org_id,
        org_slug: row.session.org_slug,
        org_name: row.session.org_name,
        portal_enabled: row.session.portal_enabled != 0,
        invitation_ttl_hours: row.invitation_ttl_hours,
    })
}
