//! Ending access: a revoke, a primary change, a merge and a move all end a guardian's access the
//! same way (`end_access`), so that none of them leaves a token working.

use super::guards::guardian_changed_by;
use super::{guarded_update, int, sessions, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

/// Revokes a guardian's access: their live invitation dies, every session ends, unused reset
/// links die. The first statement carries the change id; the others are guarded by it.
pub fn revoke(db: &Db, guardian_id: &str, change_id: &str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    end_access(
        db,
        Whose::Guardian(guardian_id),
        StateChange::CarriesChange(change_id),
        "access_revoked",
        now,
        || guardian_changed_by(guardian_id, change_id),
    )
}

/// `revoke`, only while `only_if` holds (checked by the first statement, which carries the change).
pub fn revoke_only_if<'a>(
    db: &Db,
    guardian_id: &'a str,
    change_id: &'a str,
    now: Timestamp,
    only_if: Option<Guard<'a>>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let Some(only_if) = only_if else { return revoke(db, guardian_id, change_id, now) };
    let whose = Whose::Guardian(guardian_id);
    let mut statements =
        vec![guarded_update(db, &revoke_state_sql(whose, true), vec![text(change_id), int(now.millis()), text(guardian_id)], only_if)?];
    statements.extend(end_access(db, whose, StateChange::ByCaller, "access_revoked", now, || guardian_changed_by(guardian_id, change_id))?);
    Ok(statements)
}

/// Whose access ends: one guardian, or every guardian of a family but the one who keeps theirs.
#[derive(Clone, Copy)]
pub enum Whose<'a> {
    Guardian(&'a str),
    FamilyExcept { family_id: &'a str, keep: &'a str },
}

impl<'a> Whose<'a> {
    /// The condition on their `guardians` rows.
    fn rows(self) -> &'static str {
        match self {
            Whose::Guardian(_) => "id = ?",
            Whose::FamilyExcept { .. } => "family_id = ? AND id != ?",
        }
    }

    /// The condition on a column naming one of them (`guardian_id`, a session's `subject_id`).
    fn named_by(self, column: &str) -> String {
        match self {
            Whose::Guardian(_) => format!("{column} = ?"),
            Whose::FamilyExcept { .. } => format!("{column} IN (SELECT id FROM guardians WHERE family_id = ? AND id != ?)"),
        }
    }

    fn args(self) -> Vec<Arg<'a>> {
        match self {
            Whose::Guardian(id) => vec![text(id)],
            Whose::FamilyExcept { family_id, keep } => vec![text(family_id), text(keep)],
        }
    }
}

/// What ending access does to the guardians' `access_state`: a login or an invitation becomes
/// `invite_revoked`, in one of three places.
#[derive(Clone, Copy)]
pub enum StateChange<'a> {
    /// In the batch's first statement, which carries the change id the others are guarded by.
    CarriesChange(&'a str),
    /// Under the guard, like the other statements.
    Guarded,
    /// Not here: the caller's own statement sets it (a move, as it moves the guardian).
    ByCaller,
}

/// Their login or invitation becomes `invite_revoked` (the row marked with the change id, if it carries one).
pub fn revoke_state_sql(whose: Whose<'_>, carries_change: bool) -> String {
    let change = if carries_change { ", last_change_id = ?" } else { "" };
    format!(
        "UPDATE guardians SET access_state = 'invite_revoked'{change}, updated_at = ? \
         WHERE {} AND access_state IN ('invite_sent', 'can_log_in')",
        whose.rows()
    )
}

/// Their live invitations are revoked.
pub fn revoke_invitations_sql(whose: Whose<'_>) -> String {
    format!("UPDATE invitations SET state = 'revoked', ended_at = ? WHERE {} AND state = 'pending'", whose.named_by("guardian_id"))
}

/// Their sessions end, with a reason (the one statement that ends sessions: `sessions::end_sessions_sql!`).
pub fn end_sessions_sql(whose: Whose<'_>) -> String {
    format!(sessions::end_sessions_sql!("{}"), whose.named_by("subject_id"))
}

/// Their unused reset links are spent.
pub fn spend_resets_sql(whose: Whose<'_>) -> String {
    format!("UPDATE password_resets SET used_at = ? WHERE {} AND used_at IS NULL", whose.named_by("guardian_id"))
}

/// Ends access, in this order: the access state (where `state` says), live invitations revoked,
/// sessions ended with `end_reason`, unused reset links spent. Everything but a `CarriesChange`
/// first statement runs only under `guard`. The one way a revoke, a primary change, a merge and a
/// move end access, so that none of them leaves a token working.
pub fn end_access<'a>(
    db: &Db,
    whose: Whose<'a>,
    state: StateChange<'a>,
    end_reason: &'a str,
    now: Timestamp,
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let at = || int(now.millis());
    let with_whose = |mut args: Vec<Arg<'a>>| {
        args.extend(whose.args());
        args
    };
    let mut statements = Vec::with_capacity(4);
    match state {
        StateChange::CarriesChange(change_id) => {
            statements.push(db.stmt(&revoke_state_sql(whose, true), &with_whose(vec![text(change_id), at()]))?);
        }
        StateChange::Guarded => {
            statements.push(guarded_update(db, &revoke_state_sql(whose, false), with_whose(vec![at()]), guard())?);
        }
        StateChange::ByCaller => {}
    }
    statements.push(guarded_update(db, &revoke_invitations_sql(whose), with_whose(vec![at()]), guard())?);
    statements.push(sessions::end_sessions(db, &end_sessions_sql(whose), whose.args(), end_reason, now, Some(guard()))?);
    statements.push(guarded_update(db, &spend_resets_sql(whose), with_whose(vec![at()]), guard())?);
    Ok(statements)
}
