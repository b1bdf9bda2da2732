//! Signed-in guardians: the session check of every authenticated Customer Portal request.

use crate::commands::access::OrgContext;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::session_token;
use crate::commands::payments::{Account, PaymentSettings};
use portal_core::payments::Payer;
use crate::routes::GUARDIAN_COOKIE;
use crate::store::sessions;
use portal_core::access::{AccessState, GuardianFacts, Requester};
use portal_core::session::{check_live, SessionError, SessionKind};
use worker::Request;

pub struct Customer {
    pub session_id: String,
    pub org: OrgContext,
    pub me: GuardianFacts,
    pub email: Option<String>,
    pub family_name: String,
    pub can_make_payments: bool,
    pub can_view_full_ledger: bool,
    pub password_hash: Option<String>,
    pub payments: PaymentSettings,
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
            settings: &self.payments,
        }
    }

    pub fn requester(&self) -> Requester {
        Requester::Guardian(self.me.clone())
    }

    pub fn require_primary(&self) -> ApiResult<()> {
        if self.me.is_primary {
            Ok(())
        } else {
            Err(portal_core::access::AccessError::PrimaryGuardianOnly.into())
        }
    }
}

/// One D1 query: the session with its guardian, family and organization. The portal switch is
/// checked here against D1, the truth, whatever the edge's KV copy says.
pub async fn authenticate(app: &App, req: &Request, org_slug: &str) -> ApiResult<Customer> {
    let token = session_token(req, GUARDIAN_COOKIE).ok_or(SessionError::Missing)?;
    let claims = app.config.session_key.verify(&token, app.now)?;
    if claims.kind != SessionKind::Guardian {
        return Err(SessionError::WrongAudience.into());
    }
    let row = sessions::load_guardian_session(&app.db, &claims.sid).await?.ok_or(SessionError::Ended)?;
    if row.session.org_slug != org_slug {
        return Err(SessionError::WrongAudience.into());
    }
    if row.session.portal_enabled == 0 {
        return Err(ApiError::portal_unavailable());
    }
    check_live(&claims, &row.session.stored(), app.now)?;
    if row.access_state != AccessState::CanLogIn.as_str() {
        return Err(SessionError::Ended.into());
    }
    Ok(Customer {
        session_id: claims.sid,
        org: OrgContext {
            id: row.session.org_id,
            slug: row.session.org_slug,
            name: row.session.org_name,
            invitation_ttl_hours: row.invitation_ttl_hours,
        },
        me: GuardianFacts {
            id: row.session.subject_id.clone(),
            family_id: row.family_id,
            is_primary: row.primary_guardian_id == row.session.subject_id,
            state: AccessState::CanLogIn,
            first_name: row.first_name,
            last_name: row.last_name,
        },
        email: row.email,
        family_name: row.family_name,
        can_make_payments: row.can_make_payments != 0,
        can_view_full_ledger: row.can_view_full_ledger != 0,
        password_hash: row.password_hash,
        payments: PaymentSettings {
            gateway_kind: row.payment_gateway_kind,
            gateway_account_id: row.payment_gateway_account_id,
            require_recurring_authorization: row.require_recurring_authorization != 0,
            show_full_ledger_history: row.show_full_ledger_history != 0,
        },
    })
}
