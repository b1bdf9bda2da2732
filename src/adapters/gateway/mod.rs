//! Payment gateways: a small trait, the Stripe HTTP adapter, and the local sandbox gateway of
//! development and tests, which records every call in D1.

use crate::config::Config;
use crate::adapters::crypto::new_id;
use serde::Deserialize;
use crate::store::{int, opt_text, text, Db};
use portal_core::payments::GatewayKind;
use portal_core::time::Timestamp;
use serde_json::Value;
use worker::{Fetch, Headers, Method, Request, RequestInit};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Worth trying again with the same idempotency key (network trouble, rate limit, outage).
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The payment was refused (insufficient funds, a stolen card...): final.
    #[error("declined: {0}")]
    Declined(String),
    /// The request itself was refused and will be every time (bad token, bad credentials).
    #[error("rejected: {0}")]
    Rejected(String),
}

/// A method the gateway keeps for us: its id there, and the customer it hangs on (if any).
pub struct Vaulted {
    pub method_ref: String,
    pub customer_ref: Option<String>,
}

pub struct MethodRef<'a> {
    pub method_ref: &'a str,
    pub customer_ref: Option<&'a str>,
}

/// What we need from a gateway. Every call carries an idempotency key that stays the same on
/// every retry of the same operation, so a retry never vaults, deletes or charges twice.
pub trait PaymentGateway {
    /// Keeps the method behind a client-side token (from the gateway's own card form).
    async fn vault(&self, client_token: &str, guardian_id: &str, key: &str) -> Result<Vaulted, GatewayError>;
    /// Forgets a vaulted method. A method the gateway no longer has counts as deleted.
    async fn delete_method(&self, method: &MethodRef<'_>, key: &str) -> Result<(), GatewayError>;
    /// Charges a vaulted method; returns the gateway's id of the charge.
    async fn charge(&self, method: &MethodRef<'_>, amount_cents: i64, key: &str) -> Result<String, GatewayError>;
}

/// The gateway an organization is configured with, or `None`: then nothing is saved or charged.
pub enum Gateway<'a> {
    Sandbox(Sandbox<'a>),
    Stripe(Stripe<'a>),
}

pub fn for_org<'a>(
    config: &'a Config,
    db: &'a Db,
    now: Timestamp,
    org_id: &'a str,
    kind: &str,
    account_id: Option<&'a str>,
) -> Option<Gateway<'a>> {
    match GatewayKind::parse(kind)? {
        GatewayKind::None => None,
        // Moves no money: never in production, whatever a row says.
        GatewayKind::Sandbox => config.is_development().then_some(Gateway::Sandbox(Sandbox { db, org_id, now })),
        GatewayKind::Stripe => {
            let stripe = config.stripe.as_ref()?;
            Some(Gateway::Stripe(Stripe {
                api_url: &stripe.api_url,
                secret_key: &stripe.secret_key,
                account_id: account_id?,
                currency: &config.currency,
            }))
        }
    }
}

impl PaymentGateway for Gateway<'_> {
    async fn vault(&self, client_token: &str, guardian_id: &str, key: &str) -> Result<Vaulted, GatewayError> {
        match self {
            Gateway::Sandbox(g) => g.vault(client_token, guardian_id, key).await,
            Gateway::Stripe(g) => g.vault(client_token, guardian_id, key).await,
        }
    }
    async fn delete_method(&self, method: &MethodRef<'_>, key: &str) -> Result<(), GatewayError> {
        match self {
            Gateway::Sandbox(g) => g.delete_method(method, key).await,
            Gateway::Stripe(g) => g.delete_method(method, key).await,
        }
    }
    async fn charge(&self, method: &MethodRef<'_>, amount_cents: i64, key: &str) -> Result<String, GatewayError> {
        match self {
            Gateway::Sandbox(g) => g.charge(method, amount_cents, key).await,
            Gateway::Stripe(g) => g.charge(method, amount_cents, key).await,
        }
    }
}

/// The local gateway: moves no money and records each call in `sandbox_gateway_calls`. Like
/// Stripe's test cards, words in the client token choose what happens to the method later:
/// `vault_unavailable` (vaulting fails), `decline` (charges are declined), `charge_unavailable`,
/// `flaky_delete` (deleting fails twice, then works), `fail_delete` (deleting always fails).
pub struct Sandbox<'a> {
    pub db: &'a Db,
    pub org_id: &'a str,
    pub now: Timestamp,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Declined,
    Unavailable,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Declined => "declined",
            Outcome::Unavailable => "unavailable",
        }
    }
}

impl Sandbox<'_> {
    /// Answers a repeated key from the record; otherwise lets `decide` (given how many attempts
    /// with this key already failed) choose the outcome, and records the call.
    async fn call(
        &self,
        operation: &str,
        key: &str,
        gateway_ref: Option<&str>,
        amount_cents: Option<i64>,
        decide: impl FnOnce(i64) -> (Outcome, Option<String>),
    ) -> Result<Option<String>, GatewayError> {
        #[derive(Deserialize)]
        struct Earlier {
            outcome: String,
            result_ref: Option<String>,
            failures: i64,
        }
        let unavailable = |e: crate::error::ApiError| GatewayError::Unavailable(e.message.clone());
        let earlier: Option<Earlier> = self
            .db
            .first(
                "SELECT COALESCE(MAX(CASE WHEN outcome != 'unavailable' THEN outcome END), '') AS outcome, \
                   MAX(CASE WHEN outcome != 'unavailable' THEN result_ref END) AS result_ref, \
                   COALESCE(SUM(outcome = 'unavailable'), 0) AS failures \
                 FROM sandbox_gateway_calls WHERE operation = ?1 AND idempotency_key = ?2",
                &[text(operation), text(key)],
            )
            .await
            .map_err(unavailable)?;
        let (outcome, result_ref) = match earlier {
            Some(e) if e.outcome == "ok" => (Outcome::Ok, e.result_ref),
            Some(e) if e.outcome == "declined" => (Outcome::Declined, None),
            e => {
                let (outcome, result_ref) = decide(e.map_or(0, |e| e.failures));
                let id = new_id("sgc").map_err(unavailable)?;
                self.db
                    .run(
                        "INSERT INTO sandbox_gateway_calls (id, org_id, operation, idempotency_key, gateway_ref, \
                         amount_cents, outcome, result_ref, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                         ON CONFLICT DO NOTHING",
                        &[
                            text(&id),
                            text(self.org_id),
                            text(operation),
                            text(key),
                            opt_text(gateway_ref),
                            amount_cents.map_or(crate::store::Arg::Null, int),
                            text(outcome.as_str()),
                            opt_text(result_ref.as_deref()),
                            int(self.now.millis()),
                        ],
                    )
                    .await
                    .map_err(unavailable)?;
                (outcome, result_ref)
            }
        };
        match outcome {
            Outcome::Ok => Ok(result_ref),
            Outcome::Declined => Err(GatewayError::Declined("Your card was declined.".into())),
            Outcome::Unavailable => Err(GatewayError::Unavailable("the sandbox gateway is unavailable (simulated)".into())),
        }
    }
}

impl PaymentGateway for Sandbox<'_> {
    async fn vault(&self, client_token: &str, _guardian_id: &str, key: &str) -> Result<Vaulted, GatewayError> {
        let method_ref = format!("sbx_{client_token}_{}", new_id("pm").map_err(|e| GatewayError::Unavailable(e.message.clone()))?);
        let result = self
            .call("vault", key, Some(client_token), None, |_| {
                if client_token.contains("vault_unavailable") {
                    (Outcome::Unavailable, None)
                } else {
                    (Outcome::Ok, Some(method_ref))
                }
            })
            .await?;
        Ok(Vaulted { method_ref: result.unwrap_or_default(), customer_ref: None })
    }

    async fn delete_method(&self, method: &MethodRef<'_>, key: &str) -> Result<(), GatewayError> {
        let r = method.method_ref;
        self.call("delete", key, Some(r), None, |failures| {
            if r.contains("fail_delete") || (r.contains("flaky_delete") && failures < 2) {
                (Outcome::Unavailable, None)
            } else {
                (Outcome::Ok, None)
            }
        })
        .await
        .map(|_| ())
    }

    async fn charge(&self, method: &MethodRef<'_>, amount_cents: i64, key: &str) -> Result<String, GatewayError> {
        let r = method.method_ref;
        let charge_ref = new_id("sbx_ch").map_err(|e| GatewayError::Unavailable(e.message.clone()))?;
        self.call("charge", key, Some(r), Some(amount_cents), |_| {
            if r.contains("charge_unavailable") {
                (Outcome::Unavailable, None)
            } else if r.contains("decline") {
                (Outcome::Declined, None)
            } else {
                (Outcome::Ok, Some(charge_ref))
            }
        })
        .await
        .map(Option::unwrap_or_default)
    }
}

/// Stripe, as a platform: the deployment's secret key acts on each organization's connected
/// account (`Stripe-Account`). Client tokens are PaymentMethod ids from Stripe.js (`pm_...`).
pub struct Stripe<'a> {
    pub api_url: &'a str,
    pub secret_key: &'a str,
    pub account_id: &'a str,
    pub currency: &'a str,
}

/// `application/x-www-form-urlencoded`, as Stripe's API takes it.
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

enum StripeFailure {
    NotFound,
    Failed(GatewayError),
}

impl Stripe<'_> {
    async fn post(&self, path: &str, fields: &[(&str, &str)], key: &str) -> Result<Value, StripeFailure> {
        let unavailable = |e: worker::Error| StripeFailure::Failed(GatewayError::Unavailable(e.to_string()));
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.secret_key)).map_err(unavailable)?;
        headers.set("stripe-account", self.account_id).map_err(unavailable)?;
        headers.set("idempotency-key", key).map_err(unavailable)?;
        headers.set("content-type", "application/x-www-form-urlencoded").map_err(unavailable)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(form(fields).into()));
        let req = Request::new_with_init(&format!("{}{path}", self.api_url), &init).map_err(unavailable)?;
        let mut resp = Fetch::Request(req).send().await.map_err(unavailable)?;
        let status = resp.status_code();
        // Bytes, then the one JSON parser the worker already has (`json()` would add a second).
        let body: Value = resp.bytes().await.ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map_or_else(|| format!("HTTP {status}"), |m| format!("HTTP {status}: {m}"));
        Err(match status {
            404 => StripeFailure::NotFound,
            402 => StripeFailure::Failed(GatewayError::Declined(
                body.pointer("/error/message").and_then(Value::as_str).unwrap_or("The card was declined.").to_string(),
            )),
            408 | 409 | 429 | 500.. => StripeFailure::Failed(GatewayError::Unavailable(message)),
            _ => StripeFailure::Failed(GatewayError::Rejected(message)),
        })
    }

    async fn post_for_id(&self, path: &str, fields: &[(&str, &str)], key: &str) -> Result<Value, GatewayError> {
        match self.post(path, fields, key).await {
            Ok(v) if v.get("id").and_then(Value::as_str).is_some() => Ok(v),
            Ok(_) => Err(GatewayError::Unavailable("Stripe answered without an id".into())),
            Err(StripeFailure::NotFound) => Err(GatewayError::Rejected(format!("HTTP 404 from {path}"))),
            Err(StripeFailure::Failed(e)) => Err(e),
        }
    }
}

fn id_of(v: &Value) -> String {
    v.get("id").and_then(Value::as_str).unwrap_or_default().to_string()
}

impl PaymentGateway for Stripe<'_> {
    async fn vault(&self, client_token: &str, guardian_id: &str, key: &str) -> Result<Vaulted, GatewayError> {
        let customer = self
            .post_for_id("/v1/customers", &[("metadata[guardian_id]", guardian_id)], &format!("{key}:customer"))
            .await?;
        let customer_ref = id_of(&customer);
        let method = self
            .post_for_id(&format!("/v1/payment_methods/{client_token}/attach"), &[("customer", &customer_ref)], key)
            .await?;
        Ok(Vaulted { method_ref: id_of(&method), customer_ref: Some(customer_ref) })
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
        let intent = self.post_for_id("/v1/payment_intents", &fields, key).await?;
        match intent.get("status").and_then(Value::as_str) {
            Some("succeeded" | "processing") => Ok(id_of(&intent)),
            other => Err(GatewayError::Declined(format!("the payment needs more from the card holder ({})", other.unwrap_or("unknown")))),
        }
    }
}
