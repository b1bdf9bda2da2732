use super::{int, text, Db};
use crate::error::ApiResult;
use portal_core::session::{SessionKind, StoredSession};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

pub fn insert(
    db: &Db,
    id: &str,
    org_id: &str,
    kind: SessionKind,
    subject_id: &str,
    epoch: i64,
    now: Timestamp,
    expires_at: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO sessions (id, org_id, kind, subject_id, epoch, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            text(id),
            text(org_id),
            text(kind.as_str()),
            text(subject_id),
            int(epoch),
            int(now.millis()),
            int(expires_at.millis()),
        ],
    )
}

pub async fn end(db: &Db, id: &str, reason: &str, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE id = ?1 AND ended_at IS NULL",
        &[text(id), int(now.millis()), text(reason)],
    )
    .await
}

/// A staff session with its organization and staff user: one round trip per authenticated request.
#[derive(Debug, Deserialize)]
pub struct StaffSessionRow {
    pub kind: String,
    pub org_id: String,
    pub subject_id: String,
    pub epoch: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub org_slug: String,
    pub org_name: String,
    pub portal_enabled: i64,
    pub customer_session_epoch: i64,
    pub staff_email: Option<String>,
    pub staff_role: Option<String>,
}

impl StaffSessionRow {
    pub fn stored(&self) -> StoredSession {
        StoredSession {
            kind: if self.kind == "staff" { SessionKind::Staff } else { SessionKind::Guardian },
            org_id: self.org_id.clone(),
            subject_id: self.subject_id.clone(),
            expires_at: Timestamp(self.expires_at),
            revoked: self.ended_at.is_some(),
            epoch: self.epoch,
            org_customer_session_epoch: self.customer_session_epoch,
        }
    }
}

pub async fn load_staff_session(db: &Db, session_id: &str) -> ApiResult<Option<StaffSessionRow>> {
    db.first(
        "SELECT s.kind, s.org_id, s.subject_id, s.epoch, s.expires_at, s.ended_at, \
                o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, \
                u.email AS staff_email, u.role AS staff_role \
         FROM sessions s JOIN organizations o ON o.id = s.org_id \
         LEFT JOIN staff_users u ON u.id = s.subject_id \
         WHERE s.id = ?1",
        &[text(session_id)],
    )
    .await
}
