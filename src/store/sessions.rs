use super::window::WindowColumns;
use super::{bool_from_int, changes, guarded, guarded_update, int, opt_text, text, Arg, Db, Guard};
use portal_core::sign_ins::SignInClient;
use crate::error::ApiResult;
use serde::Deserialize;
use portal_core::access::AccessState;
use portal_core::organization::StaffRole;
use portal_core::session::{SessionKind, StoredSession};
use portal_core::time::Timestamp;
use worker::D1PreparedStatement;

#[allow(clippy::too_many_arguments)]
pub fn insert<'a>(
    db: &Db,
    id: &'a str,
    org_id: &'a str,
    kind: SessionKind,
    subject_id: &'a str,
    epoch: i64,
    now: Timestamp,
    expires_at: Timestamp,
    device: &'a SignInDevice,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let (tail, args) = guarded(
        vec![
            text(id),
            text(org_id),
            text(kind.as_str()),
            text(subject_id),
            int(epoch),
            int(now.millis()),
            int(expires_at.millis()),
            text(device.client.as_str()),
            opt_text(device.user_agent.as_deref()),
            int(now.millis()),
        ],
        guard,
    );
    db.stmt(
        &format!(
            "INSERT INTO sessions (id, org_id, kind, subject_id, epoch, created_at, expires_at, client, user_agent, last_seen_at) {tail}"
        ),
        &args,
    )
}

/// What signed in, as a new session records it: a browser or the Mobile App, and the User-Agent
/// (`sign_ins::stored_user_agent`).
#[derive(Debug, Clone, Default)]
pub struct SignInDevice {
    pub client: SignInClient,
    pub user_agent: Option<String>,
}

/// The one statement that ends sessions: the live ones `$which` (a condition, with `?` for each of
/// its values) names. It binds the end time and the reason, then `$which`'s values. Every way a
/// session ends (sign-out, a family switch, a password change or reset, ending access, a merge's
/// fold) is this statement, so that each records when and why.
macro_rules! end_sessions_sql {
    ($which:literal) => {
        concat!("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ", $which, " AND ended_at IS NULL")
    };
}
pub(crate) use end_sessions_sql;

/// Ends the sessions a statement of `end_sessions_sql!` names (`which`: its condition's values),
/// as a statement of a caller's batch, under `guard` if given.
pub fn end_sessions<'a>(
    db: &Db,
    sql: &str,
    which: Vec<Arg<'a>>,
    reason: &'a str,
    now: Timestamp,
    guard: Option<Guard<'a>>,
) -> ApiResult<D1PreparedStatement> {
    let mut args = vec![int(now.millis()), text(reason)];
    args.extend(which);
    match guard {
        Some(guard) => guarded_update(db, sql, args, guard),
        None => db.stmt(sql, &args),
    }
}

const END_SESSION: &str = end_sessions_sql!("id = ?");

pub async fn end(db: &Db, id: &str, reason: &str, now: Timestamp) -> ApiResult<usize> {
    changes(&end_statement(db, id, reason, now)?.run().await?)
}

/// Ending one session, as a statement of a caller's batch.
pub fn end_statement(db: &Db, id: &str, reason: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    end_sessions(db, END_SESSION, vec![text(id)], reason, now, None)
}

/// What every session row carries: the session and its organization's switch facts.
#[derive(Debug, Deserialize)]
pub struct SessionColumns {
    pub kind: String,
    pub org_id: String,
    pub subject_id: String,
    pub epoch: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub org_slug: String,
    pub org_name: String,
    #[serde(deserialize_with = "bool_from_int")]
    pub portal_enabled: bool,
    pub customer_session_epoch: i64,
    /// When the session began: one begun before a maintenance window's start ended with it.
    pub created_at: i64,
    #[serde(flatten)]
    pub maintenance: WindowColumns,
    pub last_seen_at: Option<i64>,
}

impl SessionColumns {
    pub fn stored(&self) -> StoredSession {
        StoredSession {
            // The column's CHECK allows only 'staff' and 'guardian'.
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

/// The `SELECT` of `SessionColumns`, for the queries below to extend.
macro_rules! session_columns {
    () => {
        "SELECT s.kind, s.org_id, s.subject_id, s.epoch, s.expires_at, s.ended_at, s.end_reason, \
         o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, s.last_seen_at, \
         s.created_at, o.maintenance_starts_at, o.maintenance_ends_at, o.maintenance_note, "
    };
}

/// A staff session with its organization and staff user: one round trip per authenticated request.
#[derive(Debug, Deserialize)]
pub struct StaffSessionRow {
    #[serde(flatten)]
    pub session: SessionColumns,
    pub staff_email: Option<String>,
    pub staff_role: Option<StaffRole>,
    pub invitation_ttl_hours: i64,
}

pub const LOAD_STAFF_SESSION: &str = concat!(
    session_columns!(),
    "u.email AS staff_email, u.role AS staff_role, o.invitation_ttl_hours \
     FROM sessions s JOIN organizations o ON o.id = s.org_id \
     LEFT JOIN staff_users u ON u.id = s.subject_id \
     WHERE s.id = ?1"
);

pub async fn load_staff_session(db: &Db, session_id: &str) -> ApiResult<Option<StaffSessionRow>> {
    db.first(
        LOAD_STAFF_SESSION,
        &[text(session_id)],
    )
    .await
}

/// A guardian session with the guardian, their family and organization: one round trip.
#[derive(Debug, Deserialize)]
pub struct GuardianSessionRow {
    #[serde(flatten)]
    pub session: SessionColumns,
    /// The first instant of the day the guardian's access ends, if it has an end date.
    pub access_ends_at: Option<i64>,
    pub family_id: String,
    pub family_name: String,
    pub person_id: Option<String>,
    pub primary_guardian_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub access_state: AccessState,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_make_payments: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_view_full_ledger: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub can_manage_enrollments: bool,
    pub password_hash: Option<String>,
    pub invitation_ttl_hours: i64,
    pub payment_gateway_kind: String,
    pub payment_gateway_account_id: Option<String>,
    #[serde(deserialize_with = "bool_from_int")]
    pub require_recurring_authorization: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub show_full_ledger_history: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_drop_requests: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_transfer_requests: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_cancel_waitlist: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub auto_portal_access_for_new_contacts: bool,
    pub time_zone: String,
    #[serde(deserialize_with = "bool_from_int")]
    pub show_attendance: bool,
    pub makeups: String,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_future_absences: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub show_qr_codes: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub show_passes: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_pass_redemption: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub show_credit: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_statements: bool,
    #[serde(deserialize_with = "bool_from_int")]
    pub allow_ledger_report: bool,
}

pub const LOAD_GUARDIAN_SESSION: &str = concat!(
    session_columns!(),
    "g.family_id, f.name AS family_name, g.person_id, f.primary_guardian_id, g.first_name, g.last_name, g.email, \
     g.access_state, g.can_make_payments, g.can_view_full_ledger, g.can_manage_enrollments, p.password_hash, o.invitation_ttl_hours, \
     o.payment_gateway_kind, o.payment_gateway_account_id, o.require_recurring_authorization, \
     o.show_full_ledger_history, o.allow_drop_requests, o.allow_transfer_requests, o.allow_cancel_waitlist, \
     o.auto_portal_access_for_new_contacts, o.time_zone, o.show_attendance, o.makeups, o.allow_future_absences, \
     o.show_qr_codes, o.show_passes, o.allow_pass_redemption, o.show_credit, o.allow_statements, o.allow_ledger_report, \
     g.access_ends_at \
     FROM sessions s JOIN organizations o ON o.id = s.org_id \
     JOIN guardians g ON g.id = s.subject_id JOIN families f ON f.id = g.family_id \
     LEFT JOIN people p ON p.id = g.person_id \
     WHERE s.id = ?1"
);

pub async fn load_guardian_session(db: &Db, session_id: &str) -> ApiResult<Option<GuardianSessionRow>> {
    db.first(
        LOAD_GUARDIAN_SESSION,
        &[text(session_id)],
    )
    .await
}

pub const GUARDIAN_SIGN_IN: &str =
    "SELECT o.id AS org_id, o.portal_enabled, o.customer_session_epoch, p.id AS person_id, p.password_hash, \
       o.maintenance_starts_at, o.maintenance_ends_at, o.maintenance_note \
     FROM organizations o LEFT JOIN people p ON p.org_id = o.id AND p.email = ?2 \
     WHERE o.slug = ?1";

/// The organization and, if the address is a login there, that person.
#[derive(Deserialize)]
pub struct GuardianLogin {
    pub org_id: String,
    #[serde(deserialize_with = "bool_from_int")]
    pub portal_enabled: bool,
    pub customer_session_epoch: i64,
    pub person_id: Option<String>,
    pub password_hash: Option<String>,
    #[serde(flatten)]
    pub maintenance: WindowColumns,
}

pub async fn guardian_login(db: &Db, org_slug: &str, email: &str) -> ApiResult<Option<GuardianLogin>> {
    db.first(GUARDIAN_SIGN_IN, &[text(org_slug), text(email)]).await
}

pub const FAMILIES_OF_PERSON: &str = "SELECT g.id AS guardian_id, f.id, f.name, g.access_ends_at FROM guardians g JOIN families f ON f.id = g.family_id \
     WHERE g.person_id = ?1 AND g.access_state = 'can_log_in' AND f.status = 'active' ORDER BY f.name, f.id";

/// A family a person may enter, through their membership (guardian) in it.
#[derive(Debug, Clone, Deserialize)]
pub struct EnterableFamily {
    pub guardian_id: String,
    pub id: String,
    pub name: String,
    /// When access to it ends by date (sign-in skips a family whose end has come).
    pub access_ends_at: Option<i64>,
}

/// The families a person can log in to now, by name.
pub async fn families_of_person(db: &Db, person_id: &str) -> ApiResult<Vec<EnterableFamily>> {
    db.all(FAMILIES_OF_PERSON, &[text(person_id)]).await
}

pub const END_SESSIONS_OF_PERSON: &str =
    end_sessions_sql!("subject_id IN (SELECT id FROM guardians WHERE person_id = ?) AND id != ?");

/// The sessions of every membership of the person who is guardian `?` (a reset link names the
/// guardian it was sent to).
pub const END_SESSIONS_OF_GUARDIANS_PERSON: &str = end_sessions_sql!(
    "subject_id IN (SELECT id FROM guardians WHERE person_id = (SELECT person_id FROM guardians WHERE id = ?))"
);

/// The sessions of every membership of a person, but `keep_session_id` (after a password change or
/// reset, which is the login's, not one family's).
pub fn end_sessions_of_person(
    db: &Db,
    person_id: &str,
    keep_session_id: Option<&str>,
    reason: &str,
    now: Timestamp,
) -> ApiResult<D1PreparedStatement> {
    end_sessions(db, END_SESSIONS_OF_PERSON, vec![text(person_id), text(keep_session_id.unwrap_or(""))], reason, now, None)
}

pub const LIVE_COUNT: &str = "SELECT COUNT(*) AS n FROM sessions WHERE subject_id = ?1 AND ended_at IS NULL AND expires_at > ?2";

/// How many sessions of `subject_id` are live now (a revoke preview says how many it ends).
pub async fn live_count(db: &Db, subject_id: &str, now: Timestamp) -> ApiResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let count: Option<Count> = db.first(LIVE_COUNT, &[text(subject_id), int(now.millis())]).await?;
    Ok(count.map_or(0, |c| c.n))
}

/// What the guardian session check (`LOAD_GUARDIAN_SESSION`, then `check_live` and the access
/// state in `http::session`) requires of a live customer session, as one condition on the session's
/// primary key: not ended, not expired, begun under the organization's customer session epoch with
/// the portal on and no maintenance window on (nor begun after the session), and its guardian
/// still able to log in (and their access end date not reached). `$id` and `$now` are its
/// placeholders.
macro_rules! live_customer_session {
    ($id:literal, $now:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM sessions s JOIN organizations o ON o.id = s.org_id \
             JOIN guardians g ON g.id = s.subject_id \
             WHERE s.id = ", $id, " AND s.kind = 'guardian' AND s.ended_at IS NULL AND s.expires_at > ", $now, " \
               AND s.epoch >= o.customer_session_epoch AND o.portal_enabled = 1 \
               AND NOT COALESCE(o.maintenance_starts_at <= ", $now, " \
                 AND (", $now, " < o.maintenance_ends_at OR s.created_at < o.maintenance_starts_at), 0) \
               AND g.access_state = 'can_log_in' AND g.person_id IS NOT NULL \
               AND (g.access_ends_at IS NULL OR g.access_ends_at > ", $now, "))"
        )
    };
}
pub(crate) use live_customer_session;

/// The guard of `still_live`: binds the session id, then now.
pub const STILL_LIVE: &str = live_customer_session!("?", "?");

/// True while the customer's session is live: the first write of a customer's batch carries it,
/// so that a write whose session ended (a revoke, a sign-out, the portal switched off) after the
/// session check and before the batch writes nothing.
pub fn still_live(session_id: &str, now: Timestamp) -> Guard<'_> {
    // `STILL_LIVE` has a placeholder for each of its four uses of now.
    let now = || int(now.millis());
    Guard { sql: STILL_LIVE, args: vec![text(session_id), now(), now(), now(), now()] }
}

/// `STILL_LIVE` read on its own, with why the session ended if it did.
pub const LIVE_OR_WHY: &str =
    concat!("SELECT ", live_customer_session!("?1", "?2"), " AS live, (SELECT end_reason FROM sessions WHERE id = ?1) AS end_reason");

/// Whether the session is live now (`STILL_LIVE`), and if not, why it ended (`sessions.end_reason`;
/// None if no statement ended it, e.g. it expired).
pub async fn live_or_why(db: &Db, session_id: &str, now: Timestamp) -> ApiResult<Result<(), Option<String>>> {
    #[derive(Deserialize)]
    struct Live {
        live: i64,
        end_reason: Option<String>,
    }
    let row: Option<Live> = db.first(LIVE_OR_WHY, &[text(session_id), int(now.millis())]).await?;
    Ok(match row {
        Some(Live { live: 1, .. }) => Ok(()),
        Some(Live { end_reason, .. }) => Err(end_reason),
        None => Err(None),
    })
}
