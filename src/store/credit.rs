//! Apply Credit's one statement: the amount is checked against the ledger inside the insert, so
//! that two clicks racing each other apply the credit once.

use super::payments::{ledger_sum_columns, ledger_sums};
use super::{guarded_update, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::audit::Actor;
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

pub struct Application<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    /// `None`: as much as the ledger allows when the statement runs.
    pub amount_cents: Option<i64>,
    pub description: &'a str,
    pub applied_by: &'a Actor,
}

/// Inserts the `credit_applied` entry only if its amount is between 1 and what the ledger allows at
/// that moment (the credit left, and what is outstanding), and `guard` holds; else nothing.
pub fn apply<'a>(db: &Db, a: &'a Application<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    guarded_update(
        db,
        concat!(
            "INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, \
               posted_by_id, posted_by_label) \
             SELECT ?1, ?2, ?3, 'credit_applied', COALESCE(?4, allowed), ?5, ?6, ?7, ?8, ?9 \
             FROM (SELECT MIN(credited - applied, owed - paid - applied) AS allowed FROM (",
            ledger_sums!("?3"),
            ")) WHERE COALESCE(?4, allowed) BETWEEN 1 AND allowed"
        ),
        vec![
            text(a.id),
            text(a.org_id),
            text(a.family_id),
            a.amount_cents.map_or(super::Arg::Null, int),
            text(a.description),
            int(now.millis()),
            text(a.applied_by.kind.as_str()),
            opt_text(a.applied_by.id.as_deref()),
            text(&a.applied_by.label),
        ],
        guard,
    )
}
