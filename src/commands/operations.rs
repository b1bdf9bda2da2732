//! Office Portal operations on families: change the Primary Guardian, merge families, move a
//! contact. Each reads what the rule needs, then writes one atomic D1 batch whose first statement
//! carries a change id and whose other statements run only if that first one changed something.
//! The round trips do not grow with the family: conditions are family-wide, not per guardian.

use crate::commands::access::{primary_contact, revoked_notice, OrgContext};
use crate::app::App;
use crate::commands::guarded_effects;
use crate::adapters::crypto::new_id;
use crate::error::ApiResult;
use crate::commands::payments;
use crate::store::families::{self, FamilyRow, GuardianRow};
use crate::store::invitations::{guardian_changed_by, guarded_update};
use crate::store::{changes, int, text, Arg, Guard, won};
use portal_core::family::FamilyStatus;
use portal_core::access::Requester;
use portal_core::audit::AuditEntry;
use portal_core::notification::Notification;
use portal_core::operations::{
    change_primary as decide_primary, merge as decide_merge, move_contact as decide_move, FamilyFacts,
    OperationError, REASON_FAMILIES_MERGED, REASON_PRIMARY_CHANGED,
};
use worker::D1PreparedStatement;

/// At most this many families merge into one at a time (D1 binds at most 100 values a statement).
pub const MAX_MERGE_SOURCES: usize = 20;

pub fn facts(f: &FamilyRow) -> FamilyFacts {
    FamilyFacts {
        id: f.id.clone(),
        name: f.name.clone(),
        primary_guardian_id: f.primary_guardian_id.clone(),
        merged: f.status == FamilyStatus::Merged,
    }
}

fn family_changed_by<'a>(family_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM families WHERE id = ? AND last_change_id = ?)",
        args: vec![text(family_id), text(change_id)],
    }
}

/// Everyone in `family_id` but `keep` loses access: live invitations die, sessions and reset links end.
fn revoke_family_access<'a>(
    app: &App,
    family_id: &'a str,
    keep: &'a str,
    reason: &'a str,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let now = app.now.millis();
    let members = "SELECT id FROM guardians WHERE family_id = ? AND id != ?";
    Ok(vec![
        guarded_update(
            &app.db,
            "UPDATE guardians SET access_state = 'invite_revoked', updated_at = ? \
             WHERE family_id = ? AND id != ? AND access_state IN ('invite_sent', 'can_log_in')",
            vec![int(now), text(family_id), text(keep)],
            guard(),
        )?,
        guarded_update(
            &app.db,
            &format!("UPDATE invitations SET state = 'revoked', ended_at = ? WHERE state = 'pending' AND guardian_id IN ({members})"),
            vec![int(now), text(family_id), text(keep)],
            guard(),
        )?,
        guarded_update(
            &app.db,
            &format!("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND subject_id IN ({members})"),
            vec![int(now), text(reason), text(family_id), text(keep)],
            guard(),
        )?,
        guarded_update(
            &app.db,
            &format!("UPDATE password_resets SET used_at = ? WHERE used_at IS NULL AND guardian_id IN ({members})"),
            vec![int(now), text(family_id), text(keep)],
            guard(),
        )?,
    ])
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
    let now = app.now.millis();
    let mut statements = vec![app.db.stmt(
        "UPDATE families SET primary_guardian_id = ?1, last_change_id = ?2, updated_at = ?3 \
         WHERE id = ?4 AND org_id = ?5 AND primary_guardian_id = ?6 AND status = 'active'",
        &[
            text(new_primary_id),
            text(&change_id),
            int(now),
            text(&family.id),
            text(&org.id),
            text(&family.primary_guardian_id),
        ],
    )?];
    statements.extend(revoke_family_access(app, &family.id, new_primary_id, "primary_changed", guard)?);
    // The new primary keeps a login they had; an invitation they had died with the others.
    statements.push(guarded_update(
        &app.db,
        "UPDATE guardians SET access_state = 'no_access' WHERE id = ? AND access_state = 'invite_sent'",
        vec![text(new_primary_id)],
        guard(),
    )?);
    let revoked: Vec<&GuardianRow> = guardians.iter().filter(|g| plan.revoked.contains(&g.id)).collect();
    let mut entries = vec![family_entry(
        requester,
        "primary_guardian_changed",
        family,
        format!("{} is now the Primary Guardian.", new_primary.full_name()),
    )];
    entries.extend(revoked.iter().map(|g| revoked_entry(requester, g, &family.id, REASON_PRIMARY_CHANGED)));
    let new_name = new_primary.full_name();
    let notices: Vec<Notification> = revoked
        .iter()
        .filter_map(|g| g.email.as_deref().map(|to| revoked_notice(org, g, family, &new_name, to)))
        .collect();
    let fx = guarded_effects(app, &org.id, &entries, &notices, guard)?;
    statements.extend(fx.statements);
    if commit_guarded(app, statements, &fx.outbox_ids).await? == 0 {
        return Err(OperationError::Conflict.into());
    }
    Ok(())
}

/// Merges `sources` into `target`: guardians move, the sources are marked merged with a pointer
/// to the target, and all secondary access of the result is revoked. One atomic batch.
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

    let change_id = new_id("chg")?;
    let guard = || family_changed_by(&plan.source_ids[0], &change_id);
    let now = app.now.millis();
    let n = plan.source_ids.len();
    let list = vec!["?"; n].join(", ");
    // All sources and the target must still be active, or nothing happens.
    let mut args: Vec<Arg<'_>> = vec![text(&target.id), text(&change_id), int(now), text(&org.id)];
    args.extend(plan.source_ids.iter().map(|id| text(id)));
    args.push(text(&org.id));
    args.extend(plan.source_ids.iter().map(|id| text(id)));
    args.push(text(&target.id));
    args.push(int(n as i64 + 1));
    let mut statements = vec![app.db.stmt(
        &format!(
            "UPDATE families SET status = 'merged', merged_into_id = ?, last_change_id = ?, updated_at = ? \
             WHERE org_id = ? AND status = 'active' AND id IN ({list}) \
             AND (SELECT COUNT(*) FROM families WHERE org_id = ? AND status = 'active' AND id IN ({list}, ?)) = ?"
        ),
        &args,
    )?];
    let mut move_args = vec![text(&target.id), int(now)];
    move_args.extend(plan.source_ids.iter().map(|id| text(id)));
    statements.push(guarded_update(
        &app.db,
        &format!("UPDATE guardians SET family_id = ?, updated_at = ? WHERE family_id IN ({list})"),
        move_args,
        guard(),
    )?);
    // One account, one ledger: the merged families' charges and payments follow their guardians.
    let mut ledger_args = vec![text(&target.id)];
    ledger_args.extend(plan.source_ids.iter().map(|id| text(id)));
    statements.push(guarded_update(
        &app.db,
        &format!("UPDATE ledger_entries SET family_id = ? WHERE family_id IN ({list})"),
        ledger_args,
        guard(),
    )?);
    statements.push(guarded_update(
        &app.db,
        "UPDATE families SET updated_at = ? WHERE id = ?",
        vec![int(now), text(&target.id)],
        guard(),
    )?);
    statements.extend(revoke_family_access(app, &target.id, &target.primary_guardian_id, "families_merged", guard)?);

    let merged_names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut entries = vec![family_entry(
        requester,
        "families_merged",
        target,
        format!("Merged in: {}.", merged_names.join(", ")),
    )];
    for s in sources {
        entries.push(family_entry(requester, "family_merged_into", s, format!("Merged into {}.", target.name)));
    }
    let revoked: Vec<&GuardianRow> = guardians.iter().filter(|g| plan.revoked.contains(&g.id)).collect();
    entries.extend(revoked.iter().map(|g| revoked_entry(requester, g, &target.id, REASON_FAMILIES_MERGED)));
    let primary = primary_contact(app, target).await?;
    let notices: Vec<Notification> = revoked
        .iter()
        .filter_map(|g| g.email.as_deref().map(|to| revoked_notice(org, g, target, &primary.name, to)))
        .collect();
    let fx = guarded_effects(app, &org.id, &entries, &notices, guard)?;
    statements.extend(fx.statements);
    let merged = commit_guarded(app, statements, &fx.outbox_ids).await?;
    if merged != n {
        return Err(OperationError::Conflict.into()); // another merge or change got there first
    }
    Ok(())
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
    let change_id = new_id("chg")?;
    let guard = || guardian_changed_by(&contact.id, &change_id);
    let now = app.now.millis();
    let mut statements = vec![app.db.stmt(
        "UPDATE guardians SET family_id = ?1, \
           access_state = CASE WHEN access_state IN ('invite_sent', 'can_log_in') THEN 'invite_revoked' ELSE access_state END, \
           can_make_payments = 0, can_view_full_ledger = 0, last_change_id = ?2, updated_at = ?3 \
         WHERE id = ?4 AND family_id = ?5 AND id != (SELECT primary_guardian_id FROM families WHERE id = ?5)",
        &[text(&to.id), text(&change_id), int(now), text(&contact.id), text(&from.id)],
    )?];
    for sql in [
        "UPDATE invitations SET state = 'revoked', ended_at = ? WHERE guardian_id = ? AND state = 'pending'",
        "UPDATE sessions SET ended_at = ?, end_reason = 'moved' WHERE subject_id = ? AND ended_at IS NULL",
        "UPDATE password_resets SET used_at = ? WHERE guardian_id = ? AND used_at IS NULL",
    ] {
        statements.push(guarded_update(&app.db, sql, vec![int(now), text(&contact.id)], guard())?);
    }
    let moved = |family: &FamilyRow, reason: String| AuditEntry::about_guardian(requester.actor(), "contact_moved", &contact.id, contact.full_name(), &family.id, Some(reason));
    let mut entries = vec![
        moved(from, format!("Moved to {}.", to.name)),
        moved(to, format!("Moved from {}.", from.name)),
    ];
    let mut notices = Vec::new();
    if plan.revoke {
        entries.push(revoked_entry(requester, contact, &from.id, &format!("Moved to another account ({}).", to.name)));
        if let Some(email) = &contact.email {
            let primary = primary_contact(app, from).await?;
            notices.push(revoked_notice(org, contact, from, &primary.name, email));
        }
    }
    // Moving is a manual revocation: the contact's saved payment methods are deleted.
    let why = format!("Moved to another account ({}).", to.name);
    let deletion = payments::delete_on_revoke(app, &org.id, contact, &from.id, &change_id, &why, guard())?.add_to(&mut statements);
    let fx = guarded_effects(app, &org.id, &entries, &notices, guard)?;
    statements.extend(fx.statements);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        return Err(OperationError::Conflict.into());
    }
    app.enqueue(&fx.outbox_ids).await;
    deletion.enqueue(app, &results).await
}
