//! E-mailed links and passwords: invitation status and acceptance, password resets, and changing
//! one's own password.

use crate::http::{json, no_content, ClientAddress, Customer, Json, OrgSlug, Path};
use portal_core::ids::LinkToken;
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use super::api::session_response;
use crate::commands::access::{write_password_reset, OrgContext};
use crate::app::App;
use crate::adapters::crypto::{hash_password, new_id};
use crate::error::{ApiError, ApiResult};
use crate::commands::sign_in::{new_session, verify_throttled};
use crate::store::families::{GuardianRow, GUARDIAN_WHO_CAN_LOG_IN};
use crate::store::invitations::{self, invitation_changed_by, reset_changed_by, InvitationByToken, ResetByToken};
use crate::store::{audit, outbox, sessions, text, won};
use portal_core::access::{invitation_link_status, may_accept, AccessError, LinkStatus, RESEND_COOLDOWN_SECONDS};
use portal_core::audit::{Actor, ActorKind, AuditEntry};
use portal_core::email::EmailAddress;
use portal_core::link_token;
use portal_core::notification::Notification;
use portal_core::password::NewPassword;
use portal_core::session::SessionKind;
use worker::Response;

fn invitation_not_found() -> ApiError {
    ApiError::not_found("invitation_not_found", "This invitation link is not valid. Check that you copied all of it.")
}

/// The invitation behind a link of this organization, if there is one.
pub async fn invitation_by_token(app: &App, org: &str, token: &str) -> ApiResult<Option<InvitationByToken>> {
    if !link_token::looks_valid(token) {
        return Ok(None);
    }
    let found = invitations::find_by_token_hash(&app.db, &link_token::hash(token)).await?;
    Ok(found.filter(|i| i.org_slug == org))
}

pub fn link_status(inv: &InvitationByToken, app: &App) -> LinkStatus {
    invitation_link_status(&inv.state, portal_core::time::Timestamp(inv.expires_at), app.now)
}

pub async fn invitation_status(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let app = &*app;
    let inv = invitation_by_token(app, &org, &token).await?.ok_or_else(invitation_not_found)?;
    let status = link_status(&inv, app);
    json(
        200,
        &json!({
            "status": serde_json::to_value(status).unwrap_or_default(),
            "guardian_first_name": inv.first_name,
            "family_name": inv.family_name,
            "expires_at": portal_core::time::Timestamp(inv.expires_at).to_rfc3339(),
            "message": status.problem().map(|p| p.to_string()),
        }),
    )
}

fn guardian_actor(id: &str, first: &str, last: &str) -> Actor {
    Actor { kind: ActorKind::Guardian, id: Some(id.into()), label: format!("{first} {last}") }
}

#[derive(Deserialize)]
pub struct AcceptBody {
    token: String,
    password: String,
    confirm_adult: Option<bool>,
    accept_terms: Option<bool>,
}

pub async fn accept_invitation(app: Rc<App>, OrgSlug(org): OrgSlug, Json(body): Json<AcceptBody>) -> ApiResult<Response> {
    let app = &*app;
    let inv = invitation_by_token(app, &org, &body.token).await?.ok_or_else(invitation_not_found)?;
    if inv.portal_enabled == 0 {
        return Err(ApiError::portal_unavailable());
    }
    may_accept(link_status(&inv, app), body.confirm_adult == Some(true), body.accept_terms == Some(true))?;
    let password = NewPassword::parse(&body.password)?;
    let password_hash = hash_password(password.as_str()).await?;

    let change_id = new_id("chg")?;
    let guard = || invitation_changed_by(&inv.id, &change_id);
    let mut statements = invitations::accept(&app.db, &inv, &password_hash, &change_id, app.now)?;
    let session = new_session(
        app,
        SessionKind::Guardian,
        &inv.org_id,
        &org,
        &inv.guardian_id,
        inv.customer_session_epoch,
        Some(guard()),
    )?;
    statements.push(session.statement);
    let accepted = AuditEntry::about_guardian(guardian_actor(&inv.guardian_id, &inv.first_name, &inv.last_name), "invitation_accepted", &inv.guardian_id, format!("{} {}", inv.first_name, inv.last_name), &inv.family_id, None);
    statements.push(audit::insert(&app.db, &inv.org_id, &accepted, app.now, Some(guard()))?);
    let mut outbox_ids = Vec::new();
    if inv.primary_guardian_id != inv.guardian_id {
        let primary_email: Option<String> = primary_email(app, &inv.primary_guardian_id).await?;
        if let Some(to) = primary_email {
            let notice = Notification::InvitationAccepted {
                to,
                org_name: inv.org_name.clone(),
                guardian_name: format!("{} {}", inv.first_name, inv.last_name),
            };
            let row = outbox::insert_email(
                &app.db,
                Some(&inv.org_id),
                &notice,
                &app.config.public_base_url,
                app.now,
                Some(guard()),
            )?;
            outbox_ids.push(row.id);
            statements.push(row.statement);
        }
    }
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        // Revoked, re-sent or used while we were hashing: say what happened to the link.
        let now = invitation_by_token(app, &org, &body.token).await?.ok_or_else(invitation_not_found)?;
        return Err(link_status(&now, app).problem().unwrap_or(AccessError::InvitationRevoked).into());
    }
    app.enqueue(&outbox_ids).await;
    session_response(app, &inv.org_id, &inv.guardian_id, session.token, &session.cookie).await
}

async fn primary_email(app: &App, primary_id: &str) -> ApiResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        email: Option<String>,
    }
    let row: Option<Row> = app.db.first("SELECT email FROM guardians WHERE id = ?1", &[text(primary_id)]).await?;
    Ok(row.and_then(|r| r.email))
}

#[derive(Deserialize)]
pub struct ResetRequest {
    email: String,
}

#[derive(Deserialize)]
pub struct OrgRow {
    id: String,
    slug: String,
    name: String,
    invitation_ttl_hours: i64,
}

/// "Forgot your password?": always 202, so the answer does not reveal who has an account.
pub async fn request_password_reset(app: Rc<App>, OrgSlug(org): OrgSlug, Json(body): Json<ResetRequest>) -> ApiResult<Response> {
    let app = &*app;
    let email = EmailAddress::parse(&body.email)?;
    let accepted = json(202, &json!({ "status": "sent", "message": "If that address can log in, we sent it a link to choose a new password." }));
    let org_row: Option<OrgRow> = app
        .db
        .first("SELECT id, slug, name, invitation_ttl_hours FROM organizations WHERE slug = ?1", &[text(&org)])
        .await?;
    let Some(o) = org_row else { return accepted };
    let target: Option<GuardianRow> = app
        .db
        .first(
            GUARDIAN_WHO_CAN_LOG_IN,
            &[text(&o.id), text(email.as_str())],
        )
        .await?;
    let Some(target) = target else { return accepted };
    #[derive(Deserialize)]
    struct Last {
        at: Option<i64>,
    }
    let last: Option<Last> = app
        .db
        .first("SELECT MAX(created_at) AS at FROM password_resets WHERE guardian_id = ?1", &[text(&target.id)])
        .await?;
    let recent = last.and_then(|l| l.at).is_some_and(|at| at + RESEND_COOLDOWN_SECONDS * 1000 > app.now.millis());
    if !recent {
        let ctx = OrgContext { id: o.id, slug: o.slug, name: o.name, invitation_ttl_hours: o.invitation_ttl_hours };
        let actor = guardian_actor(&target.id, &target.first_name, &target.last_name);
        write_password_reset(app, &ctx, actor, &target, email.as_str().to_string()).await?;
    }
    accepted
}

/// The reset behind a link of this organization, if there is one.
pub async fn reset_by_token(app: &App, org: &str, token: &str) -> ApiResult<Option<ResetByToken>> {
    if !link_token::looks_valid(token) {
        return Ok(None);
    }
    let found = invitations::find_reset_by_token_hash(&app.db, &link_token::hash(token)).await?;
    Ok(found.filter(|r| r.org_slug == org))
}

pub fn reset_usable(reset: &ResetByToken, app: &App) -> bool {
    reset.used_at.is_none() && reset.expires_at > app.now.millis()
}

#[derive(Deserialize)]
pub struct CompleteReset {
    token: String,
    new_password: String,
}

pub async fn complete_password_reset(app: Rc<App>, OrgSlug(org): OrgSlug, Json(body): Json<CompleteReset>) -> ApiResult<Response> {
    let app = &*app;
    let reset = reset_by_token(app, &org, &body.token)
        .await?
        .ok_or_else(|| ApiError::not_found("reset_link_not_found", "This password reset link is not valid."))?;
    if !reset_usable(&reset, app) {
        return Err(AccessError::ResetLinkInvalid.into());
    }
    let password = NewPassword::parse(&body.new_password)?;
    let password_hash = hash_password(password.as_str()).await?;
    let change_id = new_id("chg")?;
    let mut statements = invitations::complete_reset(&app.db, &reset, &password_hash, &change_id, app.now)?;
    let entry = AuditEntry::about_guardian(guardian_actor(&reset.guardian_id, &reset.first_name, &reset.last_name), "password_reset_completed", &reset.guardian_id, format!("{} {}", reset.first_name, reset.last_name), &reset.family_id, None);
    statements.push(audit::insert(&app.db, &reset.org_id, &entry, app.now, Some(reset_changed_by(&reset.id, &change_id)))?);
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        return Err(AccessError::ResetLinkInvalid.into());
    }
    no_content()
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changing one's own password ends one's other sessions.
pub async fn change_password(
    app: Rc<App>,
    me: Customer,
    ClientAddress(client): ClientAddress,
    Json(body): Json<PasswordChange>,
) -> ApiResult<Response> {
    let app = &*app;
    let new_password = NewPassword::parse(&body.new_password)?;
    let account_key = format!("guardian:{}:{}", me.org.slug, me.email.as_deref().unwrap_or(&me.me.id));
    let clear = verify_throttled(app, &client, &account_key, me.password_hash.as_deref(), &body.current_password)
        .await
        .map_err(|e| {
            if e.code == "invalid_credentials" {
                ApiError::forbidden("wrong_password", "The current password is not correct.")
            } else {
                e
            }
        })?;
    let password_hash = hash_password(new_password.as_str()).await?;
    let entry = AuditEntry::about_guardian(me.requester().actor(), "password_changed", &me.me.id, me.me.full_name(), &me.me.family_id, None);
    app.db
        .batch(vec![
            app.db.stmt(
                "UPDATE guardians SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                &[text(&me.me.id), text(&password_hash), crate::store::int(app.now.millis())],
            )?,
            sessions::end_others(&app.db, &me.me.id, &me.session_id, "password_changed", app.now)?,
            audit::insert(&app.db, &me.org.id, &entry, app.now, None)?,
            clear,
        ])
        .await?;
    no_content()
}
