//! Settings > Customer Portal > Settings: "Enable Customer Portal" under its status message, and
//! the portal's other settings (invitations, financial, new contacts, the payment gateway, class
//! registration). Owners and admins change them, with the commands of the JSON API's
//! `/settings/customer-portal` and `/settings/portal-options`; other staff see them read-only.

use super::frame::*;
use crate::app::App;
use crate::commands::settings;
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Response, Router, Staff};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::portal_switch::status_message;
use portal_core::settings::{GatewayRequest, MakeupMode, OptionsChange, PortalOptions, INVITATION_TTL_HOURS};
use serde::Deserialize;
use std::rc::Rc;

const PAGE: &str = "settings/customer-portal";

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/settings/customer-portal", get(settings_page).post(save_customer_portal))
        .route("/office/:org/settings/portal-options", post(save_portal_options))
}

/// A payment gateway staff may choose here.
pub struct GatewayChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "office/settings.html")]
pub struct SettingsPage {
    chrome: Chrome,
    enabled: bool,
    may_change: bool,
    form: OptionsForm,
    gateways: Vec<GatewayChoice>,
    /// Whether a gateway account is on file: the account itself is never shown back.
    account_set: bool,
    errors: Errors,
}

impl SettingsPage {
    pub fn status_message(&self) -> &'static str {
        status_message(self.enabled)
    }
}

/// The portal options as the form has them: ticked boxes are "yes", missing ones unticked.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OptionsForm {
    pub invitation_ttl_hours: String,
    pub show_full_ledger_history: String,
    pub require_recurring_authorization: String,
    pub auto_portal_access_for_new_contacts: String,
    #[serde(rename = "payment_gateway.kind")]
    pub gateway_kind: String,
    #[serde(rename = "payment_gateway.account_id")]
    pub gateway_account_id: String,
    pub allow_drop_requests: String,
    pub allow_transfer_requests: String,
    pub allow_cancel_waitlist: String,
    pub time_zone: String,
    pub show_attendance: String,
    pub makeups: String,
    pub allow_future_absences: String,
    pub show_qr_codes: String,
    pub show_passes: String,
    pub allow_pass_redemption: String,
    pub show_credit: String,
    pub allow_statements: String,
    pub allow_ledger_report: String,
}

fn ticked(value: bool) -> String {
    if value { "yes".into() } else { String::new() }
}

impl OptionsForm {
    fn of(o: &PortalOptions) -> Self {
        OptionsForm {
            invitation_ttl_hours: o.invitation_ttl_hours.to_string(),
            show_full_ledger_history: ticked(o.show_full_ledger_history),
            require_recurring_authorization: ticked(o.require_recurring_authorization),
            auto_portal_access_for_new_contacts: ticked(o.auto_portal_access_for_new_contacts),
            gateway_kind: o.payment_gateway_kind.clone(),
            gateway_account_id: String::new(),
            allow_drop_requests: ticked(o.allow_drop_requests),
            allow_transfer_requests: ticked(o.allow_transfer_requests),
            allow_cancel_waitlist: ticked(o.allow_cancel_waitlist),
            time_zone: o.time_zone.name().into(),
            show_attendance: ticked(o.show_attendance),
            makeups: o.makeups.as_str().into(),
            allow_future_absences: ticked(o.allow_future_absences),
            show_qr_codes: ticked(o.show_qr_codes),
            show_passes: ticked(o.show_passes),
            allow_pass_redemption: ticked(o.allow_pass_redemption),
            show_credit: ticked(o.show_credit),
            allow_statements: ticked(o.allow_statements),
            allow_ledger_report: ticked(o.allow_ledger_report),
        }
    }

    /// The gateway to set, if any: a blank account id with the same gateway keeps the one on file.
    fn gateway(&self, current: &PortalOptions) -> Option<GatewayRequest> {
        let account_id = Some(self.gateway_account_id.trim().to_string()).filter(|a| !a.is_empty());
        (self.gateway_kind != current.payment_gateway_kind || account_id.is_some())
            .then(|| GatewayRequest { kind: self.gateway_kind.clone(), account_id })
    }
}

/// Present means ticked, as a browser sends a checkbox.
fn is_ticked(value: &str) -> bool {
    !value.is_empty()
}

/// The gateways this deployment offers, and the one on file even if it no longer would.
fn gateway_choices(app: &App, on_file: &str, selected: &str) -> Vec<GatewayChoice> {
    let offered = [
        ("none", "None", true),
        ("sandbox", "Sandbox (development only: moves no money)", app.config.is_development()),
        ("stripe", "Stripe", app.config.stripe.is_some()),
    ];
    offered
        .into_iter()
        .filter(|(value, _, offered)| *offered || *value == on_file)
        .map(|(value, label, _)| GatewayChoice { value, label, selected: value == selected })
        .collect()
}

fn render(app: &App, staff: &Staff, chrome: Chrome, current: &PortalOptions, form: OptionsForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let chrome = chrome.at(Section::Settings).with_errors(&errors);
    let gateways = gateway_choices(app, &current.payment_gateway_kind, &form.gateway_kind);
    let page = SettingsPage {
        chrome: chrome.clone(),
        enabled: staff.portal_enabled,
        may_change: staff.require_settings_role().is_ok(),
        form,
        gateways,
        account_set: current.payment_gateway_account_id.is_some(),
        errors,
    };
    respond(status, &page, &chrome)
}

pub async fn settings_page(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let current = settings::portal_options(&app, &staff.org.id).await?;
    render(&app, &staff, chrome, &current, OptionsForm::of(&current), Errors::default(), 200)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CustomerPortalForm {
    pub enable_customer_portal: String,
}

/// Save under "Enable Customer Portal": disabling ends every customer session at once.
pub async fn save_customer_portal(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Form(form): Form<CustomerPortalForm>) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    staff.require_settings_role()?;
    let enable = is_ticked(&form.enable_customer_portal);
    settings::set_customer_portal(&app, &staff.org, &staff.actor(), staff.portal_enabled, enable).await?;
    redirect_with(&org, PAGE, Flash::CustomerPortalSaved)
}

/// Save under the portal options: every option of the form in one change, or none if any is refused.
pub async fn save_portal_options(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Form(form): Form<OptionsForm>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    staff.require_settings_role()?;
    let current = settings::portal_options(&app, &staff.org.id).await?;
    let mut errors = Errors::default();
    let hours = match form.invitation_ttl_hours.trim().parse::<i64>() {
        Ok(hours) if INVITATION_TTL_HOURS.contains(&hours) => Some(hours),
        _ => {
            let (min, max) = (INVITATION_TTL_HOURS.start(), INVITATION_TTL_HOURS.end());
            errors.field("invitation_ttl_hours", format!("Enter the invitation lifetime as a whole number of hours from {min} to {max}."));
            None
        }
    };
    if let Some(hours) = hours {
        let change = OptionsChange {
            invitation_ttl_hours: Some(hours),
            show_full_ledger_history: Some(is_ticked(&form.show_full_ledger_history)),
            require_recurring_authorization: Some(is_ticked(&form.require_recurring_authorization)),
            auto_portal_access_for_new_contacts: Some(is_ticked(&form.auto_portal_access_for_new_contacts)),
            payment_gateway: form.gateway(&current),
            allow_drop_requests: Some(is_ticked(&form.allow_drop_requests)),
            allow_transfer_requests: Some(is_ticked(&form.allow_transfer_requests)),
            allow_cancel_waitlist: Some(is_ticked(&form.allow_cancel_waitlist)),
            time_zone: Some(form.time_zone.clone()),
            show_attendance: Some(is_ticked(&form.show_attendance)),
            makeups: Some(MakeupMode::from_stored(&form.makeups)),
            allow_future_absences: Some(is_ticked(&form.allow_future_absences)),
            show_qr_codes: Some(is_ticked(&form.show_qr_codes)),
            show_passes: Some(is_ticked(&form.show_passes)),
            allow_pass_redemption: Some(is_ticked(&form.allow_pass_redemption)),
            show_credit: Some(is_ticked(&form.show_credit)),
            allow_statements: Some(is_ticked(&form.allow_statements)),
            allow_ledger_report: Some(is_ticked(&form.allow_ledger_report)),
        };
        match settings::change_portal_options(&app, &staff.org, &staff.actor(), change).await {
            Ok(_) => return redirect_with(&org, PAGE, Flash::PortalOptionsSaved),
            Err(e) => errors.refusal(e, &["invitation_ttl_hours", "payment_gateway.kind", "payment_gateway.account_id", "time_zone"])?,
        }
    }
    // The account id typed is not shown back either.
    let form = OptionsForm { gateway_account_id: String::new(), ..form };
    render(&app, &staff, chrome, &current, form, errors, 422)
}
