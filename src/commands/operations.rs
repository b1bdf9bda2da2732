//! Office Portal operations on families: change the Primary Guardian, merge families, move a
//! contact. Each reads what the rule needs, asks `portal_core::operations`, then writes one atomic
//! D1 batch (`store::operations`) whose first statement carries a change id and whose other
//! statements run only if that first one changed something. The round trips do not grow with the
//! family: conditions are family-wide, not per guardian.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::{primary_contact, revoked_notice};
use crate::context::OrgContext;
use crate::commands::{guarded_effects, payments, Effects};
use crate::error::ApiResult;
use crate::store::families::{self, FamilyRow, GuardianRow};
use crate::store::guards::guardian_changed_by;
use crate::store::invitations;
use crate::store::revocation::{end_access, StateChange, Whose};
use crate::store::operations::{self, family_changed_by};
use crate::store::{changes, won, Guard};
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::family::FamilyStatus;
use portal_core::notification::Notification;
use portal_core::operations::{
    change_primary as decide_primary, merge as decide_merge, move_contact as decide_move, FamilyFacts,
    duplicate_guardians, Fold, OperationError, REASON_FAMILIES_MERGED, REASON_PRIMARY_CHANGED,
};
use worker::D1PreparedStatement;

/// At most this many families merge into one at a time (D1 binds at most 100 values a statement).
pub const MAX_MERGE_SOURCES: usize = 20;

fn facts(f: &FamilyRow) -> FamilyFacts {
    FamilyFacts {
        id: f.id.clone(),
        name: f.name.clone(),
        primary_guardian_id: f.primary_guardian_id.clone(),
        merged: f.status == FamilyStatus::Merged,
    }
}

fn revoked_entry(requester: &Requester, g: &GuardianRow, family_id: &str, reason: &str) -> AuditEntry {
    AuditEntry::about_guardian(requester.actor(), "access_revoked", &g.id, g.full_name(), family_id, Some(reason.into()))
}

fn family_entry(requester: &Requester, action: &str, family: &FamilyRow, reason: String) -> AuditEntry {
    AuditEntry {
        actor: requester.actor(),
        action: action.into(),
        target_kind: "family".into(),
        target_id: family.id.clone(),
        target_label: Some(family.name.clone()),
        family_id: Some(family.id.clone()),
        reason: Some(reason),
    }
}

/// The guardians the plan revokes, in the order they were loaded.
fn revoked_of<'g>(guardians: &'g [GuardianRow], revoked: &[String]) -> Vec<&'g GuardianRow> {
    guardians.iter().filter(|g| revoked.contains(&g.id)).collect()
}

/// The "your access ended" e-mail to each revoked guardian with an address.
fn revoked_notices(org: &OrgContext, revoked: &[&GuardianRow], family: &FamilyRow, primary_name: &str) -> Vec<Notification> {
    revoked
        .iter()
        .filter_map(|g| g.email.as_deref().map(|to| revoked_notice(org, g, family, primary_name, to)))
        .collect()
}

/// Writes the batch; the outbox rows go to the queue only if its first statement won. Returns how
/// many rows that statement changed (0: another command got there first).
async fn commit_guarded(app: &App, statements: Vec<D1PreparedStatement>, outbox_ids: &[String]) -> ApiResult<usize> {
    let results = app.db.batch(statements).await?;
    let changed = results.first().map(changes).transpose()?.unwrap_or(0);
    if changed > 0 {
        app.enqueue(outbox_ids).await;
    }
    Ok(changed)
}

/// The chosen guardian becomes primary; every other guardian's access is revoked.
pub async fn change_primary(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    family: &FamilyRow,
    new_primary_id: &str,
) -> ApiResult<()> {
    let guardians = families::family_guardians(&app.db, &family.id).await?;
    let facts_of: Vec<_> = guardians.iter().map(GuardianRow::facts).collect();
    let plan = decide_primary(&facts(family), &facts_of, new_primary_id)?;
    if plan.unchanged {
        return Ok(());
    }
    let Some(new_primary) = guardians.iter().find(|g| g.id == new_primary_id) else {
        return Err(OperationError::NotInFamily.into());
    };

    let change_id = new_id("chg")?;
    let guard = || family_changed_by(&family.id, &change_id);
    let db = &app.db;
    let mut statements =
        vec![operations::make_primary(db, &org.id, &family.id, &family.primary_guardian_id, new_primary_id, &change_id, app.now())?];
    let everyone_else = Whose::FamilyExcept { family_id: &family.id, keep: new_primary_id };
    statements.extend(end_access(db, everyone_else, StateChange::Guarded, "primary_changed", app.now(), guard)?);
    // The new primary keeps a login they had; an invited one goes back to no access.
    statements.extend(invitations::withdraw(db, new_primary_id, app.now(), || Some(guard()))?);
    let revoked = revoked_of(&guardians, &plan.revoked);
    let fx = primary_change_effects(app, org, requester, family, new_primary, &revoked, guard)?;
    statements.extend(fx.statements);
    if commit_guarded(app, statements, &fx.outbox_ids).await? == 0 {
        return Err(OperationError::Conflict.into());
    }
    Ok(())
}

/// The audit rows (the change, then each revoke) and the e-mails to the revoked guardians.
fn primary_change_effects<'a>(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    family: &FamilyRow,
    new_primary: &GuardianRow,
    revoked: &[&GuardianRow],
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Effects> {
    let new_name = new_primary.full_name();
    let mut entries =
        vec![family_entry(requester, "primary_guardian_changed", family, format!("{new_name} is now the Primary Guardian."))];
    entries.extend(revoked.iter().map(|g| revoked_entry(requester, g, &family.id, REASON_PRIMARY_CHANGED)));
    let notices = revoked_notices(org, revoked, family, &new_name);
    guarded_effects(app, &org.id, &entries, &notices, guard)
}

/// Merges `sources` into `target`: guardians and ledgers move, the sources are marked merged with
/// a pointer to the target, and all secondary access of the result is revoked. One atomic batch.
pub async fn merge(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &FamilyRow,
    sources: &[FamilyRow],
) -> ApiResult<()> {
    let mut guardians = families::family_guardians(&app.db, &target.id).await?;
    for s in sources {
        guardians.extend(families::family_guardians(&app.db, &s.id).await?);
    }
    let facts_of: Vec<_> = guardians.iter().map(GuardianRow::facts).collect();
    let source_facts: Vec<_> = sources.iter().map(facts).collect();
    let plan = decide_merge(&facts(target), &source_facts, &facts_of)?;
    let folds = duplicate_guardians(guardians.iter().map(|g| (g.id.as_str(), g.email.as_deref().or(g.person_id.as_deref()))));
    let primary = primary_contact(app, target).await?;

    let change_id = new_id("chg")?;
    let guard = || family_changed_by(&plan.source_ids[0], &change_id);
    let db = &app.db;
    let mut statements =
        operations::merge_family_into(db, &org.id, &target.id, &plan.source_ids, &folds, &change_id, app.now(), guard)?;
    let all_but_primary = Whose::FamilyExcept { family_id: &target.id, keep: &target.primary_guardian_id };
    statements.extend(end_access(db, all_but_primary, StateChange::Guarded, "families_merged", app.now(), guard)?);
    // A folded guardian is the same person as a kept one: they hear of it, and are audited, once.
    let revoked: Vec<&GuardianRow> =
        revoked_of(&guardians, &plan.revoked).into_iter().filter(|g| !folds.iter().any(|f| f.folded == g.id)).collect();
    let fx = merge_effects(app, org, requester, target, sources, &revoked, &folds, &guardians, &primary.name, guard)?;
    statements.extend(fx.statements);
    // Every source is marked merged, or none: fewer means another merge or change got there first.
    if commit_guarded(app, statements, &fx.outbox_ids).await? != plan.source_ids.len() {
        return Err(OperationError::Conflict.into());
    }
    Ok(())
}

/// The audit rows (the target's, each source's, then each revoke) and the e-mails to the revoked
/// guardians.
#[allow(clippy::too_many_arguments)]
fn merge_effects<'a>(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    target: &FamilyRow,
    sources: &[FamilyRow],
    revoked: &[&GuardianRow],
    folds: &[Fold],
    guardians: &[GuardianRow],
    primary_name: &str,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Effects> {
    let merged_names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    let mut entries = vec![family_entry(requester, "families_merged", target, format!("Merged in: {}.", merged_names.join(", ")))];
    entries.extend(sources.iter().map(|s| family_entry(requester, "family_merged_into", s, format!("Merged into {}.", target.name))));
    entries.extend(guardians.iter().filter(|g| folds.iter().any(|f| f.kept == g.id)).map(|g| {
        let why = "Listed in more than one of the merged families: kept once.".to_string();
        AuditEntry::about_guardian(requester.actor(), "guardian_folded", &g.id, g.full_name(), &target.id, Some(why))
    }));
    entries.extend(revoked.iter().map(|g| revoked_entry(requester, g, &target.id, REASON_FAMILIES_MERGED)));
    let notices = revoked_notices(org, revoked, target, primary_name);
    guarded_effects(app, &org.id, &entries, &notices, guard)
}

/// Moves a contact to another family after an explicit confirmation; their access ends and
/// nothing of the old family stays reachable with any of their tokens.
pub async fn move_contact(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    contact: &GuardianRow,
    from: &FamilyRow,
    to: &FamilyRow,
    confirmed: bool,
) -> ApiResult<()> {
    let plan = decide_move(&contact.facts(), &facts(to), confirmed)?;
    already_listed_in(app, contact, to).await?;
    // The old family's primary signs the "your access ended" e-mail.
    let primary_name = match (plan.revoke, &contact.email) {
        (true, Some(_)) => Some(primary_contact(app, from).await?.name),
        _ => None,
    };

    let change_id = new_id("chg")?;
    let guard = || guardian_changed_by(&contact.id, &change_id);
    let db = &app.db;
    // The move itself revokes the access state; the rest of ending access follows it.
    let mut statements = vec![operations::move_guardian(db, &contact.id, &from.id, &to.id, &change_id, app.now())?];
    statements.extend(end_access(db, Whose::Guardian(&contact.id), StateChange::ByCaller, "moved", app.now(), guard)?);
    // Moving is a manual revocation: the contact's saved payment methods are deleted.
    let why = format!("Moved to another account ({}).", to.name);
    let deletion = payments::delete_on_revoke(app, &org.id, contact, &from.id, &change_id, &why, guard())?.add_to(&mut statements);
    let fx = move_effects(app, org, requester, contact, from, to, plan.revoke, primary_name.as_deref(), guard)?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        return Err(OperationError::Conflict.into());
    }
    app.enqueue(&fx.outbox_ids).await;
    deletion.enqueue(app, &results).await
}

/// A family lists a person once: a contact moves only to a family that does not list them yet.
async fn already_listed_in(app: &App, contact: &GuardianRow, to: &FamilyRow) -> ApiResult<()> {
    let by_address = match &contact.email {
        Some(email) => families::email_in_family(&app.db, &to.id, email, None).await?,
        None => false,
    };
    let by_login = match &contact.person_id {
        Some(person_id) => families::is_member(&app.db, person_id, &to.id).await?,
        None => false,
    };
    if by_address || by_login {
        return Err(OperationError::AlreadyInFamily(contact.full_name()).into());
    }
    Ok(())
}

/// The audit rows (moved out of `from`, into `to`, and the revoke if there was access to revoke)
/// and the e-mail to the contact, when they had access and have an address.
#[allow(clippy::too_many_arguments)]
fn move_effects<'a>(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    contact: &GuardianRow,
    from: &FamilyRow,
    to: &FamilyRow,
    revoke: bool,
    primary_name: Option<&str>,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Effects> {
    let moved = |family: &FamilyRow, reason: String| {
        AuditEntry::about_guardian(requester.actor(), "contact_moved", &contact.id, contact.full_name(), &family.id, Some(reason))
    };
    let mut entries = vec![moved(from, format!("Moved to {}.", to.name)), moved(to, format!("Moved from {}.", from.name))];
    let mut notices = Vec::new();
    if revoke {
        entries.push(revoked_entry(requester, contact, &from.id, &format!("Moved to another account ({}).", to.name)));
        if let (Some(email), Some(primary_name)) = (&contact.email, primary_name) {
            notices.push(revoked_notice(org, contact, from, primary_name, email));
        }
    }
    guarded_effects(app, &org.id, &entries, &notices, guard)
}
