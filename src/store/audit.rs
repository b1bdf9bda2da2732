use super::{guarded, int, opt_text, text, Db, Guard};
use crate::crypto::new_id;
use crate::error::ApiResult;
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
            opt_text(entry.family_id.as_deref()),
            opt_text(entry.reason.as_deref()),
        ],
        guard,
    );
    db.stmt(
        &format!(
            "INSERT INTO audit_log (id, org_id, at, actor_kind, actor_id, actor_label, action, \
             target_kind, target_id, family_id, reason) {tail}"
        ),
        &args,
    )
}
