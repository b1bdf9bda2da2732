//! A family's ledger in the Office Portal: staff post charges and refunds (so there is something
//! to pay) and read the ledger with the balance.

use crate::http::{json, Json, Path, Query, Response, Staff};
use portal_core::ids::FamilyId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::families;
use crate::commands::payments::{BalanceView, EntryView};
use crate::error::ApiResult;
use portal_core::payments::{parse_ledger_post, EntryKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    kind: String,
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    amount_cents: i64,
    description: String,
}

pub async fn post(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<PostBody>) -> ApiResult<Response> {
    let post = parse_ledger_post(&body.kind, body.amount_cents, &body.description)?;
    let entry = families::post_to_ledger(&app, &staff.org.id, &staff.requester(), &family_id, post).await?;
    json(201, &EntryView::from(&entry))
}

/// The ledger as staff read it (fields by name, as the JSON has always had them).
#[derive(Serialize)]
struct LedgerView<'a> {
    balance: &'a BalanceView,
    entries: Vec<EntryView>,
    family_id: &'a str,
}

/// The whole ledger (newest first, `?kind=` as the family's history takes it) and the balance.
#[derive(Deserialize)]
pub struct LedgerQuery {
    kind: Option<String>,
}

pub async fn show(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Query(query): Query<LedgerQuery>) -> ApiResult<Response> {
    let kind = EntryKind::parse_filter(query.kind.as_deref().unwrap_or("all"))?;
    let ledger = families::ledger(&app, &staff.org.id, &family_id, kind).await?;
    let view = LedgerView { balance: &ledger.balance, entries: ledger.entries.iter().map(EntryView::from).collect(), family_id: &ledger.family_id };
    json(200, &view)
}
