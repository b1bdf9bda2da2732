//! The Customer Portal's options that owners and admins set (`/settings/portal-options`): which
//! values are valid, which payment gateway a deployment may use, and what a change records.
//! The switch itself (on/off and its status message) is `portal_switch`.

use crate::audit::{Actor, AuditEntry};
use crate::enrollment::RequestOptions;
use crate::payments::{check_gateway_setting, GatewayKind, PaymentError};
use crate::time_zone::OrgTimeZone;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// How long an invitation link may live, in hours: the bounds the database checks too.
pub const INVITATION_TTL_HOURS: RangeInclusive<i64> = 1..=720;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("invitation_ttl_hours must be between {min} and {max}.", min = INVITATION_TTL_HOURS.start(), max = INVITATION_TTL_HOURS.end())]
    InvitationTtl,
    #[error("payment_gateway.kind must be none, sandbox or stripe.")]
    UnknownGatewayKind,
    #[error("This deployment has no STRIPE_SECRET_KEY, so it cannot use Stripe.")]
    StripeNotConfigured,
    #[error("time_zone must be an IANA time zone name, such as America/Chicago or Europe/London.")]
    UnknownTimeZone,
    /// The gateway's own rules (`check_gateway_setting`): Stripe's account id, the sandbox outside development.
    #[error(transparent)]
    Gateway(#[from] PaymentError),
}

/// What the deployment can offer an organization, whatever its staff ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The sandbox gateway moves no money: development only.
    pub development: bool,
    /// Stripe goes through the platform's `STRIPE_SECRET_KEY`.
    pub stripe_configured: bool,
}

/// An organization's portal options, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalOptions {
    pub invitation_ttl_hours: i64,
    pub show_full_ledger_history: bool,
    pub require_recurring_authorization: bool,
    /// Staff creating a family invite its primary guardian at once.
    pub auto_portal_access_for_new_contacts: bool,
    /// `none`, `sandbox` or `stripe` (`GatewayKind`), as stored.
    pub payment_gateway_kind: String,
    pub payment_gateway_account_id: Option<String>,
    /// Which enrollment requests families may make in the portal (staff decide each).
    pub allow_drop_requests: bool,
    pub allow_transfer_requests: bool,
    /// Cancelling a waitlist spot takes effect at once.
    pub allow_cancel_waitlist: bool,
    /// Every date of the Your Student(s) rules is a date here.
    pub time_zone: OrgTimeZone,
    pub show_attendance: bool,
    pub makeups: MakeupMode,
    pub allow_future_absences: bool,
    pub show_qr_codes: bool,
    pub show_passes: bool,
    /// Families redeem punches themselves (staff always may).
    pub allow_pass_redemption: bool,
    pub show_credit: bool,
    pub allow_statements: bool,
    pub allow_ledger_report: bool,
}

impl PortalOptions {
    /// Which enrollment requests families may make in the portal.
    pub fn requests(&self) -> RequestOptions {
        RequestOptions {
            allow_drop_requests: self.allow_drop_requests,
            allow_transfer_requests: self.allow_transfer_requests,
            allow_cancel_waitlist: self.allow_cancel_waitlist,
        }
    }
}

/// How an organization offers makeups, if at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MakeupMode {
    #[default]
    None,
    /// Staff issue tokens that families redeem into a one-day enrollment.
    Tokens,
    /// Families ask, staff approve or deny.
    Requests,
}

impl MakeupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MakeupMode::None => "none",
            MakeupMode::Tokens => "tokens",
            MakeupMode::Requests => "requests",
        }
    }
    /// As stored: anything else reads as none (the column's CHECK allows only the three).
    pub fn from_stored(s: &str) -> MakeupMode {
        match s {
            "tokens" => MakeupMode::Tokens,
            "requests" => MakeupMode::Requests,
            _ => MakeupMode::None,
        }
    }
}

/// A gateway as staff ask for it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayRequest {
    pub kind: String,
    pub account_id: Option<String>,
}

/// The options a change names; the others stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionsChange {
    pub invitation_ttl_hours: Option<i64>,
    pub show_full_ledger_history: Option<bool>,
    pub require_recurring_authorization: Option<bool>,
    pub auto_portal_access_for_new_contacts: Option<bool>,
    pub payment_gateway: Option<GatewayRequest>,
    pub allow_drop_requests: Option<bool>,
    pub allow_transfer_requests: Option<bool>,
    pub allow_cancel_waitlist: Option<bool>,
    /// An IANA name, checked here.
    pub time_zone: Option<String>,
    pub show_attendance: Option<bool>,
    pub makeups: Option<MakeupMode>,
    pub allow_future_absences: Option<bool>,
    pub show_qr_codes: Option<bool>,
    pub show_passes: Option<bool>,
    pub allow_pass_redemption: Option<bool>,
    pub show_credit: Option<bool>,
    pub allow_statements: Option<bool>,
    pub allow_ledger_report: Option<bool>,
}

/// What the options look like to a change.
pub struct OptionsState<'a> {
    pub org_id: &'a str,
    pub org_name: &'a str,
    pub options: PortalOptions,
    pub deployment: Deployment,
}

#[derive(Debug, PartialEq, Eq)]
pub struct OptionsDecision {
    pub options: PortalOptions,
    /// `None` when the change named no option: nothing is written. An option named with the value
    /// it already had still counts, so that the audit log shows what staff asked for.
    pub audit: Option<AuditEntry>,
}

/// Checks a gateway request against the deployment. A blank account id is no account id, and
/// `none` keeps none.
pub fn choose_gateway(request: GatewayRequest, deployment: Deployment) -> Result<(GatewayKind, Option<String>), SettingsError> {
    let kind = GatewayKind::parse(&request.kind).ok_or(SettingsError::UnknownGatewayKind)?;
    let account_id = request.account_id.filter(|a| !a.trim().is_empty());
    check_gateway_setting(kind, account_id.as_deref(), deployment.development)?;
    if kind == GatewayKind::Stripe && !deployment.stripe_configured {
        return Err(SettingsError::StripeNotConfigured);
    }
    Ok((kind, if kind == GatewayKind::None { None } else { account_id }))
}

/// Applies `change` to the options, or refuses it whole if any value is invalid.
pub fn change_portal_options(state: OptionsState<'_>, change: OptionsChange, actor: &Actor) -> Result<OptionsDecision, SettingsError> {
    let mut o = state.options;
    let mut changed = Vec::new();
    if let Some(hours) = change.invitation_ttl_hours {
        if !INVITATION_TTL_HOURS.contains(&hours) {
            return Err(SettingsError::InvitationTtl);
        }
        o.invitation_ttl_hours = hours;
        changed.push(format!("invitation_ttl_hours = {hours}"));
    }
    for (value, field, name) in [
        (change.show_full_ledger_history, &mut o.show_full_ledger_history, "show_full_ledger_history"),
        (change.require_recurring_authorization, &mut o.require_recurring_authorization, "require_recurring_authorization"),
        (change.auto_portal_access_for_new_contacts, &mut o.auto_portal_access_for_new_contacts, "auto_portal_access_for_new_contacts"),
        (change.allow_drop_requests, &mut o.allow_drop_requests, "allow_drop_requests"),
        (change.allow_transfer_requests, &mut o.allow_transfer_requests, "allow_transfer_requests"),
        (change.allow_cancel_waitlist, &mut o.allow_cancel_waitlist, "allow_cancel_waitlist"),
        (change.show_attendance, &mut o.show_attendance, "show_attendance"),
        (change.allow_future_absences, &mut o.allow_future_absences, "allow_future_absences"),
        (change.show_qr_codes, &mut o.show_qr_codes, "show_qr_codes"),
        (change.show_passes, &mut o.show_passes, "show_passes"),
        (change.allow_pass_redemption, &mut o.allow_pass_redemption, "allow_pass_redemption"),
        (change.show_credit, &mut o.show_credit, "show_credit"),
        (change.allow_statements, &mut o.allow_statements, "allow_statements"),
        (change.allow_ledger_report, &mut o.allow_ledger_report, "allow_ledger_report"),
    ] {
        if let Some(v) = value {
            *field = v;
            changed.push(format!("{name} = {v}"));
        }
    }
    if let Some(mode) = change.makeups {
        o.makeups = mode;
        changed.push(format!("makeups = {}", mode.as_str()));
    }
    if let Some(name) = change.time_zone {
        o.time_zone = OrgTimeZone::parse(name.trim()).map_err(|_| SettingsError::UnknownTimeZone)?;
        changed.push(format!("time_zone = {}", o.time_zone.name()));
    }
    if let Some(request) = change.payment_gateway {
        let (kind, account_id) = choose_gateway(request, state.deployment)?;
        o.payment_gateway_kind = kind.as_str().into();
        o.payment_gateway_account_id = account_id;
        changed.push(format!("payment_gateway = {}", kind.as_str()));
    }
    let audit = (!changed.is_empty()).then(|| AuditEntry {
        actor: actor.clone(),
        action: "portal_options_changed".into(),
        target_kind: "organization".into(),
        target_id: state.org_id.into(),
        target_label: Some(state.org_name.into()),
        family_id: None,
        reason: Some(changed.join(", ")),
    });
    Ok(OptionsDecision { options: o, audit })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: Deployment = Deployment { development: true, stripe_configured: false };
    const PROD_WITH_STRIPE: Deployment = Deployment { development: false, stripe_configured: true };

    fn defaults() -> PortalOptions {
        PortalOptions {
            invitation_ttl_hours: 48,
            show_full_ledger_history: false,
            require_recurring_authorization: false,
            auto_portal_access_for_new_contacts: false,
            payment_gateway_kind: "none".into(),
            payment_gateway_account_id: None,
            allow_drop_requests: false,
            allow_transfer_requests: false,
            allow_cancel_waitlist: false,
            time_zone: OrgTimeZone::default(),
            show_attendance: false,
            makeups: MakeupMode::None,
            allow_future_absences: false,
            show_qr_codes: false,
            show_passes: false,
            allow_pass_redemption: false,
            show_credit: false,
            allow_statements: false,
            allow_ledger_report: false,
        }
    }

    fn change(c: OptionsChange, deployment: Deployment) -> Result<OptionsDecision, SettingsError> {
        let state = OptionsState { org_id: "org_1", org_name: "Splash", options: defaults(), deployment };
        change_portal_options(state, c, &Actor::staff("stf_1", "a@x.test"))
    }

    fn gateway(kind: &str, account_id: Option<&str>) -> GatewayRequest {
        GatewayRequest { kind: kind.into(), account_id: account_id.map(Into::into) }
    }

    #[test]
    fn invitation_ttl_is_one_hour_to_thirty_days() {
        for ok in [1, 48, 720] {
            let d = change(OptionsChange { invitation_ttl_hours: Some(ok), ..Default::default() }, DEV).unwrap();
            assert_eq!(d.options.invitation_ttl_hours, ok);
        }
        for bad in [0, -1, 721] {
            let e = change(OptionsChange { invitation_ttl_hours: Some(bad), ..Default::default() }, DEV).unwrap_err();
            assert_eq!(e, SettingsError::InvitationTtl);
            assert_eq!(e.to_string(), "invitation_ttl_hours must be between 1 and 720.");
        }
    }

    #[test]
    fn the_time_zone_is_an_iana_name_and_makeups_one_mode() {
        let d = change(OptionsChange { time_zone: Some("America/Chicago".into()), makeups: Some(MakeupMode::Tokens), ..Default::default() }, DEV).unwrap();
        assert_eq!((d.options.time_zone.name(), d.options.makeups), ("America/Chicago", MakeupMode::Tokens));
        assert_eq!(d.audit.unwrap().reason.as_deref(), Some("makeups = tokens, time_zone = America/Chicago"));
        let e = change(OptionsChange { time_zone: Some("Central".into()), ..Default::default() }, DEV).unwrap_err();
        assert_eq!(e, SettingsError::UnknownTimeZone);
    }

    #[test]
    fn an_empty_change_writes_nothing() {
        let d = change(OptionsChange::default(), DEV).unwrap();
        assert_eq!((d.options, d.audit), (defaults(), None));
    }

    #[test]
    fn the_audit_entry_lists_every_option_named_in_order() {
        let d = change(
            OptionsChange {
                invitation_ttl_hours: Some(72),
                auto_portal_access_for_new_contacts: Some(true),
                show_full_ledger_history: Some(false),
                payment_gateway: Some(gateway("sandbox", None)),
                ..Default::default()
            },
            DEV,
        )
        .unwrap();
        assert!(d.options.auto_portal_access_for_new_contacts && !d.options.show_full_ledger_history);
        let audit = d.audit.unwrap();
        assert_eq!((audit.action.as_str(), audit.target_id.as_str()), ("portal_options_changed", "org_1"));
        assert_eq!(
            audit.reason.as_deref(),
            Some(
                "invitation_ttl_hours = 72, show_full_ledger_history = false, \
                 auto_portal_access_for_new_contacts = true, payment_gateway = sandbox"
            )
        );
    }

    #[test]
    fn an_invalid_value_refuses_the_whole_change() {
        let c = OptionsChange { show_full_ledger_history: Some(true), payment_gateway: Some(gateway("paypal", None)), ..Default::default() };
        assert_eq!(change(c, DEV), Err(SettingsError::UnknownGatewayKind));
    }

    #[test]
    fn the_sandbox_is_for_development_only() {
        assert_eq!(choose_gateway(gateway("sandbox", None), DEV), Ok((GatewayKind::Sandbox, None)));
        assert!(matches!(choose_gateway(gateway("sandbox", None), PROD_WITH_STRIPE), Err(SettingsError::Gateway(_))));
    }

    #[test]
    fn stripe_needs_the_platform_key_and_a_connected_account() {
        assert_eq!(
            choose_gateway(gateway("stripe", Some("acct_1Abc")), PROD_WITH_STRIPE),
            Ok((GatewayKind::Stripe, Some("acct_1Abc".into())))
        );
        assert_eq!(choose_gateway(gateway("stripe", Some("acct_1Abc")), DEV), Err(SettingsError::StripeNotConfigured));
        for account in [None, Some("  "), Some("acct_"), Some("cus_1")] {
            assert!(matches!(choose_gateway(gateway("stripe", account), PROD_WITH_STRIPE), Err(SettingsError::Gateway(_))), "{account:?}");
        }
    }

    #[test]
    fn no_gateway_keeps_no_account() {
        assert_eq!(choose_gateway(gateway("none", Some("acct_1Abc")), DEV), Ok((GatewayKind::None, None)));
    }
}
