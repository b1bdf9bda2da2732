//! Changing the login e-mail (issue 26): asked with the current password from a signed-in session,
//! done by a link e-mailed to the new address (the old one is told), confirmed on its own page.

use super::guarded_effects;
use super::require_live;
use super::sign_in::{verify_throttled, Login};
use crate::adapters::crypto::{new_id, new_link_token};
use crate::app::App;
use crate::commands::links::find_link;
use crate::context::{Client, SignedInGuardian};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::email_changes::{self as store, EmailChangeByToken, Request};
use crate::store::sessions::still_live;
use crate::store::won;
use portal_core::access::Requester;
use portal_core::audit::{Actor, ActorKind, AuditEntry};
use portal_core::email::EmailAddress;
use portal_core::email_change::{check_link, check_new_address, EmailChangeError, EMAIL_CHANGE_TTL_HOURS};
use portal_core::link_token;
use portal_core::notification::Notification;
use portal_core::session::SessionKind;

/// Asks for the change: the password proves it is the person (a wrong one is `wrong_password`, as
/// for Change Password, under the sign-in throttles); an address already signing in here, or used
/// in one of their families, is refused. One batch guarded on the session still being live.
pub async fn request(
    app: &App,
    who: &SignedInGuardian<'_>,
    client: &Client,
    new_email: &str,
    current_password: &str,
) -> ApiResult<()> {
    let new_email = EmailAddress::parse(new_email).map_err(|e| ApiError::from(e).at("new_email"))?;
    check_new_address(who.email, &new_email)?;
    let login = Login { portal: SessionKind::Guardian, org_slug: &who.org.slug, email: who.email.unwrap_or(&who.me.id) };
    let clear_throttle = verify_throttled(app, client, &login, who.password_hash, current_password).await.map_err(|e| {
        if e.code == ErrorCode::InvalidCredentials {
            ApiError::forbidden(ErrorCode::WrongPassword, "The current password is not correct.").at("current_password")
        } else {
            e
        }
    })?;
    if store::address_taken(&app.db, &who.org.id, new_email.as_str(), who.person_id).await? {
        return Err(EmailChangeError::InUse.into());
    }
    let token = new_link_token()?;
    let id = new_id("emc")?;
    let expires_at = app.now().plus_hours(EMAIL_CHANGE_TTL_HOURS);
    let token_hash = link_token::hash(&token);
    let asked = Request {
        id: &id,
        org_id: &who.org.id,
        person_id: who.person_id,
        guardian_id: &who.me.id,
        session_id: who.session_id,
        new_email: new_email.as_str(),
        token_hash: &token_hash,
        expires_at,
    };
    let mut notices = vec![Notification::EmailChangeLink {
        to: new_email.as_str().to_string(),
        org_name: who.org.name.clone(),
        org_slug: who.org.slug.clone(),
        first_name: who.me.first_name.clone(),
        token,
        expires_at,
    }];
    if let Some(old) = who.email {
        notices.push(Notification::EmailChangeRequested {
            to: old.to_string(),
            org_name: who.org.name.clone(),
            first_name: who.me.first_name.clone(),
            new_email: new_email.as_str().to_string(),
        });
    }
    let actor = Requester::Guardian(who.me.clone()).actor();
    let entry = AuditEntry::about_guardian(actor, "login_email_change_requested", &who.me.id, who.me.full_name(), &who.me.family_id, None);
    let mut batch = store::insert(&app.db, &asked, app.now(), still_live(who.session_id, app.now()))?;
    let fx = guarded_effects(app, &who.org.id, &[entry], &notices, || store::asked(&id))?;
    batch.extend(fx.statements);
    batch.push(clear_throttle);
    let results = app.db.batch(batch).await?;
    if !won(&results, 0)? {
        require_live(app, who.session_id).await?;
        return Err(ApiError::internal("an e-mail change was not written while its session was live"));
    }
    app.enqueue(&fx.outbox_ids).await;
    Ok(())
}

/// The change behind a confirm link of organization `org`, while the link works.
pub async fn usable_link(app: &App, org: &str, token: &str) -> ApiResult<EmailChangeByToken> {
    let change: EmailChangeByToken = find_link(app, org, token).await?.ok_or(EmailChangeError::LinkNotFound)?;
    check_link(change.used_at, change.expires_at, app.now())?;
    Ok(change)
}

/// Confirming: the login becomes the new address, in every family of the person, and their other
/// sessions end (as a new password ends them: whoever signed in with the old address and the
/// password no longer holds the login), while the session that asked stays signed in. One batch
/// guarded on the link: a second confirmation, an expired link or an address taken meanwhile
/// changes nothing. Returns the new address.
pub async fn confirm(app: &App, org: &str, token: &str) -> ApiResult<String> {
    let change = usable_link(app, org, token).await?;
    if change.portal_enabled == 0 {
        return Err(ApiError::portal_unavailable());
    }
    let change_id = new_id("chg")?;
    let mut batch = store::confirm(&app.db, &change, &change_id, app.now())?;
    let actor = Actor {
        kind: ActorKind::Guardian,
        id: Some(change.guardian_id.clone()),
        label: format!("{} {}", change.first_name, change.last_name),
    };
    let name = format!("{} {}", change.first_name, change.last_name);
    let entry = AuditEntry::about_guardian(actor, "login_email_changed", &change.guardian_id, name, &change.family_id, None);
    let fx = guarded_effects(app, &change.org_id, &[entry], &[], || store::confirmed_by(&change.id, &change_id))?;
    batch.extend(fx.statements);
    let results = app.db.batch(batch).await?;
    if !won(&results, 0)? {
        // Used or expired meanwhile, or the address was taken: say which.
        usable_link(app, org, token).await?;
        return Err(EmailChangeError::InUse.into());
    }
    Ok(change.new_email)
}
