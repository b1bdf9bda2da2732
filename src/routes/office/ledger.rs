//! A family's ledger in the Office Portal: staff post charges and refunds (so there is something
//! to pay) and read the ledger with the balance.

use crate::http::{json, Json, Path, Query, Response, Staff};
use portal_core::ids::FamilyId;
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use crate::app::App;
use crate::commands::families;
use crate::commands::payments::entry_json;
use crate::error::ApiResult;
use portal_core::payments::{parse_ledger_post, EntryKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    kind: String,
    amount_cents: i64,
    description: String,
}

pub async fn post(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<PostBody>) -> ApiResult<Response> {
    let post = parse_ledger_post(&body.kind, body.amount_cents, &body.description)?;
    let entry = families::post_to_ledger(&app, &staff.org.id, &staff.requester(), &family_id, post).await?;
    json(201, &entry_json(&entry))
}

/// The whole ledger (newest first, `?kind=` as the family's history takes it) and the balance.
#[derive(Deserialize)]
pub struct LedgerQuery {
    kind: Option<String>,
}

pub async fn show(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Query(query): Query<LedgerQuery>) -> ApiResult<Response> {
    let kind = EntryKind::parse_filter(query.kind.as_deref().unwrap_or("all"))?;
    let ledger = families::ledger(&app, &staff.org.id, &family_id, kind).await?;
    json(
        200,
        &json!({
            "family_id": ledger.family_id,
            "balance": ledger.balance,
            "entries": ledger.entries.iter().map(entry_json).collect::<Vec<_>>(),
        }),
    )
}
