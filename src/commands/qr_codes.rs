//! QR Codes (if enabled): a student's code, shown to the family as an SVG symbol of the URL staff
//! open by scanning it (`{base}/office/{org}/qr/{code}`), resolved and rotated by staff. The code is
//! derived, never stored (see `portal_core::qr_code`).

use crate::adapters::crypto::random_bytes;
use crate::app::App;
use crate::commands::enrollments::{find_student, Family};
use crate::context::OrgContext;
use crate::error::ApiResult;
use crate::store::{audit, qr_codes as store, won};
use base64ct::{Base64UrlUnpadded as B64URL, Encoding};
use portal_core::audit::{Actor, AuditEntry};
use portal_core::ids::{FamilyId, StudentId};
use portal_core::qr_code::{self, QrCodeError, NONCE_BYTES};
use portal_core::settings::PortalOptions;
use serde::Serialize;

/// Who a scanned code belongs to: `GET /office/{org}/api/qr/{code}`.
#[derive(Debug, Serialize)]
pub struct CodeOwner {
    pub student: OwnerStudent,
    pub family: OwnerFamily,
}

#[derive(Debug, Serialize)]
pub struct OwnerStudent {
    pub id: StudentId,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Serialize)]
pub struct OwnerFamily {
    pub id: FamilyId,
    pub name: String,
}

impl OwnerStudent {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

fn new_nonce() -> ApiResult<String> {
    Ok(B64URL::encode_string(&random_bytes::<NONCE_BYTES>()?))
}

/// The URL the symbol carries.
fn scan_url(app: &App, org: &OrgContext, code: &str) -> String {
    format!("{}/office/{}/qr/{}", app.config.public_base_url, org.slug, code)
}

impl Family<'_> {
    /// The student's code as an SVG symbol, for every guardian of the family who can log in. The
    /// first view makes the code.
    pub async fn student_qr_code(&self, app: &App, options: &PortalOptions, id: &StudentId) -> ApiResult<String> {
        if !options.show_qr_codes {
            return Err(QrCodeError::Disabled.into());
        }
        let student = self.student(app, id).await?;
        let key = &app.config.qr_code_key;
        let nonce = match store::nonce(&app.db, &student.id).await? {
            Some(row) => row.nonce,
            None => {
                let nonce = new_nonce()?;
                let hash = qr_code::hash(&key.code(&student.id, &nonce));
                // A concurrent first view may have won: its nonce is the one read back.
                store::first_nonce(&app.db, &self.org.id, &student.id, &nonce, &hash, app.now())
                    .await?
                    .ok_or_else(crate::commands::enrollments::student_not_found)?
                    .nonce
            }
        };
        Ok(qr_code::svg(&scan_url(app, self.org, &key.code(&student.id, &nonce)))?)
    }
}

/// The student whose current code this is; an unknown, rotated or other organization's code is
/// not found (a string that cannot be a code is not even looked up).
pub async fn resolve(app: &App, org: &OrgContext, code: &str) -> ApiResult<CodeOwner> {
    if !qr_code::looks_valid(code) {
        return Err(QrCodeError::NotFound.into());
    }
    let row = store::owner(&app.db, &org.id, &qr_code::hash(code)).await?.ok_or(QrCodeError::NotFound)?;
    Ok(CodeOwner {
        student: OwnerStudent { id: row.student_id, first_name: row.first_name, last_name: row.last_name },
        family: OwnerFamily { id: row.family_id, name: row.family_name },
    })
}

/// Staff give a student a new code: the old one resolves to nothing from this moment (a lost or
/// shared card). One batch: the new nonce, and its audit row only with it.
pub async fn rotate(app: &App, org: &OrgContext, staff: Actor, student_id: &StudentId) -> ApiResult<CodeOwner> {
    let student = find_student(app, &org.id, student_id).await?;
    let nonce = new_nonce()?;
    let code = app.config.qr_code_key.code(&student.id, &nonce);
    let rotated = AuditEntry {
        actor: staff,
        action: "qr_code_rotated".into(),
        target_kind: "student".into(),
        target_id: student.id.to_string(),
        target_label: Some(student.full_name()),
        family_id: Some(student.family_id.to_string()),
        reason: None,
    };
    let results = app
        .db
        .batch(vec![
            store::rotate(&app.db, &org.id, &student.id, &nonce, &qr_code::hash(&code), app.now())?,
            audit::insert(&app.db, &org.id, &rotated, app.now(), Some(store::rotated_to(&student.id, &nonce)))?,
        ])
        .await?;
    if !won(&results, 0)? {
        return Err(crate::commands::enrollments::student_not_found());
    }
    resolve(app, org, &code).await
}
