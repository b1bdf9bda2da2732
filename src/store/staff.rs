use super::{int, text, Db, Guard};
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::organization::StaffRole;
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

pub async fn owner_emails(db: &Db, org_id: &str) -> ApiResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        email: String,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT email FROM staff_users WHERE org_id = ?1 AND role = 'owner' ORDER BY created_at",
            &[text(org_id)],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.email).collect())
}

pub fn insert(
    db: &Db,
    id: &str,
    org_id: &str,
    email: &str,
    password_hash: &str,
    role: StaffRole,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[text(id), text(org_id), text(email), text(password_hash), text(role.as_str()), int(now.millis())],
    )
}

pub const STAFF_SIGN_IN: &str = "SELECT o.id AS org_id, u.id AS staff_id, u.email AS staff_email, u.password_hash, u.role \
     FROM organizations o LEFT JOIN staff_users u ON u.org_id = o.id AND u.email = ?2 WHERE o.slug = ?1";

/// The organization and, if the address belongs to one of its staff users, that user.
#[derive(Deserialize)]
pub struct StaffLogin {
    pub org_id: String,
    pub staff_id: Option<String>,
    pub staff_email: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<StaffRole>,
}

pub async fn login(db: &Db, org_slug: &str, email: &str) -> ApiResult<Option<StaffLogin>> {
    db.first(STAFF_SIGN_IN, &[text(org_slug), text(email)]).await
}

/// The stored hash made again at today's cost, unless the password changed since it was checked.
pub fn rehash_password(db: &Db, staff_id: &str, checked: &str, hash: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt("UPDATE staff_users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2", &[text(staff_id), text(checked), text(hash)])
}

/// A new session's guard: the staff member's password is still the one that was checked.
pub fn password_unchanged<'a>(staff_id: &'a str, checked: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM staff_users WHERE id = ? AND password_hash = ?)", args: vec![text(staff_id), text(checked)] }
}
