//! Access with an end date: the Primary Guardian sets, extends or clears the day a secondary's
//! access ends; the cron ends it once the day has come, as a revoke by the primary does (reason
//! "access period ended", the e-mail, saved payment methods deleted: the primary chose the date,
//! so this is a manual revoke). The session check refuses from the first instant of the day
//! whatever the cron has done (`http::session`).

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::{guardian_now, load_target, revoke_only_if, GuardianView};
use crate::context::OrgContext;
use crate::error::{ApiError, ApiResult};
use crate::store::access_end::{self as store, DueAccessEnd};
use crate::store::invitations::guardian_changed_by;
use crate::store::{audit, organizations};
use chrono::NaiveDate;
use portal_core::access::{AccessError, GuardianFacts, Requester};
use portal_core::access_end::{entry, set_access_end as decide, ACCESS_PERIOD_ENDED};
use portal_core::time_zone::OrgTimeZone;
use worker::console_error;

/// The primary (`me`) sets or clears (`None`) the day `guardian_id`'s access ends; answers the
/// guardian as the primary now sees them.
pub async fn set_access_end(app: &App, org: &OrgContext, me: &GuardianFacts, tz: &OrgTimeZone, guardian_id: &str, ends_on: Option<NaiveDate>) -> ApiResult<GuardianView> {
    if !me.is_primary {
        return Err(AccessError::PrimaryGuardianOnly.into());
    }
    let (target, _) = load_target(app, org, guardian_id).await?;
    // Another family's guardian is as unknown to this primary as another organization's.
    if target.family_id != me.family_id {
        return Err(AccessError::GuardianNotFound.into());
    }
    let end = decide(&target.facts(), ends_on, tz, app.now())?;
    let requester = Requester::Guardian(me.clone());
    let change_id = new_id("chg")?;
    let audit_entry = entry(requester.actor(), &target.facts(), end.as_ref());
    app.db
        .batch(vec![
            store::set(&app.db, &org.id, &target.id, &change_id, end.as_ref(), app.now())?,
            audit::insert(&app.db, &org.id, &audit_entry, app.now(), Some(guardian_changed_by(&target.id, &change_id)))?,
        ])
        .await?;
    guardian_now(app, org, &requester, guardian_id).await
}

/// The cron: every access whose end day has come is ended as the primary's revoke ends it.
pub async fn end_due(app: &App) -> ApiResult<()> {
    for due in store::due(&app.db, app.now()).await? {
        if let Err(e) = end_one(app, &due).await {
            console_error!("ending the access of {} failed (the next run tries again): {e:?}", due.id);
        }
    }
    Ok(())
}

async fn end_one(app: &App, due: &DueAccessEnd) -> ApiResult<()> {
    let org_row = organizations::find(&app.db, &due.org_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("guardian {} names a missing organization", due.id)))?;
    let org = OrgContext { id: due.org_id.clone(), slug: org_row.slug, name: org_row.name, invitation_ttl_hours: org_row.invitation_ttl_hours };
    let (target, family) = load_target(app, &org, &due.id).await?;
    let (primary, _) = load_target(app, &org, &family.primary_guardian_id).await?;
    let requester = Requester::Guardian(primary.facts());
    let reason = Some(ACCESS_PERIOD_ENDED.to_string());
    revoke_only_if(app, &org, &requester, &target, &family, reason, Some(store::still_reached(&target.id, app.now()))).await?;
    Ok(())
}
