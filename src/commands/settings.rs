//! Organization settings: the Customer Portal switch and the portal options. Who may change them
//! (owners and admins) is checked by the `Staff` extractor's `require_settings_role`.

use crate::adapters::crypto::new_id;
use crate::adapters::switch;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::error::{ApiError, ApiResult};
use crate::store::{audit, organizations, outbox, staff, won};
use portal_core::audit::Actor;
use portal_core::portal_switch::{set_customer_portal as decide, SwitchState};
use portal_core::settings::{change_portal_options as decide_options, Deployment, OptionsChange, OptionsState, PortalOptions};

/// Turns the Customer Portal on or off and answers whether it is on now. Owners are told by e-mail,
/// disabling ends every customer session, and KV gets the new value for the edge gate (again even
/// when nothing changed, so that a stale KV copy heals).
pub async fn set_customer_portal(app: &App, org: &OrgContext, actor: &Actor, enabled_now: bool, enable: bool) -> ApiResult<bool> {
    let owners = staff::owner_emails(&app.db, &org.id).await?;
    let state = SwitchState { org_id: &org.id, org_name: &org.name, enabled: enabled_now, owner_emails: &owners };
    let decision = decide(&state, enable, actor);
    if !decision.changed {
        switch::publish(app, &org.slug, decision.enabled).await;
        return Ok(decision.enabled);
    }

    let db = &app.db;
    let change_id = new_id("chg")?;
    let guard = || Some(organizations::changed_by(&org.id, &change_id));
    let mut statements = vec![organizations::set_portal_enabled(
        db,
        &org.id,
        &change_id,
        decision.enabled,
        decision.end_customer_sessions,
        app.now(),
    )?];
    if let Some(entry) = &decision.audit {
        statements.push(audit::insert(db, &org.id, entry, app.now(), guard())?);
    }
    let mut outbox_ids = Vec::new();
    for notice in &decision.notices {
        let row = outbox::insert_email(db, Some(&org.id), notice, &app.config.public_base_url, app.now(), guard())?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    let results = db.batch(statements).await?;
    if !won(&results, 0)? {
        // Someone else flipped it first; report the switch as it now is.
        let now_enabled = organizations::portal_enabled(db, &org.slug).await?.unwrap_or(decision.enabled);
        switch::publish(app, &org.slug, now_enabled).await;
        return Ok(now_enabled);
    }
    app.enqueue(&outbox_ids).await;
    switch::publish(app, &org.slug, decision.enabled).await;
    Ok(decision.enabled)
}

/// The organization's portal options. Its staff are signed in, so the organization exists.
pub async fn portal_options(app: &App, org_id: &str) -> ApiResult<PortalOptions> {
    organizations::portal_options(&app.db, org_id)
        .await?
        .ok_or_else(|| ApiError::internal("the signed-in staff member's organization is missing"))
}

/// Changes the options `change` names, with an audit entry, and answers the options as they now are.
pub async fn change_portal_options(app: &App, org: &OrgContext, actor: &Actor, change: OptionsChange) -> ApiResult<PortalOptions> {
    let state = OptionsState {
        org_id: &org.id,
        org_name: &org.name,
        options: portal_options(app, &org.id).await?,
        deployment: Deployment { development: app.config.is_development(), stripe_configured: app.config.stripe.is_some() },
    };
    let decision = decide_options(state, change, actor)?;
    if let Some(entry) = &decision.audit {
        app.db
            .batch(vec![
                organizations::set_portal_options(&app.db, &org.id, &decision.options, app.now())?,
                audit::insert(&app.db, &org.id, entry, app.now(), None)?,
            ])
            .await?;
    }
    Ok(decision.options)
}
