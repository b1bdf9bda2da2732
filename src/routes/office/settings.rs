//! Organization settings: the Customer Portal switch and the portal options.

use crate::http::{json, Json, Response, Staff};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::settings;
use crate::error::ApiResult;
use portal_core::portal_switch::status_message;
use portal_core::settings::{GatewayRequest, OptionsChange, PortalOptions};

/// The switch as `GET` and `PUT` answer it.
#[derive(Serialize)]
struct CustomerPortalView {
    enabled: bool,
    status_message: &'static str,
}

fn switch_body(enabled: bool) -> ApiResult<Response> {
    json(200, &CustomerPortalView { enabled, status_message: status_message(enabled) })
}

pub async fn show_customer_portal(staff: Staff) -> ApiResult<Response> {
    switch_body(staff.portal_enabled)
}

#[derive(Deserialize)]
pub struct SwitchBody {
    enabled: bool,
}

pub async fn set_customer_portal(app: Rc<App>, staff: Staff, Json(body): Json<SwitchBody>) -> ApiResult<Response> {
    staff.require_settings_role()?;
    let enabled = settings::set_customer_portal(&app, &staff.org, &staff.actor(), staff.portal_enabled, body.enabled).await?;
    switch_body(enabled)
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
