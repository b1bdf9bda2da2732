//! Scheduled maintenance of the Customer Portal: staff schedule, change and cancel a window; a
//! manual enable during one ends it; the cron tidies up after a start and an end. The gate and
//! the session check compare the window's times themselves, so none of this has to run on time.

use crate::adapters::crypto::new_id;
use crate::adapters::switch;
use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::settings;
use crate::error::{ApiError, ApiResult};
use crate::store::maintenance::{self as store, DueWindow};
use crate::store::{audit, organizations};
use portal_core::audit::Actor;
use portal_core::maintenance::{audit_entry, MaintenanceEvent, MaintenanceWindow};
use portal_core::portal_switch::status_message;
use portal_core::time::Timestamp;
use serde::Serialize;

/// The switch as staff read it: during a window the portal reads as off.
#[derive(Debug, Serialize)]
pub struct CustomerPortalReadout {
    pub enabled: bool,
    pub status_message: &'static str,
    /// The window, until its end has passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleView>,
}

#[derive(Debug, Serialize)]
pub struct ScheduleView {
    pub starts_at: String,
    pub ends_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the window is on now (the Office page says so).
    #[serde(skip)]
    pub on: bool,
}

pub fn readout(portal_enabled: bool, window: Option<&MaintenanceWindow>, now: Timestamp) -> CustomerPortalReadout {
    let window = window.filter(|w| !w.is_over(now));
    let enabled = portal_enabled && !window.is_some_and(|w| w.is_on(now));
    CustomerPortalReadout {
        enabled,
        status_message: status_message(enabled),
        schedule: window.map(|w| ScheduleView {
            starts_at: w.starts_at.to_rfc3339(),
            ends_at: w.ends_at.to_rfc3339(),
            note: w.note.clone(),
            on: w.is_on(now),
        }),
    }
}

/// What staff ask of the switch at once: on or off, and a window to schedule.
pub struct SwitchChange {
    pub enable: Option<bool>,
    pub schedule: Option<MaintenanceWindow>,
}

/// Carries out a change of the switch: enabling ends a window that is on (and turns the portal on
/// if it was off), then the window is scheduled; the gate's copy gets the result.
pub async fn change_switch(app: &App, org: &OrgContext, actor: &Actor, enabled_now: bool, change: SwitchChange) -> ApiResult<CustomerPortalReadout> {
    if let Some(enable) = change.enable {
        if enable {
            end_window(app, org, actor, MaintenanceEvent::Ended).await?;
        }
        settings::set_customer_portal(app, org, actor, enabled_now, enable).await?;
    }
    if let Some(window) = &change.schedule {
        schedule(app, org, actor, window).await?;
    }
    publish(app, org).await
}

/// Cancels the window not yet ended (one that is on ends now); no window, nothing to do.
pub async fn cancel(app: &App, org: &OrgContext, actor: &Actor) -> ApiResult<CustomerPortalReadout> {
    end_window(app, org, actor, MaintenanceEvent::Cancelled).await?;
    publish(app, org).await
}

/// The switch as D1 now has it, published to the gate and read out.
async fn publish(app: &App, org: &OrgContext) -> ApiResult<CustomerPortalReadout> {
    let facts = store::switch_facts(&app.db, &org.slug)
        .await?
        .ok_or_else(|| ApiError::internal("the signed-in staff member's organization is missing"))?;
    switch::publish_facts(app, &org.slug, &facts).await;
    Ok(readout(facts.portal_enabled, facts.window.window().as_ref(), app.now()))
}

async fn schedule(app: &App, org: &OrgContext, actor: &Actor, window: &MaintenanceWindow) -> ApiResult<()> {
    let change_id = new_id("chg")?;
    let entry = audit_entry(&org.id, &org.name, MaintenanceEvent::Scheduled, window, actor.clone());
    app.db
        .batch(vec![
            store::end_sessions_begun_before_start(&app.db, &org.id, app.now())?,
            store::schedule(&app.db, &org.id, &change_id, window, app.now())?,
            audit::insert(&app.db, &org.id, &entry, app.now(), Some(organizations::changed_by(&org.id, &change_id)))?,
        ])
        .await?;
    Ok(())
}

/// Ends the window not yet ended, audited as `event` only if there was one.
async fn end_window(app: &App, org: &OrgContext, actor: &Actor, event: MaintenanceEvent) -> ApiResult<()> {
    let Some(window) = store::switch_facts(&app.db, &org.slug).await?.and_then(|f| f.window.window()) else {
        return Ok(());
    };
    if window.is_over(app.now()) || (event == MaintenanceEvent::Ended && !window.is_on(app.now())) {
        return Ok(()); // enabling leaves a window still to come alone
    }
    let change_id = new_id("chg")?;
    let entry = audit_entry(&org.id, &org.name, event, &window, actor.clone());
    app.db
        .batch(vec![
            store::end_sessions_begun_before_start(&app.db, &org.id, app.now())?,
            store::end_now(&app.db, &org.id, &change_id, app.now())?,
            audit::insert(&app.db, &org.id, &entry, app.now(), Some(organizations::changed_by(&org.id, &change_id)))?,
        ])
        .await?;
    Ok(())
}

/// The cron's tidying of the windows that have started: the sessions begun before a start ended
/// (and only those, however late it runs), a start and an end each recorded once, the gate's copy re-published. Safe to run any number of
/// times (each write is guarded by the phase it moves on from).
pub async fn tidy(app: &App) -> ApiResult<()> {
    for due in store::due(&app.db, app.now()).await? {
        tidy_one(app, &due).await?;
    }
    Ok(())
}

async fn tidy_one(app: &App, due: &DueWindow) -> ApiResult<()> {
    let Some(window) = due.window.window() else { return Ok(()) };
    let now = app.now();
    let actor = portal_core::maintenance::cron_actor();
    let mut statements = Vec::new();
    let started = new_id("chg")?;
    let ended = new_id("chg")?;
    let entries = [
        audit_entry(&due.id, &due.name, MaintenanceEvent::Started, &window, actor.clone()),
        audit_entry(&due.id, &due.name, MaintenanceEvent::Ended, &window, actor),
    ];
    if due.maintenance_phase == "scheduled" {
        statements.push(store::end_sessions_begun_before_start(&app.db, &due.id, now)?);
        statements.push(store::mark_started(&app.db, &due.id, &started, window.starts_at, now)?);
        statements.push(audit::insert(&app.db, &due.id, &entries[0], now, Some(organizations::changed_by(&due.id, &started)))?);
    }
    if window.is_over(now) {
        statements.push(store::mark_ended(&app.db, &due.id, &ended, window.ends_at, now)?);
        statements.push(audit::insert(&app.db, &due.id, &entries[1], now, Some(organizations::changed_by(&due.id, &ended)))?);
    }
    if statements.is_empty() {
        return Ok(());
    }
    app.db.batch(statements).await?;
    if let Some(facts) = store::switch_facts(&app.db, &due.slug).await? {
        switch::publish_facts(app, &due.slug, &facts).await;
    }
    Ok(())
}
