//! The writes of the Office Portal's family operations: change the Primary Guardian, merge
//! families, move a contact. Each operation's first statement carries its change id; the others
//! take a guard on it, so that an operation that loses a race writes nothing. Ending the access of
//! the guardians involved is `invitations::end_access`.

use super::invitations::guarded_update;
use super::{int, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

/// True while the family row was last changed by the command with this change id.
pub fn family_changed_by<'a>(family_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM families WHERE id = ? AND last_change_id = ?)",
        args: vec![text(family_id), text(change_id)],
    }
}

pub const MAKE_PRIMARY: &str = "UPDATE families SET primary_guardian_id = ?1, last_change_id = ?2, updated_at = ?3 \
     WHERE id = ?4 AND org_id = ?5 AND primary_guardian_id = ?6 AND status = 'active'";

/// `new_primary_id` becomes the family's primary, only if `old_primary_id` still is and the family
/// is active: a primary change that raced another changes nothing. Carries the change id.
pub fn make_primary(
    db: &Db,
    org_id: &str,
    family_id: &str,
    old_primary_id: &str,
    new_primary_id: &str,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        MAKE_PRIMARY,
        &[text(new_primary_id), text(change_id), int(now.millis()), text(family_id), text(org_id), text(old_primary_id)],
    )
}

/// `?, ?, ...`: one placeholder per merged family.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Marks the sources merged into the target; only if every source and the target are still
/// active in the organization (the count), else nothing. Carries the change id.
pub fn mark_merged_sql(sources: usize) -> String {
    let list = placeholders(sources);
    format!(
        "UPDATE families SET status = 'merged', merged_into_id = ?, last_change_id = ?, updated_at = ? \
         WHERE org_id = ? AND status = 'active' AND id IN ({list}) \
         AND (SELECT COUNT(*) FROM families WHERE org_id = ? AND status = 'active' AND id IN ({list}, ?)) = ?"
    )
}

/// The sources' guardians join the target.
pub fn move_guardians_sql(sources: usize) -> String {
    format!("UPDATE guardians SET family_id = ?, updated_at = ? WHERE family_id IN ({})", placeholders(sources))
}

/// One account, one ledger: the merged families' charges and payments follow their guardians.
pub fn move_ledger_sql(sources: usize) -> String {
    format!("UPDATE ledger_entries SET family_id = ? WHERE family_id IN ({})", placeholders(sources))
}

pub const TOUCH_FAMILY: &str = "UPDATE families SET updated_at = ? WHERE id = ?";

/// Merges `source_ids` into `target_id`: the sources are marked merged (the first statement,
/// carrying the change id; it changes one row per source or none), then, under `guard`, their
/// guardians and ledger entries move to the target and the target is marked updated.
pub fn merge_family_into<'a>(
    db: &Db,
    org_id: &'a str,
    target_id: &'a str,
    source_ids: &'a [String],
    change_id: &'a str,
    now: Timestamp,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let n = source_ids.len();
    let sources = || source_ids.iter().map(|id| text(id));
    let mut mark_args: Vec<Arg<'_>> = vec![text(target_id), text(change_id), int(now.millis()), text(org_id)];
    mark_args.extend(sources());
    mark_args.push(text(org_id));
    mark_args.extend(sources());
    mark_args.push(text(target_id));
    mark_args.push(int(n as i64 + 1));
    let mut move_args = vec![text(target_id), int(now.millis())];
    move_args.extend(sources());
    let mut ledger_args = vec![text(target_id)];
    ledger_args.extend(sources());
    Ok(vec![
        db.stmt(&mark_merged_sql(n), &mark_args)?,
        guarded_update(db, &move_guardians_sql(n), move_args, guard())?,
        guarded_update(db, &move_ledger_sql(n), ledger_args, guard())?,
        guarded_update(db, TOUCH_FAMILY, vec![int(now.millis()), text(target_id)], guard())?,
    ])
}

pub const MOVE_GUARDIAN: &str = "UPDATE guardians SET family_id = ?1, \
       access_state = CASE WHEN access_state IN ('invite_sent', 'can_log_in') THEN 'invite_revoked' ELSE access_state END, \
       can_make_payments = 0, can_view_full_ledger = 0, last_change_id = ?2, updated_at = ?3 \
     WHERE id = ?4 AND family_id = ?5 AND id != (SELECT primary_guardian_id FROM families WHERE id = ?5)";

/// Moves a secondary guardian from `from_family_id` to `to_family_id`: their login or invitation
/// is revoked and their payment permissions cleared in the same statement. Only if they are still
/// in `from_family_id` and not its primary. Carries the change id.
pub fn move_guardian(
    db: &Db,
    guardian_id: &str,
    from_family_id: &str,
    to_family_id: &str,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(MOVE_GUARDIAN, &[text(to_family_id), text(change_id), int(now.millis()), text(guardian_id), text(from_family_id)])
}
