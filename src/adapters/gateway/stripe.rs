//! The Stripe HTTP adapter.

use super::{GatewayError, MethodRef, PaymentGateway, Vaulted};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// Stripe, as a platform: the deployment's secret key acts on each organization's connected
/// account (`Stripe-Account`). Client tokens are PaymentMethod ids from Stripe.js (`pm_...`).
pub struct Stripe<'a> {
    pub api_url: &'a str,
    pub secret_key: &'a str,
    pub account_id: &'a str,
    pub currency: &'a str,
}

// Only the fields we read: Stripe adds fields to its objects without notice, serde skips them.

#[derive(Deserialize)]
struct Customer {
    id: String,
}

#[derive(Deserialize)]
struct PaymentMethod {
    id: String,
}

#[derive(Deserialize)]
struct PaymentIntent {
    id: String,
    /// Optional so that an intent without one is a decline ("unknown"), not an unreadable answer.
    status: Option<String>,
}

/// `{"error": {"message", "code", "decline_code", "type"}}`. Outcomes follow the HTTP status;
/// the message is all we pass on, so it is all we read.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    message: Option<String>,
}

enum StripeFailure {
    NotFound,
    Failed(GatewayError),
}

impl Stripe<'_> {
    /// A form POST (Stripe takes `application/x-www-form-urlencoded`); the 2xx body as bytes.
    async fn post(&self, path: &str, fields: &[(&str, &str)], key: &str) -> Result<Vec<u8>, StripeFailure> {
        let unavailable = |e: worker::Error| StripeFailure::Failed(GatewayError::Unavailable(e.to_string()));
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.secret_key)).map_err(unavailable)?;
        headers.set("stripe-account", self.account_id).map_err(unavailable)?;
        headers.set("idempotency-key", key).map_err(unavailable)?;
        headers.set("content-type", "application/x-www-form-urlencoded").map_err(unavailable)?;
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let req = Request::new_with_init(&format!("{}{path}", self.api_url), &init).map_err(unavailable)?;
        let mut resp = Fetch::Request(req).send().await.map_err(unavailable)?;
        let status = resp.status_code();
        // Bytes, then the one JSON parser the worker already has (`json()` would add a second).
        // An unreadable body reads as empty: no id on success, no message on failure.
        let body = resp.bytes().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = serde_json::from_slice::<ErrorAnswer>(&body).ok().and_then(|a| a.error.message);
        let described = match &message {
            Some(m) => format!("HTTP {status}: {m}"),
            None => format!("HTTP {status}"),
        };
        Err(match status {
            404 => StripeFailure::NotFound,
            402 => StripeFailure::Failed(GatewayError::Declined(message.unwrap_or_else(|| "The card was declined.".into()))),
            408 | 409 | 429 | 500.. => StripeFailure::Failed(GatewayError::Unavailable(described)),
            _ => StripeFailure::Failed(GatewayError::Rejected(described)),
        })
    }

    /// A POST that must answer with a Stripe object: a missing object is a failure, not a 404.
    async fn post_for<T: DeserializeOwned>(&self, path: &str, fields: &[(&str, &str)], key: &str) -> Result<T, GatewayError> {
        match self.post(path, fields, key).await {
            Ok(body) => serde_json::from_slice(&body).map_err(|_| GatewayError::Unavailable("Stripe answered without an id".into())),
            Err(StripeFailure::NotFound) => Err(GatewayError::Rejected(format!("HTTP 404 from {path}"))),
            Err(StripeFailure::Failed(e)) => Err(e),
        }
    }
}

impl PaymentGateway for Stripe<'_> {
    async fn vault(&self, client_token: &str, guardian_id: &str, key: &str) -> Result<Vaulted, GatewayError> {
        let customer: Customer = self
            .post_for("/v1/customers", &[("metadata[guardian_id]", guardian_id)], &format!("{key}:customer"))
            .await?;
        let method: PaymentMethod = self
            .post_for(&format!("/v1/payment_methods/{client_token}/attach"), &[("customer", &customer.id)], key)
            .await?;
        Ok(Vaulted { method_ref: method.id, customer_ref: Some(customer.id) })
    }

    async fn delete_method(&self, method: &MethodRef<'_>, key: &str) -> Result<(), GatewayError> {
        match self.post(&format!("/v1/payment_methods/{}/detach", method.method_ref), &[], key).await {
            Ok(_) | Err(StripeFailure::NotFound) => Ok(()),
            // Detaching a method that is no longer attached: it is gone already.
            Err(StripeFailure::Failed(GatewayError::Rejected(m))) if m.contains("not attached") => Ok(()),
            Err(StripeFailure::Failed(e)) => Err(e),
        }
    }

    async fn charge(&self, method: &MethodRef<'_>, amount_cents: i64, key: &str) -> Result<String, GatewayError> {
        let amount = amount_cents.to_string();
        let mut fields = vec![
            ("amount", amount.as_str()),
            ("currency", self.currency),
            ("payment_method", method.method_ref),
            ("confirm", "true"),
            ("off_session", "true"),
        ];
        if let Some(c) = method.customer_ref {
            fields.push(("customer", c));
        }
        let intent: PaymentIntent = self.post_for("/v1/payment_intents", &fields, key).await?;
        match intent.status.as_deref() {
            Some("succeeded" | "processing") => Ok(intent.id),
            other => Err(GatewayError::Declined(format!("the payment needs more from the card holder ({})", other.unwrap_or("unknown")))),
        }
    }
}
