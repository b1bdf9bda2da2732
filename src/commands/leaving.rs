//! A secondary guardian leaves a family ("Leave this family" on My Account): their access there
//! ends as a manual revoke ends it (the invitation state, every session in this family, the saved
//! payment methods here deleted through the queue), in one guarded batch with the audit entry that
//! names them and the Primary Guardian's e-mail. Their memberships in other families stay.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::{load_target, primary_contact};
use crate::commands::{guarded_effects, payments};
use crate::context::OrgContext;
use crate::error::ApiResult;
use crate::store::invitations::guardian_changed_by;
use crate::store::{revocation, sessions, won};
use portal_core::access::GuardianFacts;
use portal_core::ids::FamilyId;
use portal_core::leaving::{left_entry, may_leave, primary_notice, LEFT_REASON};
use serde::Serialize;

/// A family by id and name.
#[derive(Debug, Serialize)]
pub struct FamilyName {
    pub id: FamilyId,
    pub name: String,
}

/// What leaving answers: the family left, and the families the person can still log in to.
#[derive(Debug, Serialize)]
pub struct LeftFamily {
    pub left: FamilyName,
    pub families: Vec<FamilyName>,
}

pub async fn leave_family(app: &App, org: &OrgContext, me: &GuardianFacts, person_id: &str, confirm: bool) -> ApiResult<LeftFamily> {
    may_leave(me, confirm)?;
    let (target, family) = load_target(app, org, &me.id).await?;
    let primary = primary_contact(app, &family).await?;
    let change_id = new_id("chg")?;
    let mut statements = revocation::revoke(&app.db, &me.id, &change_id, app.now())?;
    let deletion = payments::delete_on_revoke(app, &org.id, &target, &family.id, &change_id, LEFT_REASON, guardian_changed_by(&me.id, &change_id))?
        .add_to(&mut statements);
    let notices: Vec<_> = primary_notice(me, primary.email.as_deref(), &org.name, &family.name).into_iter().collect();
    let fx = guarded_effects(app, &org.id, &[left_entry(me)], &notices, || guardian_changed_by(&me.id, &change_id))?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    // No change: a revoke came first, and the guardian is out of the family all the same.
    if won(&results, 0)? {
        app.enqueue(&fx.outbox_ids).await;
        deletion.enqueue(app, &results).await?;
    }
    let families = sessions::families_of_person(&app.db, person_id).await?;
    Ok(LeftFamily {
        left: FamilyName { id: FamilyId(family.id), name: family.name },
        families: families.into_iter().map(|f| FamilyName { id: FamilyId(f.id), name: f.name }).collect(),
    })
}
