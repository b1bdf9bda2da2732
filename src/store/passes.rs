//! Punch passes. Redeeming a punch is one guarded update (`redeem_punch`): the count never goes
//! below zero whatever runs at the same time, and the visit it pays for is inserted in the same
//! batch only if the punch was taken.

use super::{bool_from_int, flag, int, opt_text, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::ids::{FamilyId, PassId, StudentId};
use portal_core::pass::PassSpec;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

#[derive(Debug, Clone, Deserialize)]
pub struct PassRow {
    pub id: PassId,
    pub family_id: FamilyId,
    pub student_id: Option<StudentId>,
    pub name: String,
    pub punches_total: i64,
    pub punches_used: i64,
    pub amount_paid_cents: i64,
    pub purchased_at: i64,
    #[serde(deserialize_with = "bool_from_int")]
    pub active: bool,
    pub expires_on: Option<String>,
}

macro_rules! pass_select {
    () => {
        "SELECT id, family_id, student_id, name, punches_total, punches_used, amount_paid_cents, purchased_at, active, \
           expires_on FROM passes"
    };
}

pub const FAMILY_PASSES: &str = concat!(pass_select!(), " WHERE family_id = ?1 ORDER BY purchased_at DESC, id");
/// `?3`: only within this family (NULL: any of the organization's).
pub const FIND_PASS: &str = concat!(pass_select!(), " WHERE id = ?1 AND org_id = ?2 AND (?3 IS NULL OR family_id = ?3)");

pub async fn family_passes(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<PassRow>> {
    db.all(FAMILY_PASSES, &[text(family_id)]).await
}

/// A pass of this organization (and of `family`, if given); any other is not found.
pub async fn find_pass(db: &Db, org_id: &str, id: &PassId, family: Option<&FamilyId>) -> ApiResult<Option<PassRow>> {
    db.first(FIND_PASS, &[text(id), text(org_id), opt_text(family.map(|f| &f[..]))]).await
}

/// A pass sold.
pub struct NewPass<'a> {
    pub id: &'a PassId,
    pub org_id: &'a str,
    pub family_id: &'a FamilyId,
    pub student_id: Option<&'a StudentId>,
    pub spec: &'a PassSpec,
    pub expires_on: Option<&'a str>,
    pub sold_by: &'a str,
}

pub fn insert_pass(db: &Db, p: &NewPass<'_>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO passes (id, org_id, family_id, student_id, name, punches_total, punches_used, amount_paid_cents, \
           purchased_at, active, expires_on, sold_by_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, 1, ?9, ?10)",
        &[
            text(p.id),
            text(p.org_id),
            text(p.family_id),
            opt_text(p.student_id.map(|s| &s[..])),
            text(&p.spec.name),
            int(p.spec.punches),
            int(p.spec.amount_paid_cents),
            int(now.millis()),
            opt_text(p.expires_on),
            text(p.sold_by),
        ],
    )
}

pub fn set_active<'a>(db: &Db, id: &'a PassId, org_id: &'a str, active: bool, change_id: &'a str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE passes SET active = ?1, last_change_id = ?2 WHERE id = ?3 AND org_id = ?4",
        &[flag(active), text(change_id), text(id), text(org_id)],
    )
}

/// Takes one punch, if the pass is still active, unexpired on `today`, for this student and has
/// a punch left, and while `place` holds (a place is left for the visit it pays for) and `live`
/// (a customer's session) if given.
#[allow(clippy::too_many_arguments)]
pub fn redeem_punch<'a>(
    db: &Db,
    id: &'a PassId,
    student_id: &'a StudentId,
    today: &'a str,
    change_id: &'a str,
    place: Guard<'a>,
    live: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let live_sql = live.as_ref().map_or(String::new(), |g| format!(" AND {}", g.sql));
    let sql = format!(
        "UPDATE passes SET punches_used = punches_used + 1, last_change_id = ? \
         WHERE id = ? AND active = 1 AND punches_used < punches_total AND (expires_on IS NULL OR expires_on >= ?) \
           AND (student_id IS NULL OR student_id = ?) AND {}{live_sql}",
        place.sql
    );
    let mut args: Vec<Arg<'_>> = vec![text(change_id), text(id), text(today), text(student_id)];
    args.extend(place.args);
    if let Some(g) = live {
        args.extend(g.args);
    }
    db.stmt(&sql, &args)
}

/// True while the pass was last changed by this change (its punch was taken by this batch).
pub fn pass_changed_by<'a>(id: &'a PassId, change_id: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM passes WHERE id = ? AND last_change_id = ?)", args: vec![text(id), text(change_id)] }
}
