//! The sandbox gateway: development and the end-to-end tests pay through it without Stripe, and
//! read what it was asked from `sandbox_gateway_calls`.

use super::{GatewayError, MethodRef, PaymentGateway, Vaulted};
use crate::adapters::crypto::new_id;
use crate::store::{sandbox_gateway, Db};
use portal_core::time::Timestamp;

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
        let unavailable = |e: crate::error::ApiError| GatewayError::Unavailable(e.message.clone());
        let earlier = sandbox_gateway::earlier_calls(self.db, operation, key).await.map_err(unavailable)?;
        let (outcome, result_ref) = match earlier {
            Some(e) if e.outcome == "ok" => (Outcome::Ok, e.result_ref),
            Some(e) if e.outcome == "declined" => (Outcome::Declined, None),
            e => {
                let (outcome, result_ref) = decide(e.map_or(0, |e| e.failures));
                let id = new_id("sgc").map_err(unavailable)?;
                let call = sandbox_gateway::Call {
                    id: &id,
                    org_id: self.org_id,
                    operation,
                    idempotency_key: key,
                    gateway_ref,
                    amount_cents,
                    outcome: outcome.as_str(),
                    result_ref: result_ref.as_deref(),
                    at: self.now,
                };
                sandbox_gateway::record(self.db, &call).await.map_err(unavailable)?;
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
