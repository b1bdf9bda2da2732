//! Organization settings: the Customer Portal switch and the portal options.

use crate::http::{json, Json, Staff};
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use crate::store::organizations::PortalOptionsRow;
use crate::store::{audit, organizations, outbox, staff, won};
use portal_core::audit::AuditEntry;
use portal_core::payments::{check_gateway_setting, GatewayKind};
use crate::adapters::switch;
use portal_core::portal_switch::{set_customer_portal as decide, status_message, SwitchState};
use worker::Response;

fn switch_body(enabled: bool) -> ApiResult<Response> {
    json(200, &json!({ "enabled": enabled, "status_message": status_message(enabled) }))
}

pub async fn show_customer_portal(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    let _app = &*app;
    switch_body(staff.portal_enabled)
}

#[derive(Deserialize)]
pub struct SwitchBody {
    enabled: bool,
}

pub async fn set_customer_portal(app: Rc<App>, staff: Staff, Json(body): Json<SwitchBody>) -> ApiResult<Response> {
    let app = &*app;
    staff.require_settings_role()?;
    let owners = staff::owner_emails(&app.db, &staff.org.id).await?;
    let state = SwitchState {
        org_id: &staff.org.id,
        org_name: &staff.org.name,
        enabled: staff.portal_enabled,
        owner_emails: &owners,
    };
    let decision = decide(&state, body.enabled, &staff.actor());
    if !decision.changed {
        switch::publish(app, &staff.org.slug, decision.enabled).await;
        return switch_body(decision.enabled);
    }

    let db = &app.db;
    let change_id = new_id("chg")?;
    let mut statements = vec![organizations::set_portal_enabled(
        db,
        &staff.org.id,
        &change_id,
        decision.enabled,
        decision.end_customer_sessions,
        app.now,
    )?];
    if let Some(entry) = &decision.audit {
        statements.push(audit::insert(db, &staff.org.id, entry, app.now, Some(organizations::changed_by(&staff.org.id, &change_id)))?);
    }
    let mut outbox_ids = Vec::new();
    for notice in &decision.notices {
        let row = outbox::insert_email(
            db,
            Some(&staff.org.id),
            notice,
            &app.config.public_base_url,
            app.now,
            Some(organizations::changed_by(&staff.org.id, &change_id)),
        )?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    let results = app.db.batch(statements).await?;
    let won = won(&results, 0)?;
    if !won {
        // Someone else flipped it first; report the switch as it now is.
        let now_enabled = organizations::portal_enabled(db, &staff.org.slug)
            .await?
            .unwrap_or(decision.enabled);
        switch::publish(app, &staff.org.slug, now_enabled).await;
        return switch_body(now_enabled);
    }
    app.enqueue(&outbox_ids).await;
    switch::publish(app, &staff.org.slug, decision.enabled).await;
    switch_body(decision.enabled)
}

fn options_body(o: &PortalOptionsRow) -> ApiResult<Response> {
    json(
        200,
        &json!({
            "invitation_ttl_hours": o.invitation_ttl_hours,
            "show_full_ledger_history": o.show_full_ledger_history != 0,
            "require_recurring_authorization": o.require_recurring_authorization != 0,
            "auto_portal_access_for_new_contacts": o.auto_portal_access_for_new_contacts != 0,
            "payment_gateway": {
                "kind": o.payment_gateway_kind,
                "account_id": o.payment_gateway_account_id,
            },
        }),
    )
}

async fn load_options(app: &App, org_id: &str) -> ApiResult<PortalOptionsRow> {
    organizations::portal_options(&app.db, org_id)
        .await?
        .ok_or_else(|| ApiError::internal("the signed-in staff member's organization is missing"))
}

pub async fn show_portal_options(app: Rc<App>, staff: Staff) -> ApiResult<Response> {
    let app = &*app;
    options_body(&load_options(app, &staff.org.id).await?)
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
    invitation_ttl_hours: Option<i64>,
    show_full_ledger_history: Option<bool>,
    require_recurring_authorization: Option<bool>,
    auto_portal_access_for_new_contacts: Option<bool>,
    payment_gateway: Option<GatewayBody>,
}

pub async fn set_portal_options(app: Rc<App>, staff: Staff, Json(patch): Json<OptionsPatch>) -> ApiResult<Response> {
    let app = &*app;
    staff.require_settings_role()?;
    let mut o = load_options(app, &staff.org.id).await?;
    let mut changed = Vec::new();
    if let Some(hours) = patch.invitation_ttl_hours {
        if !(1..=720).contains(&hours) {
            return Err(ApiError::invalid_field("invitation_ttl_hours must be between 1 and 720."));
        }
        o.invitation_ttl_hours = hours;
        changed.push(format!("invitation_ttl_hours = {hours}"));
    }
    for (value, field, name) in [
        (patch.show_full_ledger_history, &mut o.show_full_ledger_history, "show_full_ledger_history"),
        (patch.require_recurring_authorization, &mut o.require_recurring_authorization, "require_recurring_authorization"),
        (patch.auto_portal_access_for_new_contacts, &mut o.auto_portal_access_for_new_contacts, "auto_portal_access_for_new_contacts"),
    ] {
        if let Some(v) = value {
            *field = i64::from(v);
            changed.push(format!("{name} = {v}"));
        }
    }
    if let Some(g) = patch.payment_gateway {
        let kind = GatewayKind::parse(&g.kind)
            .ok_or_else(|| ApiError::invalid_field("payment_gateway.kind must be none, sandbox or stripe."))?;
        let account_id = g.account_id.filter(|a| !a.trim().is_empty());
        check_gateway_setting(kind, account_id.as_deref(), app.config.is_development())?;
        if kind == GatewayKind::Stripe && app.config.stripe.is_none() {
            return Err(ApiError::invalid_field("This deployment has no STRIPE_SECRET_KEY, so it cannot use Stripe."));
        }
        o.payment_gateway_kind = kind.as_str().into();
        o.payment_gateway_account_id = if kind == GatewayKind::None { None } else { account_id };
        changed.push(format!("payment_gateway = {}", kind.as_str()));
    }
    if changed.is_empty() {
        return options_body(&o);
    }
    let entry = AuditEntry {
        actor: staff.actor(),
        action: "portal_options_changed".into(),
        target_kind: "organization".into(),
        target_id: staff.org.id.clone(),
        target_label: Some(staff.org.name.clone()),
        family_id: None,
        reason: Some(changed.join(", ")),
    };
    app.db
        .batch(vec![
            organizations::set_portal_options(&app.db, &staff.org.id, &o, app.now)?,
            audit::insert(&app.db, &staff.org.id, &entry, app.now, None)?,
        ])
        .await?;
    options_body(&o)
}
