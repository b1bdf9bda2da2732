//! My Account, Payments and Transaction History.

use crate::http::{json, no_content, Customer, Path, Query, Response};
use portal_core::ids::PaymentMethodId;
use crate::http::{parse_json, read_body, FromRequest, RequestParts, MAX_JSON_BODY_BYTES};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::rc::Rc;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::commands::payments::{self, HistoryFilter};
use portal_core::payments::{check_idempotency_key, contains_card_number, MethodEdit, MethodInput, PaymentError};

/// A payment body: refused before it is parsed if anything in it looks like a full card number.
pub struct PaymentJson<T>(T);

impl<T: DeserializeOwned> FromRequest for PaymentJson<T> {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        let bytes = read_body(&parts.req, MAX_JSON_BODY_BYTES).await?;
        parts.require_json_body(&bytes)?;
        if contains_card_number(&String::from_utf8_lossy(&bytes)) {
            return Err(PaymentError::CardNumberRefused.into());
        }
        parse_json(&bytes).map(PaymentJson)
    }
}

/// `Idempotency-Key`, if the request has one.
pub struct IdempotencyKey(Option<String>);

impl FromRequest for IdempotencyKey {
    async fn from_request(parts: &mut RequestParts) -> ApiResult<Self> {
        Ok(IdempotencyKey(parts.header("idempotency-key")))
    }
}

pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    json(200, &payments::list_methods(app, &me.account()).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    kind: String,
    gateway_token: String,
    last4: String,
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    exp_month: Option<i64>,
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    exp_year: Option<i64>,
    is_default: Option<bool>,
    recurring_authorized: Option<bool>,
}

pub async fn save(app: Rc<App>, me: Customer, PaymentJson(b): PaymentJson<SaveBody>) -> ApiResult<Response> {
    let app = &*app;
    let input = MethodInput {
        kind: b.kind,
        gateway_token: b.gateway_token,
        last4: b.last4,
        exp_month: b.exp_month,
        exp_year: b.exp_year,
        is_default: b.is_default,
        recurring_authorized: b.recurring_authorized,
    };
    json(201, &payments::save_method(app, &me.account(), &input).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    is_default: Option<bool>,
    recurring_authorized: Option<bool>,
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    exp_month: Option<i64>,
    #[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]
    exp_year: Option<i64>,
}

pub async fn edit(
    app: Rc<App>,
    me: Customer,
    Path(id): Path<PaymentMethodId>,
    PaymentJson(b): PaymentJson<EditBody>,
) -> ApiResult<Response> {
    let app = &*app;
    let expiry = match (b.exp_month, b.exp_year) {
        (Some(m), Some(y)) => Some((m, y)),
        (None, None) => None,
        _ => return Err(ApiError::invalid_field("exp_month", "Send exp_month and exp_year together.")),
    };
    let edit = MethodEdit { is_default: b.is_default, recurring_authorized: b.recurring_authorized, expiry };
    json(200, &payments::edit_method(app, &me.account(), &id, &edit).await?)
}

pub async fn delete(app: Rc<App>, me: Customer, Path(id): Path<PaymentMethodId>) -> ApiResult<Response> {
    let app = &*app;
    payments::delete_method(app, &me.account(), &id).await?;
    no_content()
}

pub async fn balance(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    json(200, &payments::family_balance(app, &me.me.family_id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayBody {
    #[serde(deserialize_with = "portal_core::whole_number::i64")]
    amount_cents: i64,
    payment_method_id: String,
    idempotency_key: Option<String>,
}

/// `Idempotency-Key` (header, or `idempotency_key` in the body) makes a retried request safe. Both
/// are checked when both are sent (422 for either that is not a key); the header's is the one used.
pub async fn pay(
    app: Rc<App>,
    me: Customer,
    IdempotencyKey(header_key): IdempotencyKey,
    PaymentJson(b): PaymentJson<PayBody>,
) -> ApiResult<Response> {
    let app = &*app;
    if let (Some(_), Some(body_key)) = (&header_key, &b.idempotency_key) {
        check_idempotency_key(body_key)?;
    }
    let key = header_key.or(b.idempotency_key);
    json(201, &payments::pay(app, &me.account(), b.amount_cents, &b.payment_method_id, key).await?)
}

pub async fn transactions(app: Rc<App>, me: Customer, Query(query): Query<HistoryFilter>) -> ApiResult<Response> {
    let app = &*app;
    let kind = query.kind.unwrap_or_else(|| "all".into());
    let (from, to) = (query.from, query.to);
    json(200, &payments::transactions(app, &me.account(), &kind, from.as_deref(), to.as_deref()).await?)
}
