//! Invitations (stored by the hash of their token only): sending, withdrawing, accepting, and the
//! staff console's list.

use super::{int, text, Arg, Db, Guard};
use crate::error::ApiResult;
use portal_core::access::{invitation_link_status, LinkStatus};
use portal_core::access::RESEND_COOLDOWN_SECONDS;
use portal_core::audit::Actor;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

// This module held ending access, reset links and the batch guards until they got modules of their
// own; their old paths stay for the callers that still use them.
pub use super::guarded_update;
pub use super::guards::{guardian_changed_by, invitation_changed_by, reset_changed_by};
pub use super::links::{find_by_token_hash, LinkRow};
pub use super::resets::{
    change_password, complete_reset, insert_reset, last_reset_at, reset_organization, reset_recipient, ResetByToken, FIND_RESET_BY_TOKEN,
    ORGANIZATION_BY_SLUG,
};
pub use super::revocation::{end_sessions_sql, revoke_invitations_sql, revoke_state_sql, spend_resets_sql, Whose};

pub const SUPERSEDE_PENDING: &str =
    "UPDATE invitations SET state = 'superseded', ended_at = ? WHERE guardian_id = ? AND state = 'pending'";

pub const WITHDRAW_INVITED_STATE: &str =
    "UPDATE guardians SET access_state = 'no_access' WHERE id = ? AND access_state = 'invite_sent'";

/// An invitation withdrawn before it was accepted (its address changed, or its guardian became
/// the primary): the pending link stops working and the guardian is back to "No Access" until a
/// new one is sent. A login they already had stays. Guarded like the command, if it is.
pub fn withdraw<'a>(
    db: &Db,
    guardian_id: &'a str,
    now: Timestamp,
    guard: impl Fn() -> Option<Guard<'a>>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let statement = |sql: &str, args: Vec<Arg<'a>>| match guard() {
        Some(g) => guarded_update(db, sql, args, g),
        None => db.stmt(sql, &args),
    };
    Ok(vec![
        statement(SUPERSEDE_PENDING, vec![int(now.millis()), text(guardian_id)])?,
        statement(WITHDRAW_INVITED_STATE, vec![text(guardian_id)])?,
    ])
}

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub guardian_id: &'a str,
    pub token_hash: &'a str,
    pub email: &'a str,
    pub sent_by: &'a Actor,
    pub expires_at: Timestamp,
}

pub const MARK_INVITED: &str = "UPDATE guardians SET access_state = 'invite_sent', email = ?2, last_change_id = ?3, updated_at = ?4 \
     WHERE id = ?1 AND access_state != 'can_log_in' \
     AND NOT EXISTS (SELECT 1 FROM invitations WHERE guardian_id = ?1 AND state = 'pending' AND created_at > ?5)";

/// Marks the guardian invited (to `email`), replaces any live invitation, records the new one.
/// The first statement carries the change id; the others run only if it changed the guardian. It
/// changes nothing if the guardian can log in, or was sent an invitation within the re-send
/// cooldown: checked in the batch itself, so parallel sends cannot all pass the check.
/// With `only_if`, the first statement also needs it to hold.
pub fn send<'a>(
    db: &Db,
    inv: &NewInvitation<'a>,
    change_id: &'a str,
    now: Timestamp,
    only_if: Option<Guard<'a>>,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || guardian_changed_by(inv.guardian_id, change_id);
    let cooldown_started = now.plus_seconds(-RESEND_COOLDOWN_SECONDS);
    let mark = vec![text(inv.guardian_id), text(inv.email), text(change_id), int(now.millis()), int(cooldown_started.millis())];
    Ok(vec![
        match only_if {
            Some(condition) => guarded_update(db, MARK_INVITED, mark, condition)?,
            None => db.stmt(MARK_INVITED, &mark)?,
        },
        guarded_update(db, SUPERSEDE_PENDING, vec![int(now.millis()), text(inv.guardian_id)],
            guard(),
        )?,
        {
            let (tail, args) = super::guarded(
                vec![
                    text(inv.id),
                    text(inv.org_id),
                    text(inv.family_id),
                    text(inv.guardian_id),
                    text(inv.token_hash),
                    text(inv.email),
                    text(inv.sent_by.kind.as_str()),
                    super::opt_text(inv.sent_by.id.as_deref()),
                    text(&inv.sent_by.label),
                    int(now.millis()),
                    int(inv.expires_at.millis()),
                ],
                Some(guard()),
            );
            db.stmt(
                &format!(
                    "INSERT INTO invitations (id, org_id, family_id, guardian_id, token_hash, email, sent_by_kind, \
                     sent_by_id, sent_by_label, created_at, expires_at) {tail}"
                ),
                &args,
            )?
        },
    ])
}

/// An invitation found by its token, with what accepting it needs (the primary's address is where
/// "invitation accepted" goes when a secondary accepts).
#[derive(Debug, Deserialize)]
pub struct InvitationByToken {
    pub id: String,
    pub org_id: String,
    pub guardian_id: String,
    pub family_id: String,
    pub state: String,
    pub expires_at: i64,
    pub first_name: String,
    pub last_name: String,
    pub org_slug: String,
    pub org_name: String,
    pub portal_enabled: i64,
    pub customer_session_epoch: i64,
    pub primary_guardian_id: String,
    pub primary_email: Option<String>,
    pub family_name: String,
    /// The address the invitation was sent to, and the login that address already is, if any.
    pub email: String,
    pub person_id: Option<String>,
    pub person_password_hash: Option<String>,
}

impl InvitationByToken {
    /// Valid, expired, used or revoked (a superseded link reads as revoked).
    pub fn status(&self, now: Timestamp) -> LinkStatus {
        invitation_link_status(&self.state, Timestamp(self.expires_at), now)
    }
}

impl LinkRow for InvitationByToken {
    const BY_TOKEN_HASH: &'static str = FIND_INVITATION_BY_TOKEN;
    fn org_slug(&self) -> &str {
        &self.org_slug
    }
}

pub const FIND_INVITATION_BY_TOKEN: &str = "SELECT i.id, i.org_id, i.guardian_id, i.family_id, i.state, i.expires_at, \
                g.first_name, g.last_name, \
                o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, \
                f.primary_guardian_id, p.email AS primary_email, f.name AS family_name, \
                i.email, login.id AS person_id, login.password_hash AS person_password_hash \
         FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
         JOIN organizations o ON o.id = i.org_id JOIN families f ON f.id = g.family_id \
         LEFT JOIN guardians p ON p.id = f.primary_guardian_id \
         LEFT JOIN people login ON login.org_id = i.org_id AND login.email = i.email \
         WHERE i.token_hash = ?1";

/// Who accepts an invitation: a new login made from the invited guardian's details, or the login
/// the invited address already is (the family joins it).
pub enum Accepter<'a> {
    NewPerson { person_id: &'a str, password_hash: &'a str },
    ExistingPerson { person_id: &'a str },
}

/// Accepting: the invitation is used (only if still pending and unexpired), the guardian is linked
/// to their login and can log in. A login that already existed keeps its password and lends the
/// membership its contact details. Later statements (session, audit, outbox) guard on the invitation.
pub fn accept(
    db: &Db,
    inv: &InvitationByToken,
    accepter: Accepter<'_>,
    change_id: &str,
    now: Timestamp,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || invitation_changed_by(&inv.id, change_id);
    let mut statements = vec![db.stmt(
        "UPDATE invitations SET state = 'accepted', ended_at = ?2, change_id = ?3 \
         WHERE id = ?1 AND state = 'pending' AND expires_at > ?2",
        &[text(&inv.id), int(now.millis()), text(change_id)],
    )?];
    let person_id = match accepter {
        Accepter::NewPerson { person_id, password_hash } => {
            statements.push(guarded_update(
                db,
                "INSERT INTO people (id, org_id, email, password_hash, first_name, last_name, phone, created_at, updated_at) \
                 SELECT ?, org_id, ?, ?, first_name, last_name, phone, ?, ? FROM guardians WHERE id = ?",
                vec![text(person_id), text(&inv.email), text(password_hash), int(now.millis()), int(now.millis()), text(&inv.guardian_id)],
                guard(),
            )?);
            person_id
        }
        Accepter::ExistingPerson { person_id } => person_id,
    };
    statements.push(guarded_update(
        db,
        "UPDATE guardians SET access_state = 'can_log_in', person_id = p.id, \
           first_name = p.first_name, last_name = p.last_name, email = p.email, phone = p.phone, \
           accepted_at = COALESCE(accepted_at, ?), last_change_id = ?, updated_at = ? \
         FROM people p WHERE p.id = ? AND guardians.id = ? AND guardians.access_state = 'invite_sent'",
        vec![int(now.millis()), text(change_id), int(now.millis()), text(person_id), text(&inv.guardian_id)],
        guard(),
    )?);
    Ok(statements)
}

/// Which invitations the staff console lists (`?status=`; empty or `all` lists every one).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationFilter {
    #[default]
    #[serde(alias = "")]
    All,
    Pending,
    Expired,
    Accepted,
    Revoked,
    Superseded,
}

#[derive(Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub guardian_id: String,
    pub family_id: String,
    pub email: String,
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub sent_by_kind: String,
    pub sent_by_label: String,
    pub first_name: String,
    pub last_name: String,
}

/// The organization's invitations, newest first, at most 500.
pub async fn list(db: &Db, org_id: &str, filter: InvitationFilter, now: Timestamp) -> ApiResult<Vec<InvitationRow>> {
    let condition = match filter {
        InvitationFilter::All => "",
        InvitationFilter::Pending => " AND i.state = 'pending' AND i.expires_at > ?2",
        InvitationFilter::Expired => " AND i.state = 'pending' AND i.expires_at <= ?2",
        InvitationFilter::Accepted => " AND i.state = 'accepted'",
        InvitationFilter::Revoked => " AND i.state = 'revoked'",
        InvitationFilter::Superseded => " AND i.state = 'superseded'",
    };
    db.all(
        &format!(
            "SELECT i.id, i.guardian_id, i.family_id, i.email, i.state, i.created_at, i.expires_at, i.ended_at, \
             i.sent_by_kind, i.sent_by_label, g.first_name, g.last_name \
             FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
             WHERE i.org_id = ?1 AND ?2 = ?2{condition} ORDER BY i.created_at DESC LIMIT 500"
        ),
        &[text(org_id), int(now.millis())],
    )
    .await
}
