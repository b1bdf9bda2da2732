//! Configuration from the Worker's environment (vars in wrangler.toml, secrets via `wrangler secret`).

use crate::error::{ApiError, ApiResult};
#[cfg(feature = "http")]
use portal_core::password::{PasswordCost, PasswordError};
use crate::store::{Binding, TENANT_PREFIX};
use crate::store::DIRECTORY_BINDING;
use portal_core::session::SessionKey;
use worker::Env;

pub struct Config {
    pub environment: String,
    /// The tenant databases bound to this Worker, `DB_1` ... `DB_N` in order (at least one): the
    /// first that is missing ends the list.
    pub databases: Vec<Binding>,
    /// Which tenant database holds which organization (`DIRECTORY`): requests find their
    /// organization there, the jobs Worker carries out moves and asks whether one is running.
    pub directory: Binding,
    /// The deployment's public URL, without a trailing slash: the `{base}` of e-mailed links.
    pub public_base_url: String,
    /// Only the `http` Worker signs and checks sessions, and only the `jobs` Worker sends e-mail:
    /// each requires only its own secrets.
    #[cfg(feature = "http")]
    pub session_key: SessionKey,
    pub platform_admin_token: Option<String>,
    #[cfg(feature = "jobs")]
    pub email: EmailConfig,
    /// First retry delay of a failed job; it doubles on each attempt (`JOB_RETRY_BASE_SECONDS`).
    pub job_retry_base_seconds: u32,
    /// The platform's Stripe key, for organizations whose gateway is Stripe (`STRIPE_SECRET_KEY`).
    pub stripe: Option<StripeConfig>,
    /// ISO 4217 code, lower case, of every charge (`PAYMENT_CURRENCY`, default `usd`).
    pub currency: String,
    /// PBKDF2 iterations of new password hashes (`PASSWORD_ITERATIONS`, default OWASP's 600,000;
    /// older hashes are upgraded at their next sign-in).
    #[cfg(feature = "http")]
    pub password_cost: PasswordCost,
    /// Derives each student's QR code from SESSION_SECRET (issue 25).
    #[cfg(feature = "http")]
    pub qr_code_key: portal_core::qr_code::QrCodeKey,
}

pub struct StripeConfig {
    /// `STRIPE_API_URL`, default `https://api.stripe.com`.
    pub api_url: String,
    pub secret_key: String,
    /// `STRIPE_PUBLISHABLE_KEY`: the platform's public key, for the Payment Element on the Add
    /// Payment Method page (without it, families cannot add a card there).
    pub publishable_key: Option<String>,
    /// `STRIPE_JS_URL`, default `https://js.stripe.com/v3/`: where the page loads Stripe.js from.
    pub js_url: String,
}

pub enum EmailConfig {
    /// Development and tests: messages are recorded in D1 and shown by `/dev/mailbox`.
    DevMailbox,
    /// A Resend-compatible HTTP API (`POST {url}` with a bearer key and an `Idempotency-Key`).
    Http { url: String, api_key: String, from: String },
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|s| !s.trim().is_empty())
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|v| v.to_string()).filter(|s| !s.trim().is_empty())
}

impl Config {
    pub fn from_env(env: &Env) -> ApiResult<Self> {
        let environment = var(env, "ENVIRONMENT").unwrap_or_else(|| "production".into());
        let public_base_url = var(env, "PUBLIC_BASE_URL")
            .ok_or_else(|| ApiError::internal("PUBLIC_BASE_URL is not set"))?
            .trim_end_matches('/')
            .to_string();
        #[cfg(feature = "http")]
        let session_secret = secret(env, "SESSION_SECRET").ok_or_else(|| ApiError::internal("SESSION_SECRET is not set"))?;
        #[cfg(feature = "http")]
        let session_key = SessionKey::new(session_secret.as_bytes())?;
        #[cfg(feature = "http")]
        let password_cost = match var(env, "PASSWORD_ITERATIONS") {
            Some(v) => v.trim().parse().ok().map(PasswordCost::from_total).unwrap_or(Err(PasswordError::Cost))?,
            None => PasswordCost::default(),
        };
        #[cfg(feature = "jobs")]
        let email = match var(env, "EMAIL_TRANSPORT").as_deref() {
            Some("http") => EmailConfig::Http {
                url: var(env, "EMAIL_API_URL").unwrap_or_else(|| "https://api.resend.com/emails".into()),
                api_key: secret(env, "EMAIL_API_KEY")
                    .ok_or_else(|| ApiError::internal("EMAIL_API_KEY is not set"))?,
                from: var(env, "EMAIL_FROM").ok_or_else(|| ApiError::internal("EMAIL_FROM is not set"))?,
            },
            Some("dev-mailbox") | None => EmailConfig::DevMailbox,
            Some(other) => return Err(ApiError::internal(format!("unknown EMAIL_TRANSPORT {other}"))),
        };
        Ok(Config {
            environment,
            databases: tenant_databases(env)?,
            directory: {
                env.d1(DIRECTORY_BINDING)?;
                Binding::new(DIRECTORY_BINDING)
            },
            public_base_url,
            #[cfg(feature = "http")]
            session_key,
            platform_admin_token: secret(env, "PLATFORM_ADMIN_TOKEN"),
            #[cfg(feature = "jobs")]
            email,
            job_retry_base_seconds: var(env, "JOB_RETRY_BASE_SECONDS")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(portal_core::retry::DEFAULT_BASE_SECONDS)
                .max(1),
            stripe: secret(env, "STRIPE_SECRET_KEY").map(|secret_key| StripeConfig {
                api_url: var(env, "STRIPE_API_URL")
                    .unwrap_or_else(|| "https://api.stripe.com".into())
                    .trim_end_matches('/')
                    .to_string(),
                secret_key,
                publishable_key: var(env, "STRIPE_PUBLISHABLE_KEY"),
                js_url: var(env, "STRIPE_JS_URL").unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
            }),
            currency: var(env, "PAYMENT_CURRENCY").unwrap_or_else(|| "usd".into()).to_ascii_lowercase(),
            #[cfg(feature = "http")]
            password_cost,
            #[cfg(feature = "http")]
            qr_code_key: portal_core::qr_code::QrCodeKey::new(session_secret.as_bytes()),
        })
    }

    pub fn is_development(&self) -> bool {
        self.environment == "development"
    }

    /// The tenant database bound as `name`, if there is one.
    pub fn database(&self, name: &str) -> Option<&Binding> {
        self.databases.iter().find(|b| b.name() == name)
    }

    /// The first tenant database: where requests that name no organization read (the development
    /// routes' query plans; an unknown organization, which is not found there either).
    pub fn first_database(&self) -> &Binding {
        &self.databases[0] // never empty: `tenant_databases` refuses to start without one
    }
}

/// `DB_1`, `DB_2`, ... for as long as each is bound and is a D1 database (checked once per isolate
/// here, so that `Db` can take them unchecked after).
fn tenant_databases(env: &Env) -> ApiResult<Vec<Binding>> {
    let mut found = Vec::new();
    loop {
        let name = format!("{TENANT_PREFIX}{}", found.len() + 1);
        if env.d1(&name).is_err() {
            break;
        }
        found.push(Binding::new(&name));
    }
    if found.is_empty() {
        return Err(ApiError::internal(format!("no tenant database is bound (expected {TENANT_PREFIX}1)")));
    }
    Ok(found)
}
