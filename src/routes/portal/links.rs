//! E-mailed links and passwords, as JSON: invitation status and acceptance, password resets, and
//! changing one's own password. The use cases are in `commands::links`.

use super::api::session_response;
use crate::app::App;
use crate::commands::links::{self, Acceptance, SignedInGuardian};
use crate::error::ApiResult;
use crate::http::{json, no_content, ClientAddress, Customer, Json, OrgSlug, Path, Response};
use portal_core::ids::LinkToken;
use portal_core::time::Timestamp;
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

pub async fn invitation_status(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let inv = links::invitation(&app, &org, &token).await?;
    let status = inv.status(app.now());
    json(
        200,
        &json!({
            "status": serde_json::to_value(status).unwrap_or_default(),
            "guardian_first_name": inv.first_name,
            "family_name": inv.family_name,
            "expires_at": Timestamp(inv.expires_at).to_rfc3339(),
            "message": status.problem().map(|p| p.to_string()),
            // The address already signs in here (a guardian in another family): accepting takes
            // that login's password, and the family joins it.
            "has_login": inv.person_password_hash.is_some(),
        }),
    )
}

#[derive(Deserialize)]
pub struct AcceptBody {
    token: String,
    password: String,
    confirm_adult: Option<bool>,
    accept_terms: Option<bool>,
}

/// Accepting signs the guardian in: the answer is the same as a sign-in's.
pub async fn accept_invitation(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    ClientAddress(client): ClientAddress,
    Json(body): Json<AcceptBody>,
) -> ApiResult<Response> {
    let acceptance = Acceptance {
        token: &body.token,
        password: &body.password,
        confirm_adult: body.confirm_adult == Some(true),
        accept_terms: body.accept_terms == Some(true),
    };
    let accepted = links::accept_invitation(&app, &org, &client, acceptance).await?;
    session_response(&app, &accepted.org_id, &accepted.guardian_id, &accepted.session, None).await
}

#[derive(Deserialize)]
pub struct ResetRequest {
    email: String,
}

/// "Forgot your password?": always 202, so the answer does not reveal who has an account.
pub async fn request_password_reset(app: Rc<App>, OrgSlug(org): OrgSlug, Json(body): Json<ResetRequest>) -> ApiResult<Response> {
    links::request_password_reset(&app, &org, &body.email).await?;
    json(202, &json!({ "status": "sent", "message": "If that address can log in, we sent it a link to choose a new password." }))
}

#[derive(Deserialize)]
pub struct CompleteReset {
    token: String,
    new_password: String,
}

pub async fn complete_password_reset(app: Rc<App>, OrgSlug(org): OrgSlug, Json(body): Json<CompleteReset>) -> ApiResult<Response> {
    links::complete_password_reset(&app, &org, &body.token, &body.new_password).await?;
    no_content()
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    app: Rc<App>,
    me: Customer,
    ClientAddress(client): ClientAddress,
    Json(body): Json<PasswordChange>,
) -> ApiResult<Response> {
    let who = SignedInGuardian {
        org: &me.org,
        person_id: &me.person_id,
        me: &me.me,
        email: me.email.as_deref(),
        password_hash: me.password_hash.as_deref(),
        session_id: &me.session_id,
    };
    links::change_password(&app, &who, &client, &body.current_password, &body.new_password).await?;
    no_content()
}
