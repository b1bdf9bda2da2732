//! A family's ledger in the Office Portal: staff post charges, refunds and credits (so there is something
//! to pay), take payments (cash, check, or a saved method charged at the gateway) and read the
//! ledger with the balance.

use crate::http::{json, FromRequest, Json, Path, Query, RequestParts, Response, Staff};
use portal_core::ids::FamilyId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::families;
use crate::commands::payments::{BalanceView, EntryView};
use crate::commands::payments::take_staff_payment;
use crate::error::{ApiError, ApiResult, ErrorCode};
use portal_core::payments::{parse_ledger_post, parse_staff_payment, EntryKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    kind: String,
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    amount_cents: i64,
    description: String,
    location_id: Option<String>,
}

pub async fn post(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<PostBody>) -> ApiResult<Response> {
    let post = parse_ledger_post(&body.kind, body.amount_cents, &body.description, body.location_id.as_deref())?;
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

/// `Idempotency-Key`, which a staff payment must have: however often the request (or the Take
/// Payment form) is sent, it is one payment.
pub struct IdempotencyKey(String);

impl FromRequest for IdempotencyKey {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        parts.header("idempotency-key").map(IdempotencyKey).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::IdempotencyKeyRequired, "Send an Idempotency-Key header: the same key never takes a payment twice.")
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    amount_cents: i64,
    method: String,
    payment_method_id: Option<String>,
    reference: Option<String>,
}

pub async fn take_payment(
    app: Rc<App>,
    staff: Staff,
    Path(family_id): Path<FamilyId>,
    IdempotencyKey(key): IdempotencyKey,
    Json(body): Json<PaymentBody>,
) -> ApiResult<Response> {
    let payment = parse_staff_payment(body.amount_cents, &body.method, body.payment_method_id.as_deref(), body.reference.as_deref())?;
    json(201, &take_staff_payment(&app, &staff.org.id, &staff.requester(), &family_id, &payment, &key).await?)
}
