//! The e-mail job: hands a rendered message to the transport, keeping a redacted copy.

use crate::app::App;
use crate::error::ApiResult;
use crate::adapters::mail;
use crate::store::outbox::OutboxRow;
use portal_core::notification::OutgoingEmail;
use super::{settle, JobOutcome, Outcome};

pub async fn send(app: &App, row: &OutboxRow) -> ApiResult<Outcome> {
    let message: OutgoingEmail = match serde_json::from_str(&row.payload) {
        Ok(m) => m,
        Err(e) => return settle(app, row, JobOutcome::Failed(format!("bad payload: {e}")), &row.payload).await,
    };
    let sent = mail::send(&app.config.email, &app.db, app.now(), &message, &row.id).await;
    let kept = serde_json::to_string(&message.redacted()).map_err(crate::error::ApiError::internal)?;
    settle(app, row, sent.into(), &kept).await
}

