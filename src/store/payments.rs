//! Saved payment methods, the family ledger and payments.

use super::invitations::guarded_update;
use super::{flag, int, opt_text, text, Arg, Db, Guard};
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::audit::Actor;
use portal_core::credit::LedgerSums;
use portal_core::payments::{EntryKind, HistoryWindow, MethodKind, NewMethod};
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

/// The outbox kind of the job that deletes methods at the gateway, then here.
pub const KIND_DELETE_METHODS: &str = "payment_methods_delete";

#[derive(Debug, Clone, Deserialize)]
pub struct MethodRow {
    pub id: String,
    pub guardian_id: String,
    pub kind: MethodKind,
    pub gateway_kind: String,
    pub gateway_account_id: Option<String>,
    pub gateway_ref: String,
    pub gateway_customer_ref: Option<String>,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub is_default: bool,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub recurring_authorized: bool,
    /// Selected by the family's list only.
    pub guardian_name: Option<String>,
    /// Selected by the deletion job only.
    pub deletion_error: Option<String>,
}

macro_rules! methods {
    ($extra:literal, $where:literal) => {
        concat!(
            "SELECT pm.id, pm.guardian_id, pm.kind, pm.gateway_kind, pm.gateway_account_id, pm.gateway_ref, \
             pm.gateway_customer_ref, pm.last4, pm.exp_month, pm.exp_year, pm.is_default, pm.recurring_authorized",
            $extra,
            " FROM payment_methods pm ",
            $where
        )
    };
}

/// Every method on file for a family (through its guardians, so merges carry them along).
pub const FAMILY_METHODS: &str = methods!(
    ", g.first_name || ' ' || g.last_name AS guardian_name",
    "JOIN guardians g ON g.id = pm.guardian_id WHERE g.family_id = ?1 AND pm.state = 'active' ORDER BY pm.created_at, pm.id"
);
pub const FIND_FAMILY_METHOD: &str = methods!(
    ", g.first_name || ' ' || g.last_name AS guardian_name",
    "JOIN guardians g ON g.id = pm.guardian_id WHERE pm.id = ?1 AND g.family_id = ?2 AND pm.state = 'active'"
);
pub const GUARDIAN_METHODS: &str =
    methods!("", "WHERE pm.guardian_id = ?1 AND pm.state = 'active' ORDER BY pm.created_at, pm.id");
pub const METHODS_BEING_DELETED: &str =
    methods!(", pm.deletion_error", "WHERE pm.guardian_id = ?1 AND pm.last_change_id = ?2 AND pm.state = 'deleting' ORDER BY pm.created_at");

pub async fn family_methods(db: &Db, family_id: &str) -> ApiResult<Vec<MethodRow>> {
    db.all(FAMILY_METHODS, &[text(family_id)]).await
}

pub async fn find_family_method(db: &Db, family_id: &str, id: &str) -> ApiResult<Option<MethodRow>> {
    db.first(FIND_FAMILY_METHOD, &[text(id), text(family_id)]).await
}

pub async fn guardian_methods(db: &Db, guardian_id: &str) -> ApiResult<Vec<MethodRow>> {
    db.all(GUARDIAN_METHODS, &[text(guardian_id)]).await
}

pub async fn methods_being_deleted(db: &Db, guardian_id: &str, change_id: &str) -> ApiResult<Vec<MethodRow>> {
    db.all(METHODS_BEING_DELETED, &[text(guardian_id), text(change_id)]).await
}

pub struct NewMethodRow<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub guardian_id: &'a str,
    pub gateway_kind: &'a str,
    pub gateway_account_id: Option<&'a str>,
    pub gateway_ref: &'a str,
    pub gateway_customer_ref: Option<&'a str>,
    pub method: &'a NewMethod,
}

/// Saves a vaulted method unless the guardian already has three or lost access meanwhile; a
/// default method takes the flag from the guardian's others. Changes nothing if refused, or if
/// `guard` (the customer's session still live) does not hold.
pub fn insert_method<'a>(db: &Db, row: &NewMethodRow<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<Vec<D1PreparedStatement>> {
    let m = row.method;
    let (exp_month, exp_year) = m.expiry.map_or((Arg::Null, Arg::Null), |(mo, y)| (int(mo), int(y)));
    Ok(vec![
        guarded_update(
            db,
            "INSERT INTO payment_methods (id, org_id, guardian_id, kind, gateway_kind, gateway_account_id, gateway_ref, \
               gateway_customer_ref, last4, exp_month, exp_year, is_default, recurring_authorized, created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
               CASE WHEN ?12 OR NOT EXISTS (SELECT 1 FROM payment_methods WHERE guardian_id = ?3 AND state = 'active') \
                 THEN 1 ELSE 0 END, ?13, ?14, ?14 \
             WHERE (SELECT COUNT(*) FROM payment_methods WHERE guardian_id = ?3 AND state = 'active') < ?15 \
               AND NOT EXISTS (SELECT 1 FROM payment_methods WHERE guardian_id = ?3 AND gateway_ref = ?7 AND state = 'active') \
               AND EXISTS (SELECT 1 FROM guardians WHERE id = ?3 AND access_state = 'can_log_in')",
            vec![
                text(row.id),
                text(row.org_id),
                text(row.guardian_id),
                text(m.kind.as_str()),
                text(row.gateway_kind),
                opt_text(row.gateway_account_id),
                text(row.gateway_ref),
                opt_text(row.gateway_customer_ref),
                text(&m.last4),
                exp_month,
                exp_year,
                flag(m.wants_default),
                flag(m.recurring_authorized),
                int(now.millis()),
                int(portal_core::payments::MAX_METHODS_PER_GUARDIAN),
            ],
            guard,
        )?,
        keep_one_default(db, row.guardian_id, row.id)?,
    ])
}

/// If `method_id` is its guardian's default, no other method of theirs is.
pub fn keep_one_default(db: &Db, guardian_id: &str, method_id: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE payment_methods SET is_default = 0 WHERE guardian_id = ?1 AND id != ?2 AND is_default = 1 \
         AND EXISTS (SELECT 1 FROM payment_methods WHERE id = ?2 AND state = 'active' AND is_default = 1)",
        &[text(guardian_id), text(method_id)],
    )
}

/// After a default went away, the guardian's oldest remaining method becomes the default.
pub fn promote_default(db: &Db, guardian_id: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE payment_methods SET is_default = 1 WHERE id = (SELECT id FROM payment_methods \
           WHERE guardian_id = ?1 AND state = 'active' ORDER BY created_at, id LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM payment_methods WHERE guardian_id = ?1 AND state = 'active' AND is_default = 1)",
        &[text(guardian_id)],
    )
}

/// Under `guard` (the customer's session still live): if it does not hold, the first statement
/// changes nothing.
pub fn edit_method<'a>(
    db: &Db,
    method: &'a MethodRow,
    edit: &portal_core::payments::MethodEdit,
    now: Timestamp,
    guard: Guard<'a>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let opt_flag = |b: Option<bool>| b.map_or(Arg::Null, flag);
    let (exp_month, exp_year) = edit.expiry.map_or((Arg::Null, Arg::Null), |(m, y)| (int(m), int(y)));
    Ok(vec![
        guarded_update(
            db,
            "UPDATE payment_methods SET is_default = MAX(is_default, COALESCE(?2, 0)), \
               recurring_authorized = COALESCE(?3, recurring_authorized), exp_month = COALESCE(?4, exp_month), \
               exp_year = COALESCE(?5, exp_year), updated_at = ?6 WHERE id = ?1 AND state = 'active'",
            vec![text(&method.id), opt_flag(edit.is_default), opt_flag(edit.recurring_authorized), exp_month, exp_year, int(now.millis())],
            guard,
        )?,
        keep_one_default(db, &method.guardian_id, &method.id)?,
    ])
}

/// Takes one method away from the family; the gateway deletion follows through the queue. Under
/// `guard` (the customer's session still live).
pub fn mark_deleting<'a>(
    db: &Db,
    method_id: &'a str,
    change_id: &'a str,
    reason: &'a str,
    now: Timestamp,
    guard: Guard<'a>,
) -> ApiResult<D1PreparedStatement> {
    guarded_update(
        db,
        "UPDATE payment_methods SET state = 'deleting', deletion_reason = ?3, last_change_id = ?2, is_default = 0, \
         updated_at = ?4 WHERE id = ?1 AND state = 'active'",
        vec![text(method_id), text(change_id), text(reason), int(now.millis())],
        guard,
    )
}

/// On a manual revoke: every method of the guardian goes, if the revoke's batch won.
pub fn mark_guardian_methods_deleting<'a>(
    db: &Db,
    guardian_id: &'a str,
    change_id: &'a str,
    reason: &'a str,
    now: Timestamp,
    guard: Guard<'a>,
) -> ApiResult<D1PreparedStatement> {
    guarded_update(
        db,
        "UPDATE payment_methods SET state = 'deleting', deletion_reason = ?, last_change_id = ?, is_default = 0, \
         updated_at = ? WHERE guardian_id = ? AND state = 'active'",
        vec![text(reason), text(change_id), int(now.millis()), text(guardian_id)],
        guard,
    )
}

/// For the deletion job's outbox row: written only if some method was marked by this change.
pub fn methods_marked_by<'a>(guardian_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM payment_methods WHERE guardian_id = ? AND last_change_id = ? AND state = 'deleting')",
        args: vec![text(guardian_id), text(change_id)],
    }
}

/// The gateway has forgotten the method: forget it here too.
pub fn delete_method(db: &Db, method_id: &str) -> ApiResult<D1PreparedStatement> {
    db.stmt("DELETE FROM payment_methods WHERE id = ?1 AND state = 'deleting'", &[text(method_id)])
}

pub async fn record_deletion_error(db: &Db, method_id: &str, error: &str) -> ApiResult<usize> {
    db.run(
        "UPDATE payment_methods SET deletion_error = ?2 WHERE id = ?1 AND state = 'deleting'",
        &[text(method_id), text(error)],
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct EntryRow {
    pub id: String,
    pub kind: String,
    pub amount_cents: i64,
    pub description: String,
    pub at: i64,
}

pub struct NewEntry<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub kind: EntryKind,
    pub amount_cents: i64,
    pub description: &'a str,
    pub posted_by: &'a Actor,
    pub payment_id: Option<&'a str>,
    pub location_id: Option<&'a str>,
}

/// A ledger entry; a payment's entry is written once, however often its request is retried.
pub fn insert_entry(db: &Db, e: &NewEntry<'_>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, \
           posted_by_id, posted_by_label, payment_id, location_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
         ON CONFLICT (payment_id) DO NOTHING",
        &[
            text(e.id),
            text(e.org_id),
            text(e.family_id),
            text(e.kind.as_str()),
            int(e.amount_cents),
            text(e.description),
            int(now.millis()),
            text(e.posted_by.kind.as_str()),
            opt_text(e.posted_by.id.as_deref()),
            text(&e.posted_by.label),
            opt_text(e.payment_id),
            opt_text(e.location_id),
        ],
    )
}

/// The ledger's sums per kind (`portal_core::credit::LedgerSums`) as one row's columns: the balance
/// reads them, and Apply Credit's guard works out what may be applied from them inside its insert.
macro_rules! ledger_sum_columns {
    () => {
        "COALESCE(SUM(CASE WHEN kind IN ('charge', 'refund') THEN amount_cents END), 0) AS owed, \
         COALESCE(SUM(CASE WHEN kind = 'payment' THEN amount_cents END), 0) AS paid, \
         COALESCE(SUM(CASE WHEN kind = 'credit' THEN amount_cents END), 0) AS credited, \
         COALESCE(SUM(CASE WHEN kind = 'credit_applied' THEN amount_cents END), 0) AS applied"
    };
}
#[cfg(feature = "http")]
macro_rules! ledger_sums {
    ($family:literal) => {
        concat!("SELECT ", ledger_sum_columns!(), " FROM ledger_entries WHERE family_id = ", $family)
    };
}
pub(crate) use ledger_sum_columns;
#[cfg(feature = "http")]
pub(crate) use ledger_sums;

pub const BALANCE: &str = concat!(
    "SELECT ",
    ledger_sum_columns!(),
    ", (SELECT amount_cents FROM ledger_entries WHERE family_id = ?1 AND kind = 'payment' ORDER BY at DESC LIMIT 1) \
          AS last_payment_cents, \
       (SELECT MAX(at) FROM ledger_entries WHERE family_id = ?1 AND kind = 'payment') AS last_payment_at \
     FROM ledger_entries WHERE family_id = ?1"
);

#[derive(Debug, Default, Deserialize)]
pub struct BalanceRow {
    pub owed: i64,
    pub paid: i64,
    pub credited: i64,
    pub applied: i64,
    pub last_payment_cents: Option<i64>,
    pub last_payment_at: Option<i64>,
}

impl BalanceRow {
    pub fn sums(&self) -> LedgerSums {
        LedgerSums { owed: self.owed, paid: self.paid, credited: self.credited, applied: self.applied }
    }
}

pub async fn balance(db: &Db, family_id: &str) -> ApiResult<BalanceRow> {
    let row: Option<BalanceRow> = db.first(BALANCE, &[text(family_id)]).await?;
    Ok(row.unwrap_or_default())
}

macro_rules! entries {
    ($kind:literal) => {
        concat!(
            "SELECT id, kind, amount_cents, description, at FROM ledger_entries \
             WHERE family_id = ?1 AND at >= ?2 AND at <= ?3",
            $kind,
            " ORDER BY at DESC, id DESC LIMIT ?4"
        )
    };
}
pub const ENTRIES: &str = entries!("");
pub const ENTRIES_OF_KIND: &str = entries!(" AND kind = ?5");

pub async fn entries(
    db: &Db,
    family_id: &str,
    kind: Option<EntryKind>,
    window: &HistoryWindow,
    limit: i64,
) -> ApiResult<Vec<EntryRow>> {
    let mut args = vec![text(family_id), int(window.from.millis()), int(window.to.millis()), int(limit)];
    match kind {
        Some(k) => {
            args.push(text(k.as_str()));
            db.all(ENTRIES_OF_KIND, &args).await
        }
        None => db.all(ENTRIES, &args).await,
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub payment_method_id: String,
    pub amount_cents: i64,
    pub status: String,
    pub gateway_charge_ref: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: i64,
}

pub struct NewPayment<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub guardian_id: &'a str,
    pub method_id: &'a str,
    pub amount_cents: i64,
    pub idempotency_key: &'a str,
}

/// Claims the idempotency key: 1 change if this request is the first with it, 0 if not.
pub async fn insert_pending(db: &Db, p: &NewPayment<'_>, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "INSERT INTO payments (id, org_id, family_id, guardian_id, payment_method_id, amount_cents, idempotency_key, \
           status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8) \
         ON CONFLICT (guardian_id, idempotency_key) DO NOTHING",
        &[
            text(p.id),
            text(p.org_id),
            text(p.family_id),
            text(p.guardian_id),
            text(p.method_id),
            int(p.amount_cents),
            text(p.idempotency_key),
            int(now.millis()),
        ],
    )
    .await
}

pub const FIND_PAYMENT: &str = "SELECT id, payment_method_id, amount_cents, status, gateway_charge_ref, \
     failure_message, created_at FROM payments WHERE guardian_id = ?1 AND idempotency_key = ?2";

pub async fn find_payment(db: &Db, guardian_id: &str, idempotency_key: &str) -> ApiResult<Option<PaymentRow>> {
    db.first(
        FIND_PAYMENT,
        &[text(guardian_id), text(idempotency_key)],
    )
    .await
}

/// The gateway took the money: the payment succeeds and enters the ledger, once.
pub fn succeed(db: &Db, payment_id: &str, charge_ref: &str, entry: &NewEntry<'_>, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE payments SET status = 'succeeded', gateway_charge_ref = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'",
            &[text(payment_id), text(charge_ref), int(now.millis())],
        )?,
        insert_entry(db, entry, now)?,
    ])
}

pub async fn decline(db: &Db, payment_id: &str, message: &str, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE payments SET status = 'declined', failure_message = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'",
        &[text(payment_id), text(message), int(now.millis())],
    )
    .await
}

/// A payment staff took, as its request answers.
#[derive(Debug, Clone, Deserialize)]
pub struct StaffPaymentRow {
    pub id: String,
    pub family_id: String,
    pub method: String,
    pub payment_method_id: Option<String>,
    pub reference: Option<String>,
    pub amount_cents: i64,
    pub status: String,
    pub gateway_charge_ref: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: i64,
}

pub struct NewStaffPayment<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub method: &'a str,
    pub payment_method_id: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub amount_cents: i64,
    pub idempotency_key: &'a str,
    pub taken_by: &'a Actor,
}

/// Claims the family's idempotency key for a payment in `status` (cash and checks are taken at
/// once, a saved method is pending until the gateway answers). Changes nothing if the key was
/// claimed before, or if the family was merged meanwhile.
pub fn claim_staff_payment(db: &Db, p: &NewStaffPayment<'_>, status: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO staff_payments (id, org_id, family_id, method, payment_method_id, reference, amount_cents, \
           idempotency_key, status, taken_by_id, taken_by_label, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12 \
         WHERE EXISTS (SELECT 1 FROM families WHERE id = ?3 AND status = 'active') \
         ON CONFLICT (family_id, idempotency_key) DO NOTHING",
        &[
            text(p.id),
            text(p.org_id),
            text(p.family_id),
            text(p.method),
            opt_text(p.payment_method_id),
            opt_text(p.reference),
            int(p.amount_cents),
            text(p.idempotency_key),
            text(status),
            opt_text(p.taken_by.id.as_deref()),
            text(&p.taken_by.label),
            int(now.millis()),
        ],
    )
}

/// The ledger entry of a payment taken at once: written only by the request that claimed its key.
pub fn insert_entry_of_claim(db: &Db, e: &NewEntry<'_>, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    let payment_id = e.payment_id.unwrap_or_default();
    db.stmt(
        "INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, \
           posted_by_id, posted_by_label, payment_id, location_id) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 \
         WHERE EXISTS (SELECT 1 FROM staff_payments WHERE id = ?11) \
         ON CONFLICT (payment_id) DO NOTHING",
        &[
            text(e.id),
            text(e.org_id),
            text(e.family_id),
            text(e.kind.as_str()),
            int(e.amount_cents),
            text(e.description),
            int(now.millis()),
            text(e.posted_by.kind.as_str()),
            opt_text(e.posted_by.id.as_deref()),
            text(&e.posted_by.label),
            text(payment_id),
            opt_text(e.location_id),
        ],
    )
}

pub const FIND_STAFF_PAYMENT: &str = "SELECT id, family_id, method, payment_method_id, reference, amount_cents, status, \
     gateway_charge_ref, failure_message, created_at FROM staff_payments WHERE family_id = ?1 AND idempotency_key = ?2";

pub async fn find_staff_payment(db: &Db, family_id: &str, idempotency_key: &str) -> ApiResult<Option<StaffPaymentRow>> {
    db.first(FIND_STAFF_PAYMENT, &[text(family_id), text(idempotency_key)]).await
}

/// The gateway took the money for a staff payment: it succeeds and enters the ledger, once.
pub fn staff_payment_succeeded(db: &Db, payment_id: &str, charge_ref: &str, entry: &NewEntry<'_>, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.stmt(
            "UPDATE staff_payments SET status = 'succeeded', gateway_charge_ref = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'",
            &[text(payment_id), text(charge_ref), int(now.millis())],
        )?,
        insert_entry(db, entry, now)?,
    ])
}

pub async fn staff_payment_declined(db: &Db, payment_id: &str, message: &str, now: Timestamp) -> ApiResult<usize> {
    db.run(
        "UPDATE staff_payments SET status = 'declined', failure_message = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'",
        &[text(payment_id), text(message), int(now.millis())],
    )
    .await
}
