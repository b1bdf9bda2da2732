//! Payment gateways: a small trait, the Stripe HTTP adapter, and the local sandbox gateway of
//! development and tests, which records every call in D1.

mod sandbox;
mod stripe;

pub use sandbox::Sandbox;
#[cfg(feature = "http")]
pub use stripe::element_sources;
pub use stripe::Stripe;

use crate::config::Config;
use crate::store::Db;
use portal_core::payments::GatewayKind;
use portal_core::time::Timestamp;

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

/// A card being saved through the gateway's own element: the secret its client-side script needs
/// (the page hands the setup's id back when the family has confirmed).
pub struct CardSetup {
    pub client_secret: String,
}

/// What a page showing the gateway's own card element must let in from the gateway (each a
/// space-separated list of Content-Security-Policy sources).
pub struct ElementSources {
    pub script: String,
    pub frame: String,
    pub connect: String,
    pub img: String,
}

/// A setup as the gateway knows it: whose it is, and the card if the family confirmed it
/// (vaulted; last four digits, expiry month and year).
pub struct ConfirmedSetup {
    pub guardian_id: Option<String>,
    pub card: Option<(Vaulted, String, i64, i64)>,
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
