//! A family's ledger in the Office Portal: staff post charges and refunds (so there is something
//! to pay) and read the ledger with the balance.

use super::authenticate;
use super::families::active_family;
use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::ApiResult;
use crate::fields::record;
use crate::http::object;
use crate::http::{json, query_param, read_json};
use crate::commands::payments::{balance_json, entry_json};
use crate::store::families;
use crate::store::payments::{self as store, NewEntry};
use portal_core::operations::OperationError;
use portal_core::payments::{parse_ledger_post, EntryKind, HistoryWindow};
use portal_core::time::Timestamp;
use worker::{Request, Response};

record! {
    #[strict]
    struct PostBody {
        kind: String,
        amount_cents: i64,
        description: String,
    }
}

pub async fn post(app: &App, mut req: Request, org: &str, family_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let body: PostBody = read_json(&mut req).await?;
    let post = parse_ledger_post(&body.kind, body.amount_cents, &body.description)?;
    let family = active_family(app, &staff.org_id, family_id).await?;
    let id = new_id("led")?;
    let actor = staff.actor();
    let entry = NewEntry {
        id: &id,
        org_id: &staff.org_id,
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
pub async fn show(app: &App, req: Request, org: &str, family_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let kind = EntryKind::parse_filter(query_param(&req, "kind").as_deref().unwrap_or("all"))?;
    let family = families::find_family(&app.db, &staff.org_id, family_id).await?.ok_or(OperationError::FamilyNotFound)?;
    let window = HistoryWindow { from: Timestamp(0), to: app.now, full_history: true };
    let rows = store::entries(&app.db, &family.id, kind, &window, crate::commands::payments::MAX_HISTORY_ENTRIES).await?;
    json(
        200,
        &object!({
            "family_id": family.id,
            "balance": balance_json(app, &family.id).await?,
            "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        }),
    )
}
