//! Each student's current QR code: its nonce (from which the code is derived) and the code's hash,
//! never the code (see `portal_core::qr_code`).

use super::{int, rows, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::ids::{FamilyId, StudentId};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

#[derive(Debug, Deserialize)]
pub struct Nonce {
    pub nonce: String,
}

/// Who a scanned code belongs to.
#[derive(Debug, Deserialize)]
pub struct CodeOwner {
    pub student_id: StudentId,
    pub first_name: String,
    pub last_name: String,
    pub family_id: FamilyId,
    pub family_name: String,
}

const NONCE: &str = "SELECT nonce FROM student_qr_codes WHERE student_id = ?1";

pub async fn nonce(db: &Db, student_id: &StudentId) -> ApiResult<Option<Nonce>> {
    db.first(NONCE, &[text(student_id)]).await
}

/// A student's first code, in one batch: inserted unless a concurrent first view inserted one a
/// moment ago (then that one stays), and read back, so both views show the same code.
pub async fn first_nonce(db: &Db, org_id: &str, student_id: &StudentId, nonce: &str, code_hash: &str, now: Timestamp) -> ApiResult<Option<Nonce>> {
    let results = db
        .batch(vec![
            db.stmt(
                "INSERT INTO student_qr_codes (student_id, org_id, nonce, code_hash, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM students WHERE id = ?1 AND org_id = ?2) \
                 ON CONFLICT (student_id) DO NOTHING",
                &[text(student_id), text(org_id), text(nonce), text(code_hash), int(now.millis())],
            )?,
            db.stmt(NONCE, &[text(student_id)])?,
        ])
        .await?;
    Ok(match results.get(1) {
        Some(r) => rows(r)?.into_iter().next(),
        None => None,
    })
}

/// A new code for a student of the organization: a new nonce replaces the old (or is the first).
pub fn rotate(db: &Db, org_id: &str, student_id: &StudentId, nonce: &str, code_hash: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO student_qr_codes (student_id, org_id, nonce, code_hash, created_at, rotated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM students WHERE id = ?1 AND org_id = ?2) \
         ON CONFLICT (student_id) DO UPDATE SET nonce = excluded.nonce, code_hash = excluded.code_hash, rotated_at = excluded.rotated_at",
        &[text(student_id), text(org_id), text(nonce), text(code_hash), int(now.millis())],
    )
}

/// True while the student's code is the one with this nonce: the rotation's audit row is written
/// only with its own rotation.
pub fn rotated_to<'a>(student_id: &'a StudentId, nonce: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM student_qr_codes WHERE student_id = ? AND nonce = ?)",
        args: vec![text(student_id), text(nonce)],
    }
}

/// The student (and family) whose current code has this hash, in this organization.
pub async fn owner(db: &Db, org_id: &str, code_hash: &str) -> ApiResult<Option<CodeOwner>> {
    db.first(
        "SELECT s.id AS student_id, s.first_name, s.last_name, f.id AS family_id, f.name AS family_name \
         FROM student_qr_codes q JOIN students s ON s.id = q.student_id JOIN families f ON f.id = s.family_id \
         WHERE q.code_hash = ?1 AND q.org_id = ?2 AND s.org_id = ?2",
        &[text(code_hash), text(org_id)],
    )
    .await
}
