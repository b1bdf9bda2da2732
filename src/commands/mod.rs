//! The use cases: each loads what a rule needs, asks `portal_core`, and writes the decision in one
//! D1 batch. No `Request` or `Response` here: the routes (JSON and pages) call these.

pub mod access;
#[cfg(feature = "http")]
pub mod enrollments;
#[cfg(feature = "http")]
pub mod families;
#[cfg(feature = "http")]
pub mod failed_emails;
pub mod imports;
#[cfg(feature = "http")]
pub mod links;
pub mod operations;
#[cfg(feature = "http")]
pub mod organizations;
pub mod payments;
#[cfg(feature = "http")]
pub mod settings;
#[cfg(feature = "http")]
pub mod sign_in;

use crate::app::App;
use crate::error::ApiResult;
use crate::store::{audit, outbox, Guard};
use portal_core::audit::AuditEntry;
use portal_core::notification::Notification;
use worker::D1PreparedStatement;

/// A command's audit rows and e-mails, each guarded like its state change: a command that loses a
/// race writes none of them.
pub struct Effects {
    pub statements: Vec<D1PreparedStatement>,
    pub outbox_ids: Vec<String>,
}

pub fn guarded_effects<'a>(
    app: &App,
    org_id: &str,
    entries: &[AuditEntry],
    notices: &[Notification],
    guard: impl Fn() -> Guard<'a>,
) -> ApiResult<Effects> {
    let mut statements = Vec::new();
    for e in entries {
        statements.push(audit::insert(&app.db, org_id, e, app.now(), Some(guard()))?);
    }
    let mut outbox_ids = Vec::new();
    for n in notices {
        let row = outbox::insert_email(&app.db, Some(org_id), n, &app.config.public_base_url, app.now(), Some(guard()))?;
        outbox_ids.push(row.id);
        statements.push(row.statement);
    }
    Ok(Effects { statements, outbox_ids })
}
