//! A family's contact points (addresses, e-mails, phones). Each write is guarded: the family still
//! active, the owner still in the family in the access state the rule saw (so an edit racing the
//! owner's acceptance changes nothing), and for a customer their session still live.

use super::{flag, int, opt_text, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::contact::{Address, PhoneKind};
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// Which list a contact point is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Addresses,
    Emails,
    Phones,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Addresses => "contact_addresses",
            Table::Emails => "contact_emails",
            Table::Phones => "contact_phones",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OwnerRow {
    pub id: String,
    pub name: String,
    pub access_state: String,
}

pub const FAMILY_OWNERS: &str = "SELECT id, first_name || ' ' || last_name AS name, access_state FROM guardians \
     WHERE family_id = ?1 ORDER BY (SELECT primary_guardian_id FROM families WHERE id = ?1) = id DESC, created_at, id";

#[derive(Debug, Clone, Deserialize)]
pub struct AddressRow {
    pub id: String,
    pub guardian_id: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailRow {
    pub id: String,
    pub guardian_id: Option<String>,
    pub email: String,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub is_login: bool,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub subscribed: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneRow {
    pub id: String,
    pub guardian_id: Option<String>,
    pub number: String,
    pub kind: PhoneKind,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub sms_subscribed: bool,
}

pub const FAMILY_ADDRESSES: &str = "SELECT id, guardian_id, line1, line2, city, region, postal_code, country \
     FROM contact_addresses WHERE family_id = ?1 ORDER BY created_at, id";
pub const FAMILY_EMAILS: &str = "SELECT id, guardian_id, email, is_login, subscribed \
     FROM contact_emails WHERE family_id = ?1 ORDER BY is_login DESC, created_at, id";
pub const FAMILY_PHONES: &str = "SELECT id, guardian_id, number, kind, sms_subscribed \
     FROM contact_phones WHERE family_id = ?1 ORDER BY is_guardian_phone DESC, created_at, id";

/// Everything Account Information lists for a family.
pub struct FamilyContactPoints {
    pub owners: Vec<OwnerRow>,
    pub addresses: Vec<AddressRow>,
    pub emails: Vec<EmailRow>,
    pub phones: Vec<PhoneRow>,
}

pub async fn family(db: &Db, family_id: &str) -> ApiResult<FamilyContactPoints> {
    let args = [text(family_id)];
    let (owners, addresses) = db.all_two((FAMILY_OWNERS, &args), (FAMILY_ADDRESSES, &args)).await?;
    let (emails, phones) = db.all_two((FAMILY_EMAILS, &args), (FAMILY_PHONES, &args)).await?;
    Ok(FamilyContactPoints { owners, addresses, emails, phones })
}

pub async fn find_address(db: &Db, family_id: &str, id: &str) -> ApiResult<Option<AddressRow>> {
    db.first(
        "SELECT id, guardian_id, line1, line2, city, region, postal_code, country FROM contact_addresses WHERE id = ?1 AND family_id = ?2",
        &[text(id), text(family_id)],
    )
    .await
}

pub async fn find_email(db: &Db, family_id: &str, id: &str) -> ApiResult<Option<EmailRow>> {
    db.first("SELECT id, guardian_id, email, is_login, subscribed FROM contact_emails WHERE id = ?1 AND family_id = ?2", &[text(id), text(family_id)])
        .await
}

pub async fn find_phone(db: &Db, family_id: &str, id: &str) -> ApiResult<Option<PhoneRow>> {
    db.first("SELECT id, guardian_id, number, kind, sms_subscribed FROM contact_phones WHERE id = ?1 AND family_id = ?2", &[text(id), text(family_id)])
        .await
}

/// The owner a write was decided for: still in the family, in the access state the rule saw.
/// `None`: Unassigned (the family still active is all that is needed).
#[derive(Debug, Clone)]
pub struct OwnerSeen<'a> {
    pub guardian_id: &'a str,
    pub access_state: &'a str,
}

/// The SQL condition (with its values) that the family is active and each owner is as seen.
fn still_as_seen<'a>(family_id: &'a str, owners: &[Option<OwnerSeen<'a>>], session: Option<Guard<'a>>) -> (String, Vec<Arg<'a>>) {
    let mut sql = String::from("EXISTS (SELECT 1 FROM families WHERE id = ? AND status = 'active')");
    let mut args = vec![text(family_id)];
    for o in owners.iter().flatten() {
        sql.push_str(" AND EXISTS (SELECT 1 FROM guardians WHERE id = ? AND family_id = ? AND access_state = ?)");
        args.extend([text(o.guardian_id), text(family_id), text(o.access_state)]);
    }
    if let Some(g) = session {
        sql.push_str(" AND ");
        sql.push_str(g.sql);
        args.extend(g.args);
    }
    (sql, args)
}

pub struct NewPoint<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub owner: Option<OwnerSeen<'a>>,
}

/// What a new or edited contact point holds.
pub enum Values<'a> {
    Address(&'a Address),
    Email { email: &'a str, subscribed: bool },
    Phone { number: &'a str, kind: PhoneKind, sms_subscribed: bool },
}

impl Values<'_> {
    fn table(&self) -> Table {
        match self {
            Values::Address(_) => Table::Addresses,
            Values::Email { .. } => Table::Emails,
            Values::Phone { .. } => Table::Phones,
        }
    }

    fn columns(&self) -> (&'static [&'static str], Vec<Arg<'_>>) {
        match self {
            Values::Address(a) => (
                &["line1", "line2", "city", "region", "postal_code", "country"],
                vec![text(&a.line1), opt_text(a.line2.as_deref()), text(&a.city), opt_text(a.region.as_deref()), text(&a.postal_code), text(&a.country)],
            ),
            Values::Email { email, subscribed } => (&["email", "subscribed"], vec![text(email), flag(*subscribed)]),
            Values::Phone { number, kind, sms_subscribed } => (&["number", "kind", "sms_subscribed"], vec![text(number), text(kind.as_str()), flag(*sms_subscribed)]),
        }
    }
}

/// Inserts a contact point if its family and owner are still as the rule saw them.
pub fn insert<'a>(db: &Db, p: &NewPoint<'a>, values: &'a Values<'a>, now: Timestamp, session: Option<Guard<'a>>) -> ApiResult<D1PreparedStatement> {
    let (columns, mut args) = values.columns();
    let mut all = vec![text(p.id), text(p.org_id), text(p.family_id), opt_text(p.owner.as_ref().map(|o| o.guardian_id)), int(now.millis()), int(now.millis())];
    all.append(&mut args);
    let placeholders = vec!["?"; all.len()].join(", ");
    let (condition, guard_args) = still_as_seen(p.family_id, std::slice::from_ref(&p.owner), session);
    all.extend(guard_args);
    db.stmt(
        &format!(
            "INSERT INTO {} (id, org_id, family_id, guardian_id, created_at, updated_at, {}) SELECT {placeholders} WHERE {condition}",
            values.table().name(),
            columns.join(", ")
        ),
        &all,
    )
}

/// Replaces a contact point's values and owner, if it still has the owner the rule saw and the
/// new owner is as seen too.
pub fn update<'a>(
    db: &Db,
    id: &'a str,
    family_id: &'a str,
    from: Option<OwnerSeen<'a>>,
    to: Option<OwnerSeen<'a>>,
    values: &'a Values<'a>,
    now: Timestamp,
    session: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let (columns, mut args) = values.columns();
    let sets: Vec<String> = columns.iter().map(|c| format!("{c} = ?")).collect();
    let mut all = vec![opt_text(to.as_ref().map(|o| o.guardian_id)), int(now.millis())];
    all.append(&mut args);
    all.extend([text(id), text(family_id), opt_text(from.as_ref().map(|o| o.guardian_id))]);
    let (condition, guard_args) = still_as_seen(family_id, &[from, to], session);
    all.extend(guard_args);
    db.stmt(
        &format!(
            "UPDATE {} SET guardian_id = ?, updated_at = ?, {} WHERE id = ? AND family_id = ? AND guardian_id IS ? AND {condition}",
            values.table().name(),
            sets.join(", ")
        ),
        &all,
    )
}

/// Deletes a contact point (never a login e-mail: it goes with the guardian's `email`) if it still
/// has the owner the rule saw.
pub fn delete<'a>(db: &Db, table: Table, id: &'a str, family_id: &'a str, owner: Option<OwnerSeen<'a>>, session: Option<Guard<'a>>) -> ApiResult<D1PreparedStatement> {
    let keep = if table == Table::Emails { " AND is_login = 0" } else { "" };
    let mut all = vec![text(id), text(family_id), opt_text(owner.as_ref().map(|o| o.guardian_id))];
    let (condition, guard_args) = still_as_seen(family_id, std::slice::from_ref(&owner), session);
    all.extend(guard_args);
    db.stmt(&format!("DELETE FROM {} WHERE id = ? AND family_id = ? AND guardian_id IS ?{keep} AND {condition}", table.name()), &all)
}
