//! Organization settings: the Customer Portal switch and the portal options.

use crate::http::{json, Json, Response, Staff};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::settings;
use crate::error::ApiResult;
use portal_core::portal_switch::status_message;
use portal_core::settings::{GatewayRequest, MakeupMode, OptionsChange, PortalOptions};

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
    time_zone: &'static str,
    show_attendance: bool,
    makeups: MakeupMode,
    allow_future_absences: bool,
    show_qr_codes: bool,
    show_passes: bool,
    allow_pass_redemption: bool,
    show_credit: bool,
    allow_statements: bool,
    allow_ledger_report: bool,
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
            time_zone: o.time_zone.name(),
            show_attendance: o.show_attendance,
            makeups: o.makeups,
            allow_future_absences: o.allow_future_absences,
            show_qr_codes: o.show_qr_codes,
            show_passes: o.show_passes,
            allow_pass_redemption: o.allow_pass_redemption,
            show_credit: o.show_credit,
            allow_statements: o.allow_statements,
            allow_ledger_report: o.allow_ledger_report,
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
    time_zone: Option<String>,
    show_attendance: Option<bool>,
    makeups: Option<MakeupMode>,
    allow_future_absences: Option<bool>,
    show_qr_codes: Option<bool>,
    show_passes: Option<bool>,
    allow_pass_redemption: Option<bool>,
    show_credit: Option<bool>,
    allow_statements: Option<bool>,
    allow_ledger_report: Option<bool>,
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
        time_zone: patch.time_zone,
        show_attendance: patch.show_attendance,
        makeups: patch.makeups,
        allow_future_absences: patch.allow_future_absences,
        show_qr_codes: patch.show_qr_codes,
        show_passes: patch.show_passes,
        allow_pass_redemption: patch.allow_pass_redemption,
        show_credit: patch.show_credit,
        allow_statements: patch.allow_statements,
        allow_ledger_report: patch.allow_ledger_report,
    };
    options_body(&settings::change_portal_options(&app, &staff.org, &staff.actor(), change).await?)
}
