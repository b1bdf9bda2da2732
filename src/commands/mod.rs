//! The use cases: each loads what a rule needs, asks `portal_core`, and writes the decision in one
//! D1 batch. No `Request` or `Response` here: the routes (JSON and pages) call these.

pub mod access;
pub mod imports;
pub mod operations;
pub mod payments;
#[cfg(feature = "http")]
pub mod sign_in;
