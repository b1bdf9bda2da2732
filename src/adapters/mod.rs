//! The world outside D1: e-mail transports, payment gateways, WebCrypto and the KV copy of the
//! portal switch. Each external service sits behind a small trait or function with a local
//! implementation for development and tests.

pub mod crypto;
pub mod directory;
pub mod gateway;
#[cfg(feature = "jobs")]
pub mod mail;
pub mod switch;
pub mod time_zone;
// Statements as PDF (issue 26, stmt).
#[cfg(feature = "http")]
pub mod pdf;
