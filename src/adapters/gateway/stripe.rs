//! The Stripe HTTP adapter.

use super::{CardSetup, ElementSources, ConfirmedSetup, GatewayError, MethodRef, PaymentGateway, Vaulted};
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

/// A SetupIntent: how the Payment Element saves a card for later, off-session charges.
#[derive(Deserialize)]
struct SetupIntent {
    client_secret: Option<String>,
    status: Option<String>,
    customer: Option<String>,
    /// Expanded when we ask for it (`expand[]=payment_method`).
    payment_method: Option<SetupMethod>,
    #[serde(default)]
    metadata: SetupMetadata,
}

#[derive(Deserialize, Default)]
struct SetupMetadata {
    guardian_id: Option<String>,
}

#[derive(Deserialize)]
struct SetupMethod {
    id: String,
    card: Option<CardDetails>,
}

#[derive(Deserialize)]
struct CardDetails {
    last4: String,
    exp_month: i64,
    exp_year: i64,
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
        self.send(Method::Post, path, fields, Some(key)).await
    }

    /// One call to Stripe: `fields` form-encoded in the body of a POST, in the query of a GET.
    async fn send(&self, method: Method, path: &str, fields: &[(&str, &str)], key: Option<&str>) -> Result<Vec<u8>, StripeFailure> {
        let unavailable = |e: worker::Error| StripeFailure::Failed(GatewayError::Unavailable(e.to_string()));
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.secret_key)).map_err(unavailable)?;
        headers.set("stripe-account", self.account_id).map_err(unavailable)?;
        if let Some(key) = key {
            headers.set("idempotency-key", key).map_err(unavailable)?;
        }
        let form = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut init = RequestInit::new();
        let url = if method == Method::Get {
            init.with_method(method).with_headers(headers);
            format!("{}{path}?{form}", self.api_url)
        } else {
            headers.set("content-type", "application/x-www-form-urlencoded").map_err(unavailable)?;
            init.with_method(method).with_headers(headers).with_body(Some(form.into()));
            format!("{}{path}", self.api_url)
        };
        let req = Request::new_with_init(&url, &init).map_err(unavailable)?;
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

    /// Starts saving a card through the Payment Element: a customer for the guardian and a
    /// SetupIntent for off-session use, whose client secret the page hands to Stripe.js.
    #[cfg(feature = "http")]
    pub async fn start_setup(&self, guardian_id: &str, key: &str) -> Result<CardSetup, GatewayError> {
        let customer: Customer = self
            .post_for("/v1/customers", &[("metadata[guardian_id]", guardian_id)], &format!("{key}:customer"))
            .await?;
        let intent: SetupIntent = self
            .post_for(
                "/v1/setup_intents",
                &[
                    ("customer", &customer.id),
                    ("usage", "off_session"),
                    ("payment_method_types[]", "card"),
                    ("metadata[guardian_id]", guardian_id),
                ],
                key,
            )
            .await?;
        let client_secret = intent.client_secret.ok_or_else(|| GatewayError::Unavailable("Stripe answered without a client secret".into()))?;
        Ok(CardSetup { client_secret })
    }

    /// What the family confirmed in the Payment Element, read from Stripe itself: the page only
    /// tells us which SetupIntent to look at, never the card's details.
    #[cfg(feature = "http")]
    pub async fn confirmed_setup(&self, setup_ref: &str) -> Result<ConfirmedSetup, GatewayError> {
        let path = format!("/v1/setup_intents/{}", form_urlencoded::byte_serialize(setup_ref.as_bytes()).collect::<String>());
        let body = match self.send(Method::Get, &path, &[("expand[]", "payment_method")], None).await {
            Ok(body) => body,
            Err(StripeFailure::NotFound) => return Err(GatewayError::Rejected("No such setup".into())),
            Err(StripeFailure::Failed(e)) => return Err(e),
        };
        let intent: SetupIntent = serde_json::from_slice(&body).map_err(|_| GatewayError::Unavailable("Stripe answered without a setup".into()))?;
        let succeeded = intent.status.as_deref() == Some("succeeded");
        let method = intent.payment_method.filter(|_| succeeded);
        Ok(ConfirmedSetup {
            guardian_id: intent.metadata.guardian_id,
            card: method.and_then(|m| {
                let card = m.card?;
                Some((Vaulted { method_ref: m.id, customer_ref: intent.customer }, card.last4, card.exp_month, card.exp_year))
            }),
        })
    }
}

/// What a page showing Stripe's Payment Element must let in (Stripe's published CSP list), with
/// the configured Stripe.js and API origins (Stripe's own, or stand-ins in tests).
#[cfg(feature = "http")]
pub fn element_sources(js_url: &str, api_url: &str) -> ElementSources {
    let origin = |u: &str| web_sys::Url::new(u).map(|u| u.origin()).unwrap_or_default();
    let js = origin(js_url);
    ElementSources {
        script: format!("{js} https://*.js.stripe.com"),
        frame: format!("{js} https://*.js.stripe.com https://hooks.stripe.com"),
        connect: origin(api_url),
        img: "https://*.stripe.com".into(),
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
