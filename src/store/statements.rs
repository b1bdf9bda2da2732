//! The ledger entries of one location (or of none), for statements and ledger reports.

use super::{int, opt_text, text, Db};
use crate::error::ApiResult;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct StatementRow {
    pub kind: String,
    pub amount_cents: i64,
    pub description: String,
    pub at: i64,
}

pub const LOCATION_ENTRIES: &str = "SELECT kind, amount_cents, description, at FROM ledger_entries \
     WHERE family_id = ?1 AND location_id IS ?2 AND at >= ?3 AND at <= ?4 ORDER BY at, id";

/// The family's entries recorded against `location_id` (`None`: those recorded against no
/// location) from `from` to `to` (milliseconds), oldest first. `IS` matches NULL to NULL.
pub async fn location_entries(db: &Db, family_id: &str, location_id: Option<&str>, from: i64, to: i64) -> ApiResult<Vec<StatementRow>> {
    db.all(LOCATION_ENTRIES, &[text(family_id), opt_text(location_id), int(from), int(to)]).await
}
