//! Makeup tokens. Redeeming one is a batch of three: the makeup visit, inserted only while a place
//! is left that day, the token unused and unexpired and the customer's session live; then the token,
//! marked with that visit only if the visit was inserted; then its audit row. D1 runs one batch at a
//! time, so two clicks on one token, or two families racing for the last place, cannot both win.

use super::sessions::live_customer_session;
use super::{int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::ids::{EnrollmentId, FamilyId, MakeupTokenId, StudentId};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

#[derive(Debug, Clone, Deserialize)]
pub struct TokenRow {
    pub id: MakeupTokenId,
    pub student_id: StudentId,
    pub location_id: String,
    pub location_name: String,
    pub issued_at: i64,
    pub expires_on: String,
    pub reason: Option<String>,
    pub enrollment_id: Option<EnrollmentId>,
    pub visit_date: Option<String>,
    /// The class of the visit it paid for.
    pub visit_class: Option<String>,
}

macro_rules! token_select {
    () => {
        "SELECT t.id, t.student_id, t.location_id, l.name AS location_name, t.issued_at, t.expires_on, \
           t.reason, t.enrollment_id, t.visit_date, c.name AS visit_class \
         FROM makeup_tokens t JOIN locations l ON l.id = t.location_id \
         LEFT JOIN enrollments e ON e.id = t.enrollment_id LEFT JOIN classes c ON c.id = e.class_id"
    };
}

pub const FAMILY_TOKENS: &str = concat!(token_select!(), " WHERE t.family_id = ?1 ORDER BY t.expires_on, t.issued_at, t.id");
/// `?3`: only within this family (NULL: any of the organization's).
pub const FIND_TOKEN: &str = concat!(token_select!(), " WHERE t.id = ?1 AND t.org_id = ?2 AND (?3 IS NULL OR t.family_id = ?3)");

pub async fn family_tokens(db: &Db, family_id: &FamilyId) -> ApiResult<Vec<TokenRow>> {
    db.all(FAMILY_TOKENS, &[text(family_id)]).await
}

/// A token of this organization (and of `family`, if given); any other is not found.
pub async fn find_token(db: &Db, org_id: &str, id: &MakeupTokenId, family: Option<&FamilyId>) -> ApiResult<Option<TokenRow>> {
    db.first(FIND_TOKEN, &[text(id), text(org_id), opt_text(family.map(|f| &f[..]))]).await
}

/// A token issued.
pub struct NewToken<'a> {
    pub id: &'a MakeupTokenId,
    pub org_id: &'a str,
    pub family_id: &'a FamilyId,
    pub student_id: &'a StudentId,
    pub location_id: &'a str,
    pub expires_on: &'a str,
    pub reason: Option<&'a str>,
    pub issued_by: &'a str,
}

pub fn insert_token(db: &Db, t: &NewToken<'_>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO makeup_tokens (id, org_id, family_id, student_id, location_id, issued_at, expires_on, reason, issued_by_label) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            text(t.id),
            text(t.org_id),
            text(t.family_id),
            text(t.student_id),
            text(t.location_id),
            int(now.millis()),
            text(t.expires_on),
            opt_text(t.reason),
            text(t.issued_by),
        ],
    )
}

/// The token is unused and usable on the visit's date, and the customer's session is live (which
/// also reads the portal switch). Binds: token, date, session, now ×4.
const UNUSED_WHILE_LIVE: &str = concat!(
    "EXISTS (SELECT 1 FROM makeup_tokens WHERE id = ? AND enrollment_id IS NULL AND expires_on >= ?) AND ",
    live_customer_session!("?", "?")
);

/// What pays for a makeup visit: put on the visit's insert (`one_day::insert_visit`).
pub fn unused_while_live<'a>(id: &'a MakeupTokenId, date: &'a str, session_id: &'a str, now: Timestamp) -> Guard<'a> {
    let now = || int(now.millis());
    Guard { sql: UNUSED_WHILE_LIVE, args: vec![text(id), text(date), text(session_id), now(), now(), now(), now()] }
}

/// Marks the token as paying for `visit`, only if that visit was inserted by this batch and the
/// token is still unused.
pub fn spend<'a>(db: &Db, id: &'a MakeupTokenId, visit: &'a EnrollmentId, date: &'a str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE makeup_tokens SET enrollment_id = ?1, visit_date = ?2 \
         WHERE id = ?3 AND enrollment_id IS NULL AND EXISTS (SELECT 1 FROM enrollments WHERE id = ?1)",
        &[text(visit), text(date), text(id)],
    )
}
