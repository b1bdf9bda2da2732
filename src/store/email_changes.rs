//! Changing the login e-mail: the confirm links (stored by the hash of their token only) and the
//! one batch that moves the login to the new address.

use super::links::LinkRow;
use super::sessions::{end_sessions, END_SESSIONS_OF_PERSON};
use super::{guarded, guarded_update, int, text, Db, Guard};
use crate::error::ApiResult;
use portal_core::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// An address is taken when it signs in to the organization (a person's) or belongs to a guardian
/// in one of the person's families (one address per family). `?1` org, `?2` address, `?3` person.
macro_rules! address_taken {
    () => {
        "(EXISTS (SELECT 1 FROM people WHERE org_id = ?1 AND email = ?2) \
          OR EXISTS (SELECT 1 FROM guardians WHERE email = ?2 \
                     AND family_id IN (SELECT family_id FROM guardians WHERE person_id = ?3)))"
    };
}

pub async fn address_taken(db: &Db, org_id: &str, email: &str, person_id: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Row {
        taken: i64,
    }
    let row: Option<Row> =
        db.first(concat!("SELECT ", address_taken!(), " AS taken"), &[text(org_id), text(email), text(person_id)]).await?;
    Ok(row.is_some_and(|r| r.taken == 1))
}

/// What a change asks: whose login, from which membership and session, to which address.
pub struct Request<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub person_id: &'a str,
    pub guardian_id: &'a str,
    pub session_id: &'a str,
    pub new_email: &'a str,
    pub token_hash: &'a str,
    pub expires_at: Timestamp,
}

/// True once the request `id` has been written: its audit entry and e-mails are guarded on it.
pub fn asked(id: &str) -> Guard<'_> {
    Guard { sql: "EXISTS (SELECT 1 FROM email_changes WHERE id = ?)", args: vec![text(id)] }
}

/// The new link, written only while `guard` holds (the asking session is live); the person's
/// earlier unused links stop working.
pub fn insert<'a>(db: &Db, r: &'a Request<'a>, now: Timestamp, guard: Guard<'a>) -> ApiResult<Vec<D1PreparedStatement>> {
    let values = vec![
        text(r.id),
        text(r.org_id),
        text(r.person_id),
        text(r.guardian_id),
        text(r.session_id),
        text(r.new_email),
        text(r.token_hash),
        int(now.millis()),
        int(r.expires_at.millis()),
    ];
    let (tail, args) = guarded(values, Some(guard));
    Ok(vec![
        db.stmt(
            &format!(
                "INSERT INTO email_changes (id, org_id, person_id, guardian_id, session_id, new_email, token_hash, created_at, \
                 expires_at) {tail}"
            ),
            &args,
        )?,
        guarded_update(
            db,
            "UPDATE email_changes SET used_at = ? WHERE person_id = ? AND used_at IS NULL AND id != ?",
            vec![int(now.millis()), text(r.person_id), text(r.id)],
            asked(r.id),
        )?,
    ])
}

/// A confirm link found by its token, with the login and membership it is for.
#[derive(Debug, Deserialize)]
pub struct EmailChangeByToken {
    pub id: String,
    pub org_id: String,
    pub person_id: String,
    pub guardian_id: String,
    pub session_id: String,
    pub new_email: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub org_slug: String,
    pub org_name: String,
    pub portal_enabled: i64,
    pub family_id: String,
    pub first_name: String,
    pub last_name: String,
}

impl LinkRow for EmailChangeByToken {
    const BY_TOKEN_HASH: &'static str = "SELECT c.id, c.org_id, c.person_id, c.guardian_id, c.session_id, c.new_email, \
           c.expires_at, c.used_at, o.slug AS org_slug, o.name AS org_name, o.portal_enabled, g.family_id, g.first_name, g.last_name \
         FROM email_changes c JOIN organizations o ON o.id = c.org_id JOIN guardians g ON g.id = c.guardian_id \
         WHERE c.token_hash = ?1";
    fn org_slug(&self) -> &str {
        &self.org_slug
    }
}

/// True while the link was last used by the confirmation with this change id.
pub fn confirmed_by<'a>(id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard { sql: "EXISTS (SELECT 1 FROM email_changes WHERE id = ? AND change_id = ?)", args: vec![text(id), text(change_id)] }
}

/// Confirms: the link is spent (only if it is unused, unexpired and the address still free), then
/// the login and every membership of the person take the new address (the contact points' login
/// e-mail follows by trigger), and the person's other sessions end; the asking one stays.
pub fn confirm<'a>(db: &Db, c: &'a EmailChangeByToken, change_id: &'a str, now: Timestamp) -> ApiResult<Vec<D1PreparedStatement>> {
    let guard = || confirmed_by(&c.id, change_id);
    Ok(vec![
        db.stmt(
            concat!(
                "UPDATE email_changes SET used_at = ?4, change_id = ?5 WHERE id = ?6 AND used_at IS NULL AND expires_at > ?4 AND NOT ",
                address_taken!()
            ),
            &[text(&c.org_id), text(&c.new_email), text(&c.person_id), int(now.millis()), text(change_id), text(&c.id)],
        )?,
        guarded_update(
            db,
            "UPDATE people SET email = ?, updated_at = ? WHERE id = ?",
            vec![text(&c.new_email), int(now.millis()), text(&c.person_id)],
            guard(),
        )?,
        guarded_update(
            db,
            "UPDATE guardians SET email = ?, updated_at = ?, last_change_id = ? WHERE person_id = ?",
            vec![text(&c.new_email), int(now.millis()), text(change_id), text(&c.person_id)],
            guard(),
        )?,
        end_sessions(db, END_SESSIONS_OF_PERSON, vec![text(&c.person_id), text(&c.session_id)], "login_email_changed", now, Some(guard()))?,
    ])
}
