//! Organization settings: the Customer Portal switch and the portal options.

use crate::http::{json, Json, Response, Staff};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::maintenance::{self, SwitchChange};
use crate::commands::settings;
use crate::error::{ApiError, ApiResult};
use portal_core::maintenance::parse_schedule;
use portal_core::settings::{GatewayRequest, OptionsChange, PortalOptions};

pub async fn show_customer_portal(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    json(200, &maintenance::readout(staff.portal_enabled, staff.maintenance.as_ref(), app.now()))
}

/// `enabled`, a maintenance window to schedule, or both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchBody {
    enabled: Option<bool>,
    schedule: Option<ScheduleBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    starts_at: String,
    ends_at: String,
    note: Option<String>,
}

pub async fn set_customer_portal(app: Rc<App>, staff: Staff, Json(body): Json<SwitchBody>) -> ApiResult<Response> {
    staff.require_settings_role()?;
    if body.enabled.is_none() && body.schedule.is_none() {
        return Err(ApiError::invalid_field("enabled", "Say whether the Customer Portal is enabled (true or false), or send a schedule."));
    }
    let schedule = match &body.schedule {
        Some(s) => Some(parse_schedule(&s.starts_at, &s.ends_at, s.note.as_deref(), app.now())?),
        None => None,
    };
    let change = SwitchChange { enable: body.enabled, schedule };
    json(200, &maintenance::change_switch(&app, &staff.org, &staff.actor(), staff.portal_enabled, change).await?)
}

/// Cancels the maintenance window not yet ended (one that is on ends now).
pub async fn cancel_schedule(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    staff.require_settings_role()?;
    json(200, &maintenance::cancel(&app, &staff.org, &staff.actor()).await?)
}

/// The options as `GET` and `PATCH` answer them.
#[derive(Serialize)]
struct PortalOptionsView<'a> {
    invitation_ttl_hours: i64,
    show_full_ledger_history: bool,
    require_recurring_authorization: bool,
    auto_portal_access_for_new_contacts: bool,
    payment_gateway: GatewayView<'a>,
    allow_drop_requests: bool,
    allow_transfer_requests: bool,
    allow_cancel_waitlist: bool,
}

#[derive(Serialize)]
struct GatewayView<'a> {
    kind: &'a str,
    account_id: Option<&'a str>,
}

fn options_body(o: &PortalOptions) -> ApiResult<Response> {
    json(
        200,
        &PortalOptionsView {
            invitation_ttl_hours: o.invitation_ttl_hours,
            show_full_ledger_history: o.show_full_ledger_history,
            require_recurring_authorization: o.require_recurring_authorization,
            auto_portal_access_for_new_contacts: o.auto_portal_access_for_new_contacts,
            payment_gateway: GatewayView { kind: &o.payment_gateway_kind, account_id: o.payment_gateway_account_id.as_deref() },
            allow_drop_requests: o.allow_drop_requests,
            allow_transfer_requests: o.allow_transfer_requests,
            allow_cancel_waitlist: o.allow_cancel_waitlist,
        },
    )
}

pub async fn show_portal_options(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    options_body(&settings::portal_options(&app, &staff.org.id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayBody {
    kind: String,
    account_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsPatch {
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    invitation_ttl_hours: Option<i64>,
    show_full_ledger_history: Option<bool>,
    require_recurring_authorization: Option<bool>,
    auto_portal_access_for_new_contacts: Option<bool>,
    payment_gateway: Option<GatewayBody>,
    allow_drop_requests: Option<bool>,
    allow_transfer_requests: Option<bool>,
    allow_cancel_waitlist: Option<bool>,
}

pub async fn set_portal_options(app: Rc<App>, staff: Staff, Json(patch): Json<OptionsPatch>) -> ApiResult<Response> {
    staff.require_settings_role()?;
    let change = OptionsChange {
        invitation_ttl_hours: patch.invitation_ttl_hours,
        show_full_ledger_history: patch.show_full_ledger_history,
        require_recurring_authorization: patch.require_recurring_authorization,
        auto_portal_access_for_new_contacts: patch.auto_portal_access_for_new_contacts,
        payment_gateway: patch.payment_gateway.map(|g| GatewayRequest { kind: g.kind, account_id: g.account_id }),
        allow_drop_requests: patch.allow_drop_requests,
        allow_transfer_requests: patch.allow_transfer_requests,
        allow_cancel_waitlist: patch.allow_cancel_waitlist,
    };
    options_body(&settings::change_portal_options(&app, &staff.org, &staff.actor(), change).await?)
}
