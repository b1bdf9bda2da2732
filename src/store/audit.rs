use super::{guarded, int, opt_text, text, Db, Guard};
use crate::adapters::crypto::new_id;
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::audit::AuditEntry;
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

pub fn insert<'a>(
    db: &Db,
    org_id: &'a str,
    entry: &'a AuditEntry,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let id = new_id("aud")?;
    let (tail, args) = guarded(
        vec![
            text(&id),
            text(org_id),
            int(now.millis()),
            text(entry.actor.kind.as_str()),
            opt_text(entry.actor.id.as_deref()),
            text(&entry.actor.label),
            text(&entry.action),
            text(&entry.target_kind),
            text(&entry.target_id),
            opt_text(entry.target_label.as_deref()),
            opt_text(entry.family_id.as_deref()),
            opt_text(entry.reason.as_deref()),
        ],
        guard,
    );
    db.stmt(
        &format!(
            "INSERT INTO audit_log (id, org_id, at, actor_kind, actor_id, actor_label, action, \
             target_kind, target_id, target_label, family_id, reason) {tail}"
        ),
        &args,
    )
}

macro_rules! history {
    ($where:literal) => {
        concat!(
            "SELECT at, actor_kind, actor_label, action, target_kind, target_id, target_label, reason, family_id \
             FROM audit_log WHERE ",
            $where,
            " ORDER BY at DESC, rowid DESC LIMIT 500"
        )
    };
}
pub const FAMILY_HISTORY: &str = history!("org_id = ?1 AND family_id = ?2");
pub const GUARDIAN_HISTORY: &str = history!("org_id = ?1 AND target_id = ?2");
pub const ORG_HISTORY: &str = history!("org_id = ?1");

/// One access change as the log keeps it.
#[derive(Debug, Deserialize)]
pub struct HistoryRow {
    pub at: i64,
    pub actor_kind: String,
    pub actor_label: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_label: Option<String>,
    pub reason: Option<String>,
    pub family_id: Option<String>,
}

/// The access history, newest first, of a family and/or a guardian (both optional for staff).
pub async fn history(
    db: &Db,
    org_id: &str,
    family_id: Option<&str>,
    guardian_id: Option<&str>,
) -> ApiResult<Vec<HistoryRow>> {
    // One query per filter, so that each can use its own index.
    let rows: Vec<HistoryRow> = match (family_id, guardian_id) {
        (Some(f), None) => db.all(FAMILY_HISTORY, &[text(org_id), text(f)]).await?,
        (_, Some(g)) => {
            let rows: Vec<HistoryRow> = db.all(GUARDIAN_HISTORY, &[text(org_id), text(g)]).await?;
            rows.into_iter().filter(|r| family_id.is_none_or(|f| r.family_id.as_deref() == Some(f))).collect()
        }
        (None, None) => db.all(ORG_HISTORY, &[text(org_id)]).await?,
    };
    Ok(rows)
}
