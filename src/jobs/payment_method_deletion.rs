//! The payment-method deletion job: a manual revoke's saved methods are deleted at the gateway,
//! idempotently, then here.

use crate::app::App;
use crate::error::ApiResult;
use crate::jobs::JobOutcome;
use crate::adapters::gateway::{GatewayError, PaymentGateway};
use crate::store::outbox::OutboxRow;
use crate::store::payments::{self as store, MethodRow};
use crate::store::audit;
use portal_core::audit::{Actor, AuditEntry};
use portal_core::payments::method_label;
use crate::commands::payments::*;

fn deletion_entry(job: &DeletionJob, m: &MethodRow, action: &str, reason: String) -> AuditEntry {
    AuditEntry {
        actor: Actor { kind: portal_core::audit::ActorKind::System, id: None, label: "Payment method clean-up".into() },
        action: action.into(),
        target_kind: "payment_method".into(),
        target_id: m.id.clone(),
        target_label: Some(format!("{} of {}", method_label(m.kind, &m.last4), job.guardian_name)),
        family_id: Some(job.family_id.clone()),
        reason: Some(reason),
    }
}

/// Deletes the job's methods at their gateway, then here, each with an audit entry. Safe to run
/// twice: a deleted row is not found again, and the gateway call's key is the method's.
pub async fn run(app: &App, row: &OutboxRow) -> ApiResult<JobOutcome> {
    let job: DeletionJob = match serde_json::from_str(&row.payload) {
        Ok(j) => j,
        Err(e) => return Ok(JobOutcome::Failed(format!("bad payload: {e}"))),
    };
    let org_id = row.org_id.clone().unwrap_or_default();
    let mut retry = None;
    let mut failed = None;
    for m in store::methods_being_deleted(&app.db, &job.guardian_id, &job.change_id).await? {
        let result = match gateway_of(app, &org_id, &m) {
            Some(g) => g.delete_method(&method_ref(&m), &format!("delete-{}", m.id)).await,
            None => Err(GatewayError::Rejected(format!("no {} gateway is configured to delete it", m.gateway_kind))),
        };
        match result {
            Ok(()) => {
                let entry = deletion_entry(&job, &m, "payment_method_deleted", job.reason.clone());
                app.db
                    .batch(vec![store::delete_method(&app.db, &m.id)?, audit::insert(&app.db, &org_id, &entry, app.now(), None)?])
                    .await?;
            }
            Err(GatewayError::Unavailable(e)) => {
                store::record_deletion_error(&app.db, &m.id, &e).await?;
                retry = Some(e);
            }
            Err(GatewayError::Declined(e) | GatewayError::Rejected(e)) => {
                store::record_deletion_error(&app.db, &m.id, &e).await?;
                let entry = deletion_entry(&job, &m, "payment_method_deletion_failed", e.clone());
                app.db.batch(vec![audit::insert(&app.db, &org_id, &entry, app.now(), None)?]).await?;
                failed = Some(e);
            }
        }
    }
    Ok(match (retry, failed) {
        (Some(e), _) => JobOutcome::Retry(e),
        (None, Some(e)) => JobOutcome::Failed(e),
        (None, None) => JobOutcome::Done,
    })
}

/// The queue gave up on a deletion job: what is left stays marked, and the history says so.
pub async fn dead_lettered(app: &App, row: &OutboxRow) -> ApiResult<()> {
    let Ok(job) = serde_json::from_str::<DeletionJob>(&row.payload) else {
        return Ok(());
    };
    let org_id = row.org_id.clone().unwrap_or_default();
    let mut statements = Vec::new();
    for m in store::methods_being_deleted(&app.db, &job.guardian_id, &job.change_id).await? {
        let reason = format!("The gateway kept failing: {}", m.deletion_error.as_deref().unwrap_or("unknown error"));
        let entry = deletion_entry(&job, &m, "payment_method_deletion_failed", reason);
        statements.push(audit::insert(&app.db, &org_id, &entry, app.now(), None)?);
    }
    if !statements.is_empty() {
        app.db.batch(statements).await?;
    }
    Ok(())
}
