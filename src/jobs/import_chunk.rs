//! The import-chunk job: applies one chunk of an edited contacts report, a row at a time, and
//! the chunk that finishes the job queues the summary e-mail.

use crate::commands::access;
use crate::context::OrgContext;
use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use crate::jobs::JobOutcome;
use crate::adapters::mail;
use crate::store::families::{self, FamilyRow, GuardianRow, IDS_PER_QUERY};
use crate::store::imports::{self as store, RowResult, KIND_IMPORT_SUMMARY};
use crate::store::outbox::{self, OutboxRow};
use crate::store::won;
use portal_core::access::Requester;
use portal_core::audit::Actor;
use portal_core::bulk::{plan_row, ContactFacts, ImportRow, RowPlan};
use portal_core::notification::Notification;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use crate::commands::imports::*;

async fn org_context(app: &App, org_id: &str) -> ApiResult<OrgContext> {
    let row = crate::store::organizations::find(&app.db, org_id)
        .await?
        .ok_or_else(|| ApiError::internal("an import's organization is missing"))?;
    Ok(OrgContext { id: org_id.to_string(), slug: row.slug, name: row.name, invitation_ttl_hours: row.invitation_ttl_hours })
}

/// Applies one chunk. Rows that already have a result (a chunk delivered again, or retried after a
/// crash) are skipped; a row's change and its result are written one right after the other, and
/// the change itself is idempotent (a revoked contact is not revoked again, an invited one not
/// invited again), so no row is applied twice.
pub async fn run(app: &App, row: &OutboxRow) -> ApiResult<JobOutcome> {
    let Ok(task) = serde_json::from_str::<ChunkJob>(&row.payload) else {
        return Ok(JobOutcome::Failed("bad payload".into()));
    };
    let Some(job) = store::find_job(&app.db, &task.job_id).await? else {
        return Ok(JobOutcome::Failed(format!("import {} is gone", task.job_id)));
    };
    if job.status == "failed" {
        return Ok(JobOutcome::Done);
    }
    let Some(chunk) = store::find_chunk(&app.db, &job.id, task.chunk).await? else {
        return Ok(JobOutcome::Failed(format!("chunk {} of {} is gone", task.chunk, job.id)));
    };
    if chunk.done_at.is_some() {
        return Ok(JobOutcome::Done);
    }
    let rows: Vec<ImportRow> = serde_json::from_str(&chunk.rows).map_err(ApiError::internal)?;
    store::mark_running(&app.db, &job.id).await?;

    let (first, last) = (rows.first().map_or(0, |r| r.line as i64), rows.last().map_or(0, |r| r.line as i64));
    let done: HashSet<i64> = store::lines_done(&app.db, &job.id, first, last).await?.into_iter().collect();
    let pending: Vec<&ImportRow> = rows.iter().filter(|r| !done.contains(&(r.line as i64))).collect();

    let mut contacts: HashMap<String, GuardianRow> = HashMap::new();
    let ids: Vec<&str> = pending.iter().map(|r| r.contact_id.as_str()).filter(|id| !id.is_empty()).collect();
    for part in ids.chunks(IDS_PER_QUERY) {
        for g in families::guardians_by_ids(&app.db, &job.org_id, part).await? {
            contacts.insert(g.id.clone(), g);
        }
    }

    let org = org_context(app, &job.org_id).await?;
    let requester = Requester::Staff(Actor::staff(&job.staff_id, &job.staff_email));
    let mut families_seen: HashMap<String, FamilyRow> = HashMap::new();
    let mut quiet: Vec<RowResult<'_>> = Vec::new();
    let mut messages: Vec<(i64, &str, String)> = Vec::new();
    for r in &pending {
        let contact = contacts.get(&r.contact_id);
        let facts = contact.map(|g| ContactFacts {
            family_id: g.family_id.clone(),
            is_primary: g.is_primary,
            has_access: has_access(g.access_state, g.invitation_expires_at, app.now()),
            has_email: g.email.is_some(),
        });
        let line = r.line as i64;
        let plan = match plan_row(r, facts.as_ref()) {
            Ok(p) => p,
            Err(message) => {
                messages.push((line, &r.contact_id, message));
                continue;
            }
        };
        let (action, target) = match (plan, contact) {
            (RowPlan::Unchanged, _) | (_, None) => {
                quiet.push(RowResult { line, contact_id: &r.contact_id, outcome: "unchanged", action: None, message: None });
                continue;
            }
            (RowPlan::Revoke, Some(g)) => ("revoke", g),
            (RowPlan::Invite, Some(g)) => ("invite", g),
        };
        let applied = if job.dry_run != 0 {
            Ok(())
        } else {
            apply(app, &org, &requester, plan, target, &mut families_seen).await
        };
        let result = match &applied {
            Ok(()) => RowResult { line, contact_id: &r.contact_id, outcome: "updated", action: Some(action), message: None },
            Err(e) => RowResult { line, contact_id: &r.contact_id, outcome: "error", action: Some(action), message: Some(&e.message) },
        };
        // Written at once, so that a crash later in the chunk does not lose that this row was applied.
        app.db.batch(store::insert_results(&app.db, &job.id, &[result])?).await?;
    }
    quiet.extend(messages.iter().map(|(line, contact_id, m)| RowResult {
        line: *line,
        contact_id,
        outcome: "error",
        action: None,
        message: Some(m),
    }));

    let change_id = new_id("chg")?;
    let mut statements = store::insert_results(&app.db, &job.id, &quiet)?;
    statements.extend(store::finish_chunk(&app.db, &job.id, task.chunk, &change_id, app.now())?);
    let summary = outbox::insert(
        &app.db,
        Some(&job.org_id),
        KIND_IMPORT_SUMMARY,
        &serde_json::to_string(&json!({ "job_id": job.id })).map_err(ApiError::internal)?,
        app.now(),
        Some(store::job_finished_by(&job.id, &change_id)),
    )?;
    statements.push(summary.statement);
    let results = app.db.batch(statements).await?;
    if won(&results, results.len().saturating_sub(1))? {
        app.enqueue(&[summary.id]).await;
    }
    Ok(JobOutcome::Done)
}

async fn apply(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    plan: RowPlan,
    target: &GuardianRow,
    families_seen: &mut HashMap<String, FamilyRow>,
) -> ApiResult<()> {
    if !families_seen.contains_key(&target.family_id) {
        let family = families::find_family(&app.db, &org.id, &target.family_id)
            .await?
            .ok_or_else(|| ApiError::internal("a contact's family is missing"))?;
        families_seen.insert(target.family_id.clone(), family);
    }
    let family = &families_seen[&target.family_id];
    match plan {
        RowPlan::Revoke => access::revoke(app, org, requester, target, family, Some("Bulk import".into())).await,
        RowPlan::Invite => access::send_invitation(app, org, requester, target, family, None, false).await,
        RowPlan::Unchanged => Ok(()),
    }
}

/// The queue gave up on a chunk: the job fails, keeping the results it has.
pub async fn dead_lettered(app: &App, row: &OutboxRow) -> ApiResult<()> {
    if let Ok(task) = serde_json::from_str::<ChunkJob>(&row.payload) {
        let error = format!("chunk {} could not be applied: {}", task.chunk, row.last_error.as_deref().unwrap_or("unknown error"));
        store::mark_failed(&app.db, &task.job_id, &error, app.now()).await?;
    }
    Ok(())
}

/// E-mails the summary of a finished job to the staff member who uploaded it.
pub async fn send_summary(app: &App, row: &OutboxRow) -> Result<(), mail::MailError> {
    #[derive(Deserialize)]
    struct Task {
        job_id: String,
    }
    let permanent = |m: String| mail::MailError::Permanent(m);
    let transient = |e: ApiError| mail::MailError::Transient(e.message.clone());
    let task: Task = serde_json::from_str(&row.payload).map_err(|e| permanent(format!("bad payload: {e}")))?;
    let job = store::find_job(&app.db, &task.job_id).await.map_err(transient)?.ok_or_else(|| permanent("job gone".into()))?;
    let org = org_context(app, &job.org_id).await.map_err(transient)?;
    let counts = store::counts(&app.db, &job.id).await.map_err(transient)?;
    let notice = Notification::ImportSummary {
        to: job.staff_email.clone(),
        org_name: org.name,
        org_slug: org.slug,
        job_id: job.id.clone(),
        dry_run: job.dry_run != 0,
        total: job.total,
        updated: counts.updated,
        unchanged: counts.unchanged,
        errors: counts.errors,
    };
    let message = notice.render(&app.config.public_base_url).map_err(|e| mail::MailError::Permanent(e.to_string()))?;
    mail::send(&app.config.email, &app.db, app.now(), &message, &row.id).await
}
