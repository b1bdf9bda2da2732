//! The writes of the Office Portal's family operations: change the Primary Guardian, merge
//! families, move a contact. Each operation's first statement carries its change id; the others
//! take a guard on it, so that an operation that loses a race writes nothing. Ending the access of
//! the guardians involved is `revocation::end_access`.

use super::sessions::end_sessions_sql;
use super::{guarded_update, int, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::operations::Fold;
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

/// The merged families' students follow, with their enrollments and requests.
pub fn move_students_sql(sources: usize) -> [String; 3] {
    let list = placeholders(sources);
    ["students", "enrollments", "enrollment_requests"].map(|table| format!("UPDATE {table} SET family_id = ? WHERE family_id IN ({list})"))
}

/// One account, one ledger: the merged families' charges and payments follow their guardians.
pub fn move_ledger_sql(sources: usize) -> String {
    format!("UPDATE ledger_entries SET family_id = ? WHERE family_id IN ({})", placeholders(sources))
}

pub const FOLD_LOGIN: &str =
    "UPDATE guardians SET person_id = COALESCE(person_id, (SELECT person_id FROM guardians WHERE id = ?)) WHERE id = ?";
pub const FOLD_PENDING_INVITATION: &str =
    "UPDATE invitations SET state = 'revoked', ended_at = ? WHERE guardian_id = ? AND state = 'pending'";
pub const FOLD_INVITATIONS: &str = "UPDATE invitations SET guardian_id = ? WHERE guardian_id = ?";
pub const FOLD_RESETS: &str = "UPDATE password_resets SET guardian_id = ?, used_at = COALESCE(used_at, ?) WHERE guardian_id = ?";
pub const FOLD_METHODS: &str = "UPDATE payment_methods SET guardian_id = ? WHERE guardian_id = ?";
// A payment's idempotency key is unique per guardian: a key the kept guardian already used stays put.
pub const FOLD_PAYMENTS: &str = "UPDATE OR IGNORE payments SET guardian_id = ? WHERE guardian_id = ?";
pub const FOLD_SESSIONS: &str = end_sessions_sql!("subject_id = ?");
pub const FOLD_PRIMARY: &str = "UPDATE families SET primary_guardian_id = ? \
     WHERE id = (SELECT family_id FROM guardians WHERE id = ?) AND primary_guardian_id = ?";
pub const FOLD_REMOVE: &str = "DELETE FROM guardians WHERE id = ?";

/// Folds a duplicate guardian into the one kept (see `portal_core::operations::Fold`): the kept one
/// gets the login if only the folded one had it; the folded one's live invitation is revoked, its
/// history, reset links (spent), saved methods and payments move to the kept one, its sessions
/// end, a merged family that named it primary names the kept one, and it is removed.
fn fold_guardian<'a>(db: &Db, fold: &'a Fold, now: Timestamp, guard: &impl Fn() -> Guard<'a>) -> ApiResult<Vec<D1PreparedStatement>> {
    let (kept, folded, now) = (|| text(&fold.kept), || text(&fold.folded), || int(now.millis()));
    [
        (FOLD_LOGIN, vec![folded(), kept()]),
        (FOLD_PENDING_INVITATION, vec![now(), folded()]),
        (FOLD_INVITATIONS, vec![kept(), folded()]),
        (FOLD_RESETS, vec![kept(), now(), folded()]),
        (FOLD_METHODS, vec![kept(), folded()]),
        (FOLD_PAYMENTS, vec![kept(), folded()]),
        (FOLD_SESSIONS, vec![now(), text("families_merged"), folded()]),
        (FOLD_PRIMARY, vec![kept(), folded(), folded()]),
        (FOLD_REMOVE, vec![folded()]),
    ]
    .into_iter()
    .map(|(sql, args)| guarded_update(db, sql, args, guard()))
    .collect()
}

pub const TOUCH_FAMILY: &str = "UPDATE families SET updated_at = ? WHERE id = ?";

/// Merges `source_ids` into `target_id`: the sources are marked merged (the first statement,
/// carrying the change id; it changes one row per source or none), then, under `guard`, a person
/// listed in several of the families is folded into one guardian, the guardians and ledger entries
/// move to the target and the target is marked updated.
#[allow(clippy::too_many_arguments)]
pub fn merge_family_into<'a>(
    db: &Db,
    org_id: &'a str,
    target_id: &'a str,
    source_ids: &'a [String],
    folds: &'a [Fold],
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
    let ledger_args_of = || {
        let mut args = vec![text(target_id)];
        args.extend(sources());
        args
    };
    let ledger_args = ledger_args_of();
    let mut statements = vec![db.stmt(&mark_merged_sql(n), &mark_args)?];
    for fold in folds {
        statements.extend(fold_guardian(db, fold, now, &guard)?);
    }
    for sql in move_students_sql(n) {
        statements.push(guarded_update(db, &sql, ledger_args_of(), guard())?);
    }
    statements.extend([
        guarded_update(db, &move_guardians_sql(n), move_args, guard())?,
        guarded_update(db, &move_ledger_sql(n), ledger_args, guard())?,
        guarded_update(db, TOUCH_FAMILY, vec![int(now.millis()), text(target_id)], guard())?,
    ]);
    Ok(statements)
}

pub const MOVE_GUARDIAN: &str = "UPDATE guardians SET family_id = ?1, \
       access_state = CASE WHEN access_state IN ('invite_sent', 'can_log_in') THEN 'invite_revoked' ELSE access_state END, \
       can_make_payments = 0, can_view_full_ledger = 0, can_manage_enrollments = 0, last_change_id = ?2, updated_at = ?3 \
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
