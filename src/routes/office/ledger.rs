//! A family's ledger in the Office Portal: staff post charges and refunds (so there is something
//! to pay) and read the ledger with the balance.

use crate::http::{json, Json, Path, Query, Staff};
use portal_core::ids::FamilyId;
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use super::families::active_family;
use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::ApiResult;
use crate::commands::payments::{balance_json, entry_json};
use crate::store::families;
use crate::store::payments::{self as store, NewEntry};
use portal_core::operations::OperationError;
use portal_core::payments::{parse_ledger_post, EntryKind, HistoryWindow};
use portal_core::time::Timestamp;
use worker::Response;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    kind: String,
    amount_cents: i64,
    description: String,
}

pub async fn post(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<PostBody>) -> ApiResult<Response> {
    let app = &*app;
    let post = parse_ledger_post(&body.kind, body.amount_cents, &body.description)?;
    let family = active_family(app, &staff.org.id, &family_id).await?;
    let id = new_id("led")?;
    let actor = staff.actor();
    let entry = NewEntry {
        id: &id,
        org_id: &staff.org.id,
        family_id: &family.id,
        kind: post.kind,
        amount_cents: post.amount_cents,
        description: &post.description,
        posted_by: &actor,
        payment_id: None,
    };
    app.db.batch(vec![store::insert_entry(&app.db, &entry, app.now)?]).await?;
    let row = store::EntryRow {
        id,
        kind: post.kind.as_str().into(),
        amount_cents: post.amount_cents,
        description: post.description,
        at: app.now.millis(),
    };
    json(201, &entry_json(&row))
}

/// The whole ledger (newest first, `?kind=` as the family's history takes it) and the balance.
#[derive(Deserialize)]
pub struct LedgerQuery {
    kind: Option<String>,
}

pub async fn show(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Query(query): Query<LedgerQuery>) -> ApiResult<Response> {
    let app = &*app;
    let kind = EntryKind::parse_filter(query.kind.as_deref().unwrap_or("all"))?;
    let family = families::find_family(&app.db, &staff.org.id, &family_id).await?.ok_or(OperationError::FamilyNotFound)?;
    let window = HistoryWindow { from: Timestamp(0), to: app.now, full_history: true };
    let rows = store::entries(&app.db, &family.id, kind, &window, crate::commands::payments::MAX_HISTORY_ENTRIES).await?;
    json(
        200,
        &json!({
            "family_id": family.id,
            "balance": balance_json(app, &family.id).await?,
            "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        }),
    )
}
