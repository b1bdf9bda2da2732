//! Organizations: the portal switch and the portal options.

use super::{bool_from_int, flag, int, opt_text, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::settings::{MakeupMode, PortalOptions};
use portal_core::time_zone::OrgTimeZone;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

pub const PORTAL_ENABLED: &str = "SELECT portal_enabled FROM organizations WHERE slug = ?1";

/// The portal switch as D1 has it, or `None` for an unknown organization.
pub async fn portal_enabled(db: &Db, slug: &str) -> ApiResult<Option<bool>> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(deserialize_with = "bool_from_int")]
        portal_enabled: bool,
    }
    let row: Option<Row> = db.first(PORTAL_ENABLED, &[text(slug)]).await?;
    Ok(row.map(|r| r.portal_enabled))
}

pub fn insert(db: &Db, id: &str, slug: &str, name: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        &[text(id), text(slug), text(name), int(now.millis())],
    )
}

/// Flips the switch only if it still is as the caller saw it, and marks the row with the command's
/// change id so that the batch's audit and outbox rows are written only by the command that won.
pub fn set_portal_enabled(
    db: &Db,
    org_id: &str,
    change_id: &str,
    enabled: bool,
    end_customer_sessions: bool,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET portal_enabled = ?2, customer_session_epoch = customer_session_epoch + ?3, \
         updated_at = ?4, last_change_id = ?6 WHERE id = ?1 AND portal_enabled = ?5",
        &[
            text(org_id),
            flag(enabled),
            flag(end_customer_sessions),
            int(now.millis()),
            flag(!enabled),
            text(change_id),
        ],
    )
}

/// For inserts in the same batch: true only if the command with this change id changed the row.
pub fn changed_by<'a>(org_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM organizations WHERE id = ? AND last_change_id = ?)",
        args: vec![text(org_id), text(change_id)],
    }
}

/// The portal options as D1 keeps them (flags are 0 or 1).
#[derive(Deserialize)]
struct PortalOptionsRow {
    invitation_ttl_hours: i64,
    #[serde(deserialize_with = "bool_from_int")]
    show_full_ledger_history: bool,
    #[serde(deserialize_with = "bool_from_int")]
    require_recurring_authorization: bool,
    #[serde(deserialize_with = "bool_from_int")]
    auto_portal_access_for_new_contacts: bool,
    payment_gateway_kind: String,
    payment_gateway_account_id: Option<String>,
    #[serde(deserialize_with = "bool_from_int")]
    allow_drop_requests: bool,
    #[serde(deserialize_with = "bool_from_int")]
    allow_transfer_requests: bool,
    #[serde(deserialize_with = "bool_from_int")]
    allow_cancel_waitlist: bool,
    time_zone: String,
    #[serde(deserialize_with = "bool_from_int")]
    show_attendance: bool,
    makeups: String,
    #[serde(deserialize_with = "bool_from_int")]
    allow_future_absences: bool,
    #[serde(deserialize_with = "bool_from_int")]
    show_qr_codes: bool,
    #[serde(deserialize_with = "bool_from_int")]
    show_passes: bool,
    #[serde(deserialize_with = "bool_from_int")]
    allow_pass_redemption: bool,
    #[serde(deserialize_with = "bool_from_int")]
    show_credit: bool,
    #[serde(deserialize_with = "bool_from_int")]
    allow_statements: bool,
    #[serde(deserialize_with = "bool_from_int")]
    allow_ledger_report: bool,
}

/// The organization's time zone, for requests that do not load the portal options (staff's);
/// `None` if the organization row is gone.
pub async fn time_zone(db: &Db, org_id: &str) -> ApiResult<Option<OrgTimeZone>> {
    #[derive(Deserialize)]
    struct Zone {
        time_zone: String,
    }
    let zone: Option<Zone> = db.first("SELECT time_zone FROM organizations WHERE id = ?1", &[text(org_id)]).await?;
    Ok(zone.map(|z| OrgTimeZone::from_stored(&z.time_zone)))
}

/// The options of the Customer Portal that staff set (`/settings/portal-options`).
pub async fn portal_options(db: &Db, org_id: &str) -> ApiResult<Option<PortalOptions>> {
    let row: Option<PortalOptionsRow> = db
        .first(
            "SELECT invitation_ttl_hours, show_full_ledger_history, require_recurring_authorization, \
               auto_portal_access_for_new_contacts, payment_gateway_kind, payment_gateway_account_id, \
               allow_drop_requests, allow_transfer_requests, allow_cancel_waitlist, time_zone, show_attendance, makeups, \
               allow_future_absences, show_qr_codes, show_passes, allow_pass_redemption, show_credit, allow_statements, \
               allow_ledger_report \
             FROM organizations WHERE id = ?1",
            &[text(org_id)],
        )
        .await?;
    Ok(row.map(|r| PortalOptions {
        invitation_ttl_hours: r.invitation_ttl_hours,
        show_full_ledger_history: r.show_full_ledger_history,
        require_recurring_authorization: r.require_recurring_authorization,
        auto_portal_access_for_new_contacts: r.auto_portal_access_for_new_contacts,
        payment_gateway_kind: r.payment_gateway_kind,
        payment_gateway_account_id: r.payment_gateway_account_id,
        allow_drop_requests: r.allow_drop_requests,
        allow_transfer_requests: r.allow_transfer_requests,
        allow_cancel_waitlist: r.allow_cancel_waitlist,
        time_zone: OrgTimeZone::from_stored(&r.time_zone),
        show_attendance: r.show_attendance,
        makeups: MakeupMode::from_stored(&r.makeups),
        allow_future_absences: r.allow_future_absences,
        show_qr_codes: r.show_qr_codes,
        show_passes: r.show_passes,
        allow_pass_redemption: r.allow_pass_redemption,
        show_credit: r.show_credit,
        allow_statements: r.allow_statements,
        allow_ledger_report: r.allow_ledger_report,
    }))
}

pub fn set_portal_options(db: &Db, org_id: &str, o: &PortalOptions, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET invitation_ttl_hours = ?2, show_full_ledger_history = ?3, \
           require_recurring_authorization = ?4, auto_portal_access_for_new_contacts = ?5, \
           payment_gateway_kind = ?6, payment_gateway_account_id = ?7, updated_at = ?8, \
           allow_drop_requests = ?9, allow_transfer_requests = ?10, allow_cancel_waitlist = ?11, time_zone = ?12, \
           show_attendance = ?13, makeups = ?14, allow_future_absences = ?15, show_qr_codes = ?16, show_passes = ?17, \
           allow_pass_redemption = ?18, show_credit = ?19, allow_statements = ?20, allow_ledger_report = ?21 WHERE id = ?1",
        &[
            text(org_id),
            int(o.invitation_ttl_hours),
            flag(o.show_full_ledger_history),
            flag(o.require_recurring_authorization),
            flag(o.auto_portal_access_for_new_contacts),
            text(&o.payment_gateway_kind),
            opt_text(o.payment_gateway_account_id.as_deref()),
            int(now.millis()),
            flag(o.allow_drop_requests),
            flag(o.allow_transfer_requests),
            flag(o.allow_cancel_waitlist),
            text(o.time_zone.name()),
            flag(o.show_attendance),
            text(o.makeups.as_str()),
            flag(o.allow_future_absences),
            flag(o.show_qr_codes),
            flag(o.show_passes),
            flag(o.allow_pass_redemption),
            flag(o.show_credit),
            flag(o.allow_statements),
            flag(o.allow_ledger_report),
        ],
    )
}

/// What a command run outside a request (a queue job) needs of its organization.
#[derive(Deserialize)]
pub struct OrganizationRow {
    pub slug: String,
    pub name: String,
    pub invitation_ttl_hours: i64,
}

pub async fn find(db: &Db, org_id: &str) -> ApiResult<Option<OrganizationRow>> {
    db.first("SELECT slug, name, invitation_ttl_hours FROM organizations WHERE id = ?1", &[text(org_id)]).await
}

#[derive(Deserialize)]
pub struct SwitchRow {
    pub slug: String,
    #[serde(flatten)]
    pub facts: super::maintenance::SwitchFacts,
}

/// Organizations changed since `since` (at most 500): the cron re-publishes their portal switch.
pub async fn changed_since(db: &Db, since: Timestamp) -> ApiResult<Vec<SwitchRow>> {
    db.all(
        "SELECT slug, portal_enabled, maintenance_starts_at, maintenance_ends_at, maintenance_note \
         FROM organizations WHERE updated_at > ?1 LIMIT 500",
        &[int(since.millis())],
    )
    .await
}
