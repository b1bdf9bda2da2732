//! Organization settings: the Customer Portal switch.

use super::authenticate;
use crate::app::App;
use crate::crypto::new_id;
use crate::error::ApiResult;
use crate::http::{json, read_json};
use crate::store::{audit, changes, organizations, outbox, staff};
use crate::switch;
use portal_core::portal_switch::{set_customer_portal as decide, status_message, SwitchState};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

fn switch_body(enabled: bool) -> ApiResult<Response> {
    json(200, &json!({ "enabled": enabled, "status_message": status_message(enabled) }))
}

pub async fn show_customer_portal(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    switch_body(staff.portal_enabled)
}

#[derive(Deserialize)]
struct SwitchBody {
    enabled: bool,
}

pub async fn set_customer_portal(app: &App, mut req: Request, org: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    staff.require_settings_role()?;
    let body: SwitchBody = read_json(&mut req).await?;
    let owners = staff::owner_emails(&app.db, &staff.org_id).await?;
    let state = SwitchState {
        org_id: &staff.org_id,
        org_name: &staff.org_name,
        enabled: staff.portal_enabled,
        owner_emails: &owners,
    };
    let decision = decide(&state, body.enabled, &staff.actor());
    if !decision.changed {
        switch::publish(app, &staff.org_slug, decision.enabled).await;
        return switch_body(decision.enabled);
    }

    let db = &app.db;
    let change_id = new_id("chg")?;
    let mut statements = vec![organizations::set_portal_enabled(
        db,
        &staff.org_id,
        &change_id,
        decision.enabled,
        decision.end_customer_sessions,
        app.now,
    )?];
    if let Some(entry) = &decision.audit {
        statements.push(audit::insert(db, &staff.org_id, entry, app.now, Some(organizations::changed_by(&staff.org_id, &change_id)))?);
    }
    let mut outbox_ids = Vec::new();
    for notice in &decision.notices {
        let row = outbox::insert_email(
            db,
            Some(&staff.org_id),
            notice,
            &app.config.public_base_url,
            app.now,
            Some(organizations::changed_by(&staff.org_id, &change_id)),
        )?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    let results = app.db.batch(statements).await?;
    let won = results.first().map(changes).transpose()?.unwrap_or(0) > 0;
    if !won {
        // Someone else flipped it first; report the switch as it now is.
        let now_enabled = organizations::portal_enabled(db, &staff.org_slug)
            .await?
            .unwrap_or(decision.enabled);
        switch::publish(app, &staff.org_slug, now_enabled).await;
        return switch_body(now_enabled);
    }
    app.enqueue(&outbox_ids).await;
    switch::publish(app, &staff.org_slug, decision.enabled).await;
    switch_body(decision.enabled)
}
