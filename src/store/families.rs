//! Families and their guardians.

use super::{bool_from_int, flag, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::access::{AccessState, AccessStatus, GuardianFacts, Permissions};
use portal_core::family::{Contact, FamilyStatus};
use portal_core::operations::OperationError;
use portal_core::time::Timestamp;
use std::collections::HashMap;
use worker::D1PreparedStatement;

/// A family staff may still change: 404 if unknown in this organization, 409 if it was merged
/// into another. (Here, below the commands, so that every command that changes a family can ask.)
pub async fn find_active_family(db: &Db, org_id: &str, family_id: &str) -> ApiResult<FamilyRow> {
    let family = find_family(db, org_id, family_id).await?.ok_or(OperationError::FamilyNotFound)?;
    if family.status == FamilyStatus::Merged {
        return Err(OperationError::FamilyMerged(family.name).into());
    }
    Ok(family)
}

#[derive(Debug, Clone, Deserialize)]
pub struct FamilyRow {
    pub id: String,
    pub name: String,
    pub primary_guardian_id: String,
    pub status: FamilyStatus,
    pub merged_into_id: Option<String>,
}

/// A guardian with what the access indicator needs: whether they are primary, and their live
/// invitation (at most one), if any.
#[derive(Debug, Clone, Deserialize)]
pub struct GuardianRow {
    pub id: String,
    pub family_id: String,
    /// The login this membership is linked to, from the acceptance of its invitation on.
    pub person_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub access_state: AccessState,
    pub accepted_at: Option<i64>,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_make_payments: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_view_full_ledger: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_manage_enrollments: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub is_primary: bool,
    pub invitation_expires_at: Option<i64>,
    pub invitation_sent_at: Option<i64>,
    /// The day the guardian's access ends (YYYY-MM-DD), if the primary set one.
    pub access_ends_on: Option<String>,
}

impl GuardianRow {
    pub fn state(&self) -> AccessState {
        self.access_state
    }
    pub fn status(&self, now: Timestamp) -> AccessStatus {
        AccessStatus::of(self.state(), self.invitation_expires_at.map(Timestamp), now)
    }
    pub fn facts(&self) -> GuardianFacts {
        GuardianFacts {
            id: self.id.clone(),
            family_id: self.family_id.clone(),
            is_primary: self.is_primary,
            state: self.state(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    /// What the primary granted (the primary's own flags mean nothing: they may do everything).
    pub fn granted(&self) -> Permissions {
        Permissions {
            can_make_payments: self.can_make_payments,
            can_manage_enrollments: self.can_manage_enrollments,
            can_view_full_ledger: self.can_view_full_ledger,
        }
    }
}

/// A guardian with primary flag and live invitation: the start of every guardian query.
macro_rules! guardian_select {
    () => {
        "SELECT g.id, g.family_id, g.person_id, g.first_name, g.last_name, g.email, g.phone, \
         g.access_state, g.accepted_at, g.can_make_payments, g.can_view_full_ledger, g.can_manage_enrollments, \
         g.access_ends_on, (f.primary_guardian_id = g.id) AS is_primary, \
         i.expires_at AS invitation_expires_at, i.created_at AS invitation_sent_at \
         FROM guardians g JOIN families f ON f.id = g.family_id \
         LEFT JOIN invitations i ON i.guardian_id = g.id AND i.state = 'pending'"
    };
}

pub const FIND_GUARDIAN: &str = concat!(guardian_select!(), " WHERE g.id = ?1 AND g.org_id = ?2");
pub const FAMILY_GUARDIANS: &str =
    concat!(guardian_select!(), " WHERE g.family_id = ?1 ORDER BY is_primary DESC, g.created_at, g.id");
pub const GUARDIAN_WHO_CAN_LOG_IN: &str =
    concat!(guardian_select!(), " WHERE g.org_id = ?1 AND g.email = ?2 AND g.access_state = 'can_log_in'");
pub const FIND_FAMILY: &str =
    "SELECT id, name, primary_guardian_id, status, merged_into_id FROM families WHERE id = ?1 AND org_id = ?2";
/// The family of guardian ?1, read beside the guardian in one batch.
pub const FAMILY_OF_GUARDIAN: &str = "SELECT id, name, primary_guardian_id, status, merged_into_id FROM families \
     WHERE id = (SELECT family_id FROM guardians WHERE id = ?1 AND org_id = ?2) AND org_id = ?2";
pub const EMAIL_IN_FAMILY: &str = "SELECT id FROM guardians WHERE family_id = ?1 AND email = ?2";
pub const IS_MEMBER: &str = "SELECT id FROM guardians WHERE person_id = ?1 AND family_id = ?2";
pub const EMAIL_OF_PERSON: &str = "SELECT id FROM people WHERE org_id = ?1 AND email = ?2";

/// A guardian of this organization; another organization's id is simply not found.
pub async fn find_guardian(db: &Db, org_id: &str, guardian_id: &str) -> ApiResult<Option<GuardianRow>> {
    db.first(FIND_GUARDIAN, &[text(guardian_id), text(org_id)]).await
}

/// A guardian of the organization and their family, in one round trip to D1.
pub async fn find_guardian_and_family(db: &Db, org_id: &str, guardian_id: &str) -> ApiResult<(Option<GuardianRow>, Option<FamilyRow>)> {
    let args = [text(guardian_id), text(org_id)];
    let (guardians, families) = db.all_two((FIND_GUARDIAN, &args), (FAMILY_OF_GUARDIAN, &args)).await?;
    Ok((guardians.into_iter().next(), families.into_iter().next()))
}

/// How many ids one `guardians_by_ids` call takes: D1 binds at most 100 values per statement.
pub const IDS_PER_QUERY: usize = 90;

/// An organization's guardians with these ids (ids of other organizations are simply not found).
pub async fn guardians_by_ids(db: &Db, org_id: &str, ids: &[&str]) -> ApiResult<Vec<GuardianRow>> {
    let placeholders = vec!["?"; ids.len()].join(", ");
    let mut args = vec![text(org_id)];
    args.extend(ids.iter().map(|id| text(id)));
    db.all(&format!(concat!(guardian_select!(), " WHERE g.org_id = ? AND g.id IN ({})"), placeholders), &args).await
}

/// The guardians of these families by family, each in the order `family_guardians` gives: one
/// query per `IDS_PER_QUERY` families, not one per family.
pub async fn guardians_by_family(db: &Db, family_ids: &[&str]) -> ApiResult<HashMap<String, Vec<GuardianRow>>> {
    let mut by_family: HashMap<String, Vec<GuardianRow>> = HashMap::new();
    for part in family_ids.chunks(IDS_PER_QUERY) {
        for g in guardians_of_families(db, part).await? {
            by_family.entry(g.family_id.clone()).or_default().push(g);
        }
    }
    Ok(by_family)
}

/// The guardians of at most `IDS_PER_QUERY` families, ordered by family.
async fn guardians_of_families(db: &Db, family_ids: &[&str]) -> ApiResult<Vec<GuardianRow>> {
    let placeholders = vec!["?"; family_ids.len()].join(", ");
    let args: Vec<_> = family_ids.iter().map(|id| text(id)).collect();
    db.all(
        &format!(
            concat!(guardian_select!(), " WHERE g.family_id IN ({}) ORDER BY g.family_id, is_primary DESC, g.created_at, g.id"),
            placeholders
        ),
        &args,
    )
    .await
}

/// One line of the contacts report.
#[derive(Debug, Deserialize)]
pub struct ContactReportRow {
    pub id: String,
    pub family_id: String,
    pub first_name: String,
    pub last_name: String,
    pub family_name: String,
    pub access_state: AccessState,
    pub invitation_expires_at: Option<i64>,
}

macro_rules! contacts_report {
    ($family:literal) => {
        concat!(
            "SELECT g.id, g.family_id, g.person_id, g.first_name, g.last_name, f.name AS family_name, g.access_state, \
               i.expires_at AS invitation_expires_at \
             FROM guardians g JOIN families f ON f.id = g.family_id \
             LEFT JOIN invitations i ON i.guardian_id = g.id AND i.state = 'pending' \
             WHERE g.org_id = ?1",
            $family,
            " ORDER BY f.name, f.id, g.last_name, g.first_name, g.id"
        )
    };
}
pub const CONTACTS_REPORT: &str = contacts_report!("");
// "Contains" is `instr` on lower-cased text (ASCII case folding, as LIKE's): D1 refuses LIKE
// patterns over 50 bytes, and `instr` has no such limit and no wildcards to escape.
pub const CONTACTS_REPORT_BY_FAMILY_NAME: &str = contacts_report!(" AND instr(lower(f.name), lower(?2)) > 0");

/// Every contact of the organization (or of the families whose name contains `family_name`).
pub async fn contacts_report(db: &Db, org_id: &str, family_name: Option<&str>) -> ApiResult<Vec<ContactReportRow>> {
    match family_name {
        Some(name) => {
            db.all(CONTACTS_REPORT_BY_FAMILY_NAME, &[text(org_id), text(name)]).await
        }
        None => db.all(CONTACTS_REPORT, &[text(org_id)]).await,
    }
}

pub async fn family_guardians(db: &Db, family_id: &str) -> ApiResult<Vec<GuardianRow>> {
    db.all(FAMILY_GUARDIANS, &[text(family_id)]).await
}

/// The family's guardians and the families the person may enter, in one round trip to D1: what
/// the account answer shows.
pub async fn family_guardians_and_families_of(
    db: &Db,
    family_id: &str,
    person_id: &str,
) -> ApiResult<(Vec<GuardianRow>, Vec<crate::store::sessions::EnterableFamily>)> {
    db.all_two((FAMILY_GUARDIANS, &[text(family_id)]), (crate::store::sessions::FAMILIES_OF_PERSON, &[text(person_id)])).await
}

pub async fn find_family(db: &Db, org_id: &str, family_id: &str) -> ApiResult<Option<FamilyRow>> {
    db.first(FIND_FAMILY, &[text(family_id), text(org_id)]).await
}

/// Families whose name, or a guardian's name or e-mail, contains `q` (all families when empty).
pub async fn search(db: &Db, org_id: &str, q: &str, limit: i64, offset: i64) -> ApiResult<Vec<FamilyRow>> {
    db.all(
        "SELECT f.id, f.name, f.primary_guardian_id, f.status, f.merged_into_id FROM families f \
         WHERE f.org_id = ?1 AND (?2 = '' OR instr(lower(f.name), lower(?2)) > 0 OR EXISTS (\
           SELECT 1 FROM guardians g WHERE g.family_id = f.id AND \
           (instr(lower(g.first_name || ' ' || g.last_name), lower(?2)) > 0 \
            OR instr(lower(g.email), lower(?2)) > 0))) \
         ORDER BY f.name, f.id LIMIT ?3 OFFSET ?4",
        &[text(org_id), text(q), int(limit), int(offset)],
    )
    .await
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

/// Whether another guardian of the family (other than `except_guardian`) has this address: a
/// family lists a person once.
pub async fn email_in_family(db: &Db, family_id: &str, email: &str, except_guardian: Option<&str>) -> ApiResult<bool> {
    let row: Option<IdRow> = db.first(EMAIL_IN_FAMILY, &[text(family_id), text(email)]).await?;
    Ok(row.is_some_and(|r| Some(r.id.as_str()) != except_guardian))
}

/// Whether the person is a guardian of the family, with or without access.
pub async fn is_member(db: &Db, person_id: &str, family_id: &str) -> ApiResult<bool> {
    let row: Option<IdRow> = db.first(IS_MEMBER, &[text(person_id), text(family_id)]).await?;
    Ok(row.is_some())
}

/// Whether another person of the organization (other than `except_person`) logs in with this address.
pub async fn email_of_other_person(db: &Db, org_id: &str, email: &str, except_person: &str) -> ApiResult<bool> {
    let row: Option<IdRow> = db.first(EMAIL_OF_PERSON, &[text(org_id), text(email)]).await?;
    Ok(row.is_some_and(|r| r.id != except_person))
}

pub fn insert_family(
    db: &Db,
    id: &str,
    org_id: &str,
    name: &str,
    primary_guardian_id: &str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        &[text(id), text(org_id), text(name), text(primary_guardian_id), int(now.millis())],
    )
}

pub fn insert_guardian(
    db: &Db,
    id: &str,
    org_id: &str,
    family_id: &str,
    contact: &Contact,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, phone, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        &[
            text(id),
            text(org_id),
            text(family_id),
            text(&contact.first_name),
            text(&contact.last_name),
            opt_text(contact.email.as_ref().map(|e| e.as_str())),
            opt_text(contact.phone.as_deref()),
            int(now.millis()),
        ],
    )
}

/// Contact fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ContactChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

/// Whose contact details change: one membership (the family's own record, before acceptance), or a
/// person's (their own record and its mirror on every membership linked to them).
pub enum ContactOwner<'a> {
    Guardian(&'a str),
    Person(&'a str),
}

const CONTACT_SET: &str = "SET first_name = COALESCE(?2, first_name), last_name = COALESCE(?3, last_name), \
       email = CASE WHEN ?4 THEN ?5 ELSE email END, phone = CASE WHEN ?6 THEN ?7 ELSE phone END, updated_at = ?8";

pub fn update_contact(db: &Db, owner: ContactOwner<'_>, change: &ContactChange, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    let args = |id| contact_args(id, change, now);
    Ok(match owner {
        ContactOwner::Guardian(id) => vec![db.stmt(&format!("UPDATE guardians {CONTACT_SET} WHERE id = ?1"), &args(id))?],
        ContactOwner::Person(id) => vec![
            db.stmt(&format!("UPDATE people {CONTACT_SET} WHERE id = ?1"), &args(id))?,
            db.stmt(&format!("UPDATE guardians {CONTACT_SET} WHERE person_id = ?1"), &args(id))?,
        ],
    })
}

/// Staff change a membership's own details, its e-mail included, only while no login is linked to
/// it and it cannot log in: an invitation accepted meanwhile makes the address a login's, and then
/// this changes nothing. Carries the change id.
pub fn update_unlinked_contact<'a>(
    db: &Db,
    guardian_id: &'a str,
    change: &'a ContactChange,
    change_id: &'a str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    let mut args = contact_args(guardian_id, change, now);
    args.push(text(change_id));
    db.stmt(
        &format!("UPDATE guardians {CONTACT_SET}, last_change_id = ?9 WHERE id = ?1 AND person_id IS NULL AND access_state != 'can_log_in'"),
        &args,
    )
}

pub const RENAME_FAMILY: &str =
    "UPDATE families SET name = ?3, last_change_id = ?4, updated_at = ?5 WHERE id = ?1 AND org_id = ?2 AND status = 'active'";

/// A family's new name, only while it is active (a merge that won meanwhile keeps it as it was).
/// Carries the change id.
pub fn rename_family(db: &Db, org_id: &str, family_id: &str, name: &str, change_id: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(RENAME_FAMILY, &[text(family_id), text(org_id), text(name), text(change_id), int(now.millis())])
}

fn contact_args<'a>(id: &'a str, change: &'a ContactChange, now: Timestamp) -> Vec<super::Arg<'a>> {
    vec![
        text(id),
        opt_text(change.first_name.as_deref()),
        opt_text(change.last_name.as_deref()),
        flag(change.email.is_some()),
        opt_text(change.email.as_ref().and_then(|e| e.as_deref())),
        flag(change.phone.is_some()),
        opt_text(change.phone.as_ref().and_then(|p| p.as_deref())),
        int(now.millis()),
    ]
}

pub fn set_permissions(
    db: &Db,
    guardian_id: &str,
    can_make_payments: bool,
    can_view_full_ledger: bool,
    can_manage_enrollments: Option<bool>,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE guardians SET can_make_payments = ?2, can_view_full_ledger = ?3, \
           can_manage_enrollments = COALESCE(?5, can_manage_enrollments), updated_at = ?4 WHERE id = ?1",
        &[
            text(guardian_id),
            flag(can_make_payments),
            flag(can_view_full_ledger),
            int(now.millis()),
            can_manage_enrollments.map_or(super::Arg::Null, flag),
        ],
    )
}

/// A guardian's name and address (the primary's, for the e-mails that name them).
#[derive(Deserialize)]
pub struct ContactRow {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
}

pub async fn contact_of(db: &Db, guardian_id: &str) -> ApiResult<Option<ContactRow>> {
    db.first("SELECT first_name, last_name, email FROM guardians WHERE id = ?1", &[text(guardian_id)]).await
}

/// A person's password hash at a new cost (the password itself is unchanged: no session ends).
/// The stored hash made again at today's cost, unless the password changed since it was checked.
pub fn rehash_password(db: &Db, person_id: &str, checked: &str, hash: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt("UPDATE people SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2", &[text(person_id), text(checked), text(hash)])
}

/// A new session's guard: the person's password is still the one that was checked.
pub fn password_unchanged<'a>(person_id: &'a str, checked: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM people WHERE id = ? AND password_hash = ?)", args: vec![text(person_id), text(checked)] }
}
