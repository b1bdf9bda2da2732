//! The use cases: each loads what a rule needs, asks `portal_core`, and writes the decision in one
//! D1 batch. No `Request` or `Response` here: the routes (JSON and pages) call these.

pub mod access;
#[cfg(feature = "http")]
pub mod access_end;
#[cfg(feature = "http")]
pub mod contact_points;
#[cfg(feature = "http")]
pub mod credit;
#[cfg(feature = "http")]
pub mod enrollments;
#[cfg(feature = "http")]
pub mod families;
#[cfg(feature = "http")]
pub mod failed_emails;
pub mod imports;
#[cfg(feature = "http")]
pub mod leaving;
#[cfg(feature = "http")]
pub mod links;
pub mod moves;
#[cfg(feature = "http")]
pub mod maintenance;
pub mod operations;
#[cfg(feature = "http")]
pub mod organizations;
pub mod payments;
#[cfg(feature = "http")]
pub mod settings;
#[cfg(feature = "http")]
pub mod sign_in;
// Attendance, future absences, evaluations (stu-a)
#[cfg(feature = "http")]
pub mod evaluations;
#[cfg(feature = "http")]
pub mod student_records;
#[cfg(feature = "http")]
pub mod attendance;
#[cfg(feature = "http")]
pub mod absences;
// Your Student(s) part B.
#[cfg(feature = "http")]
pub mod passes;
// Signed-in devices and the Mobile App's refresh (issue 27, part B).
#[cfg(feature = "http")]
pub mod sign_ins;
// Makeup tokens (issue 25, tok).
#[cfg(feature = "http")]
pub mod makeup_tokens;
// Changing the login e-mail (issue 26).
#[cfg(feature = "http")]
pub mod email_change;
// QR codes (issue 25).
#[cfg(feature = "http")]
pub mod qr_codes;
// Statements for a location (issue 26, stmt).
#[cfg(feature = "http")]
pub mod statements;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::store::{audit, outbox, sessions, Guard};
use portal_core::audit::AuditEntry;
use portal_core::notification::Notification;
use worker::D1PreparedStatement;

/// A customer's write whose first statement carried `sessions::still_live` and wrote nothing: 401
/// if the session ended after the session check (the write lost a race with a revoke, a sign-out
/// or the portal switch); Ok if it is still live, for the caller to say what else stopped it.
pub async fn require_live(app: &App, session_id: &str) -> ApiResult<()> {
    match sessions::live_or_why(&app.db, session_id, app.now()).await? {
        Ok(()) => Ok(()),
        Err(reason) => Err(ApiError::session_ended(reason.as_deref())),
    }
}

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
// Makeup requests (req).
#[cfg(feature = "http")]
pub mod makeup_requests;
// The requests queue's decisions, by kind.
#[cfg(feature = "http")]
pub mod requests;
