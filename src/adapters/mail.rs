//! Sending e-mail: a small trait, a real HTTP adapter, and the development mailbox.

use crate::config::EmailConfig;
use crate::store::{outbox, Db};
use portal_core::notification::OutgoingEmail;
use portal_core::time::Timestamp;
use serde::Serialize;
use worker::{Fetch, Headers, Method, Request, RequestInit};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (network trouble, rate limit, provider outage).
    #[error("transient: {0}")]
    Transient(String),
    /// The provider said when to come back (`Retry-After` in seconds, on a 429 or 503).
    #[error("transient: {0} (retry after {1} s)")]
    RetryAfter(String, u32),
    /// Will fail the same way every time (rejected address, bad credentials).
    #[error("permanent: {0}")]
    Permanent(String),
}

pub trait EmailTransport {
    /// Sends one message. `idempotency_key` is the same on every retry of the same message.
    async fn send(&self, message: &OutgoingEmail, idempotency_key: &str) -> Result<(), MailError>;
}

/// Records messages in D1 instead of sending them; `/dev/mailbox` shows them. Exactly one row per
/// outbox message, however often the queue delivers it.
pub struct DevMailbox<'a> {
    pub db: &'a Db,
    pub now: Timestamp,
}

impl EmailTransport for DevMailbox<'_> {
    async fn send(&self, m: &OutgoingEmail, idempotency_key: &str) -> Result<(), MailError> {
        let id = crate::adapters::crypto::new_id("msg").map_err(|e| MailError::Transient(e.message.clone()))?;
        outbox::record_in_dev_mailbox(self.db, &id, idempotency_key, m, self.now)
            .await
            .map_err(|e| MailError::Transient(e.message.clone()))
    }
}

/// A Resend-compatible provider: `POST {url}` with `{from, to, subject, text, html}`.
pub struct HttpProvider<'a> {
    pub url: &'a str,
    pub api_key: &'a str,
    pub from: &'a str,
}

/// The provider's send body, borrowed from the message: nothing is copied to serialize it.
#[derive(Serialize)]
struct SendBody<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    /// The message's kind as a tag, so the provider's logs can be filtered by it.
    tags: [Tag<'a>; 1],
}

#[derive(Serialize)]
struct Tag<'a> {
    name: &'a str,
    value: &'a str,
}

impl EmailTransport for HttpProvider<'_> {
    async fn send(&self, m: &OutgoingEmail, idempotency_key: &str) -> Result<(), MailError> {
        let transient = |e: worker::Error| MailError::Transient(e.to_string());
        let body = SendBody {
            from: self.from,
            to: [&m.to],
            subject: &m.subject,
            text: &m.text,
            html: &m.html,
            tags: [Tag { name: "kind", value: &m.kind }],
        };
        let body = serde_json::to_string(&body).map_err(|e| MailError::Permanent(format!("mail body: {e}")))?;
        let headers = Headers::new();
        headers.set("content-type", "application/json").map_err(transient)?;
        headers.set("authorization", &format!("Bearer {}", self.api_key)).map_err(transient)?;
        headers.set("idempotency-key", idempotency_key).map_err(transient)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let req = Request::new_with_init(self.url, &init).map_err(transient)?;
        let mut resp = Fetch::Request(req).send().await.map_err(transient)?;
        let status = resp.status_code();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u32>().ok());
        let detail = resp.text().await.unwrap_or_default();
        let detail = format!("HTTP {status}: {}", detail.chars().take(300).collect::<String>());
        if let (Some(seconds), true) = (retry_after, status == 429 || status == 503) {
            Err(MailError::RetryAfter(detail, seconds))
        } else if status == 429 || status == 408 || status >= 500 {
            Err(MailError::Transient(detail))
        } else {
            Err(MailError::Permanent(detail))
        }
    }
}

/// The transport the configuration names.
pub async fn send(
    config: &EmailConfig,
    db: &Db,
    now: Timestamp,
    message: &OutgoingEmail,
    idempotency_key: &str,
) -> Result<(), MailError> {
    match config {
        EmailConfig::DevMailbox => DevMailbox { db, now }.send(message, idempotency_key).await,
        EmailConfig::Http { url, api_key, from } => HttpProvider { url, api_key, from }.send(message, idempotency_key).await,
    }
}
