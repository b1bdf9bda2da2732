//! My Account, Payments and Transaction History.

use crate::fields::{record, FromFields};
use super::auth::authenticate;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, no_content, parse_json, query_param, read_body, MAX_JSON_BODY_BYTES};
use crate::commands::payments;
use portal_core::payments::{contains_card_number, MethodEdit, MethodInput, PaymentError};
use worker::{Request, Response};

/// A payment body: refused before parsing if anything in it looks like a full card number.
async fn read_payment_json<T: FromFields>(req: &mut Request) -> ApiResult<T> {
    let bytes = read_body(req, MAX_JSON_BODY_BYTES).await?;
    if contains_card_number(&String::from_utf8_lossy(&bytes)) {
        return Err(PaymentError::CardNumberRefused.into());
    }
    parse_json(&bytes)
}

pub async fn list(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    json(200, &payments::list_methods(app, &me.account()).await?)
}

record! {
    #[strict]
    struct SaveBody {
        kind: String,
        gateway_token: String,
        last4: String,
        exp_month: Option<i64>,
        exp_year: Option<i64>,
        is_default: Option<bool>,
        recurring_authorized: Option<bool>,
    }
}

pub async fn save(app: &App, mut req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    let b: SaveBody = read_payment_json(&mut req).await?;
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

record! {
    #[strict]
    struct EditBody {
        is_default: Option<bool>,
        recurring_authorized: Option<bool>,
        exp_month: Option<i64>,
        exp_year: Option<i64>,
    }
}

pub async fn edit(app: &App, mut req: Request, org: &str, id: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    let b: EditBody = read_payment_json(&mut req).await?;
    let expiry = match (b.exp_month, b.exp_year) {
        (Some(m), Some(y)) => Some((m, y)),
        (None, None) => None,
        _ => return Err(ApiError::invalid_field("Send exp_month and exp_year together.")),
    };
    let edit = MethodEdit { is_default: b.is_default, recurring_authorized: b.recurring_authorized, expiry };
    json(200, &payments::edit_method(app, &me.account(), id, &edit).await?)
}

pub async fn delete(app: &App, req: Request, org: &str, id: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    payments::delete_method(app, &me.account(), id).await?;
    no_content()
}

pub async fn balance(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    json(200, &payments::balance_json(app, &me.me.family_id).await?)
}

record! {
    #[strict]
    struct PayBody {
        amount_cents: i64,
        payment_method_id: String,
        idempotency_key: Option<String>,
    }
}

/// `Idempotency-Key` (header, or `idempotency_key` in the body) makes a retried request safe.
pub async fn pay(app: &App, mut req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    let header_key = req.headers().get("idempotency-key").ok().flatten();
    let b: PayBody = read_payment_json(&mut req).await?;
    let key = header_key.or(b.idempotency_key);
    json(201, &payments::pay(app, &me.account(), b.amount_cents, &b.payment_method_id, key).await?)
}

pub async fn transactions(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let me = authenticate(app, &req, org).await?;
    let kind = query_param(&req, "kind").unwrap_or_else(|| "all".into());
    let (from, to) = (query_param(&req, "from"), query_param(&req, "to"));
    json(200, &payments::transactions(app, &me.account(), &kind, from.as_deref(), to.as_deref()).await?)
}
