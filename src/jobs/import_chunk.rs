//! The import-chunk job: applies one chunk of an edited contacts report (or of a dry run's planned
//! changes), a row at a time, and the chunk that finishes the job queues the summary e-mail.

use crate::commands::access;
use crate::context::OrgContext;
use crate::app::App;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use crate::jobs::JobOutcome;
use crate::adapters::mail;
use crate::store::families::{self, FamilyRow, GuardianRow, IDS_PER_QUERY};
use crate::store::imports::{self as store, JobRow, RowResult, KIND_IMPORT_SUMMARY};
use crate::store::outbox::{self, OutboxRow};
use crate::store::{won, Guard};
use portal_core::access::Requester;
use portal_core::audit::Actor;
use portal_core::bulk::{plan_row, ContactFacts, ImportRow, PlannedChange, RowPlan, STALE_ROW};
use portal_core::notification::Notification;
use std::collections::{HashMap, HashSet};
use crate::commands::imports::*;

async fn org_context(app: &App, org_id: &str) -> ApiResult<OrgContext> {
    let row = crate::store::organizations::find(&app.db, org_id)
        .await?
        .ok_or_else(|| ApiError::internal("an import's organization is missing"))?;
    Ok(OrgContext { id: org_id.to_string(), slug: row.slug, name: row.name, invitation_ttl_hours: row.invitation_ttl_hours })
}

/// A row's result, before it is written.
struct Outcome {
    line: i64,
    contact_id: String,
    outcome: &'static str,
    action: Option<&'static str>,
    message: Option<String>,
    fingerprint: Option<String>,
}

impl Outcome {
    fn new(line: i64, contact_id: &str, outcome: &'static str, action: Option<&'static str>) -> Self {
        Outcome { line, contact_id: contact_id.to_string(), outcome, action, message: None, fingerprint: None }
    }
    fn error(line: i64, contact_id: &str, action: Option<&'static str>, message: impl Into<String>) -> Self {
        Outcome { message: Some(message.into()), ..Outcome::new(line, contact_id, "error", action) }
    }
    fn row(&self) -> RowResult<'_> {
        RowResult {
            line: self.line,
            contact_id: &self.contact_id,
            outcome: self.outcome,
            action: self.action,
            message: self.message.as_deref(),
            fingerprint: self.fingerprint.as_deref(),
        }
    }
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
    store::mark_running(&app.db, &job.id).await?;
    let org = org_context(app, &job.org_id).await?;
    let requester = Requester::Staff(Actor::staff(&job.staff_id, &job.staff_email));
    let quiet = match job.dry_run_job_id.as_deref() {
        Some(dry_run_id) => {
            let changes: Vec<PlannedChange> = serde_json::from_str(&chunk.rows).map_err(ApiError::internal)?;
            apply_changes(app, &job, dry_run_id, &org, &requester, &changes).await?
        }
        None => {
            let rows: Vec<ImportRow> = serde_json::from_str(&chunk.rows).map_err(ApiError::internal)?;
            import_rows(app, &job, &org, &requester, &rows).await?
        }
    };

    let change_id = new_id("chg")?;
    let rows: Vec<RowResult<'_>> = quiet.iter().map(Outcome::row).collect();
    let mut statements = store::insert_results(&app.db, &job.id, &rows)?;
    statements.extend(store::finish_chunk(&app.db, &job.id, task.chunk, &change_id, app.now())?);
    let summary = outbox::insert(
        &app.db,
        Some(&job.org_id),
        KIND_IMPORT_SUMMARY,
        &serde_json::to_string(&SummaryJob { job_id: job.id.clone() }).map_err(ApiError::internal)?,
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

/// The lines of a chunk that have no result yet.
async fn pending_lines(app: &App, job: &JobRow, lines: impl Iterator<Item = u64> + Clone) -> ApiResult<HashSet<i64>> {
    let (first, last) = (lines.clone().min().unwrap_or(0) as i64, lines.clone().max().unwrap_or(0) as i64);
    let done: HashSet<i64> = store::lines_done(&app.db, &job.id, first, last).await?.into_iter().collect();
    Ok(lines.map(|l| l as i64).filter(|l| !done.contains(l)).collect())
}

/// The guardians of the organization with these ids, by id.
async fn guardians(app: &App, org_id: &str, ids: &[&str]) -> ApiResult<HashMap<String, GuardianRow>> {
    let mut contacts = HashMap::new();
    for part in ids.chunks(IDS_PER_QUERY) {
        for g in families::guardians_by_ids(&app.db, org_id, part).await? {
            contacts.insert(g.id.clone(), g);
        }
    }
    Ok(contacts)
}

/// Rows of an uploaded file: each planned against the contact as they are now, and applied (or,
/// in a dry run, only listed, with the contact's fingerprint for the apply). The results that are
/// not written yet.
async fn import_rows(app: &App, job: &JobRow, org: &OrgContext, requester: &Requester, rows: &[ImportRow]) -> ApiResult<Vec<Outcome>> {
    let pending_lines = pending_lines(app, job, rows.iter().map(|r| r.line)).await?;
    let pending: Vec<&ImportRow> = rows.iter().filter(|r| pending_lines.contains(&(r.line as i64))).collect();
    let ids: Vec<&str> = pending.iter().map(|r| r.contact_id.as_str()).filter(|id| !id.is_empty()).collect();
    let dry_run = job.dry_run != 0;
    // Read before the facts the plan rests on: a change in between makes the apply stale, never
    // lets a stale row through.
    let mut fingerprints: HashMap<String, String> = HashMap::new();
    if dry_run {
        for part in ids.chunks(IDS_PER_QUERY) {
            fingerprints.extend(store::fingerprints(&app.db, &job.org_id, part).await?.into_iter().map(|f| (f.id, f.fingerprint)));
        }
    }
    let contacts = guardians(app, &job.org_id, &ids).await?;

    let mut families_seen: HashMap<String, FamilyRow> = HashMap::new();
    let mut quiet = Vec::new();
    for r in pending {
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
                quiet.push(Outcome::error(line, &r.contact_id, None, message));
                continue;
            }
        };
        let target = match (plan, contact) {
            (RowPlan::Unchanged, _) | (_, None) => {
                quiet.push(Outcome::new(line, &r.contact_id, "unchanged", None));
                continue;
            }
            (_, Some(g)) => g,
        };
        if dry_run {
            let fingerprint = fingerprints.get(&r.contact_id).cloned();
            quiet.push(Outcome { fingerprint, ..Outcome::new(line, &r.contact_id, "updated", plan.action()) });
            continue;
        }
        let result = match apply(app, org, requester, plan, target, &mut families_seen, None).await {
            Ok(_) => Outcome::new(line, &r.contact_id, "updated", plan.action()),
            Err(e) => Outcome::error(line, &r.contact_id, plan.action(), e.message.clone()),
        };
        // Written at once, so that a crash later in the chunk does not lose that this row was applied.
        app.db.batch(store::insert_results(&app.db, &job.id, &[result.row()])?).await?;
    }
    Ok(quiet)
}

/// Changes a dry run planned, applied as planned to the contacts still as the dry run saw them
/// (checked for the chunk here, and again by each row's own write, so a contact changed in
/// between is not overwritten); any other is a row error. The results that are not written yet.
async fn apply_changes(
    app: &App,
    job: &JobRow,
    dry_run_id: &str,
    org: &OrgContext,
    requester: &Requester,
    changes: &[PlannedChange],
) -> ApiResult<Vec<Outcome>> {
    let pending_lines = pending_lines(app, job, changes.iter().map(|c| c.line)).await?;
    let pending: Vec<&PlannedChange> = changes.iter().filter(|c| pending_lines.contains(&(c.line as i64))).collect();
    let (first, last) = (changes.first().map_or(0, |c| c.line as i64), changes.last().map_or(0, |c| c.line as i64));
    let stale: HashSet<i64> = store::stale_lines(&app.db, dry_run_id, &job.org_id, first, last).await?.into_iter().collect();
    let ids: Vec<&str> = pending.iter().filter(|c| !stale.contains(&(c.line as i64))).map(|c| c.contact_id.as_str()).collect();
    let contacts = guardians(app, &job.org_id, &ids).await?;

    let mut families_seen: HashMap<String, FamilyRow> = HashMap::new();
    let mut quiet = Vec::new();
    for c in pending {
        let (line, action) = (c.line as i64, c.plan.action());
        let Some(target) = contacts.get(&c.contact_id).filter(|_| !stale.contains(&line)) else {
            quiet.push(Outcome::error(line, &c.contact_id, action, STALE_ROW));
            continue;
        };
        let unchanged = store::unchanged_since_dry_run(dry_run_id, line);
        let result = match apply(app, org, requester, c.plan, target, &mut families_seen, Some(unchanged)).await {
            Ok(true) => Outcome::new(line, &c.contact_id, "updated", action),
            Ok(false) => Outcome::error(line, &c.contact_id, action, STALE_ROW),
            // Refused because the contact changed a moment ago (the guard), or for its own reason.
            Err(e) if store::stale_lines(&app.db, dry_run_id, &job.org_id, line, line).await?.is_empty() => {
                Outcome::error(line, &c.contact_id, action, e.message.clone())
            }
            Err(_) => Outcome::error(line, &c.contact_id, action, STALE_ROW),
        };
        // Written at once, so that a crash later in the chunk does not lose that this row was applied.
        app.db.batch(store::insert_results(&app.db, &job.id, &[result.row()])?).await?;
    }
    Ok(quiet)
}

/// Carries out a row's plan, only while `only_if` holds if given. False: it did not hold, and
/// nothing changed.
async fn apply(
    app: &App,
    org: &OrgContext,
    requester: &Requester,
    plan: RowPlan,
    target: &GuardianRow,
    families_seen: &mut HashMap<String, FamilyRow>,
    only_if: Option<Guard<'_>>,
) -> ApiResult<bool> {
    if !families_seen.contains_key(&target.family_id) {
        let family = families::find_family(&app.db, &org.id, &target.family_id)
            .await?
            .ok_or_else(|| ApiError::internal("a contact's family is missing"))?;
        families_seen.insert(target.family_id.clone(), family);
    }
    let family = &families_seen[&target.family_id];
    match plan {
        RowPlan::Revoke => access::revoke_only_if(app, org, requester, target, family, Some("Bulk import".into()), only_if).await,
        RowPlan::Invite => {
            access::send_invitation_only_if(app, org, requester, target, family, None, false, only_if).await.map(|()| true)
        }
        RowPlan::Unchanged => Ok(true),
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

/// E-mails the summary of a finished job to the staff member who uploaded it (or applied it).
pub async fn send_summary(app: &App, row: &OutboxRow) -> Result<(), mail::MailError> {
    let permanent = |m: String| mail::MailError::Permanent(m);
    let transient = |e: ApiError| mail::MailError::Transient(e.message.clone());
    let task: SummaryJob = serde_json::from_str(&row.payload).map_err(|e| permanent(format!("bad payload: {e}")))?;
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
