//! E-mailed links and passwords, as JSON: invitation status and acceptance, password resets, and
//! changing one's own password. The use cases are in `commands::links`.

use super::api::session_response;
use crate::context::Client;
use crate::app::App;
use crate::commands::links::{self, Acceptance};
use crate::error::ApiResult;
use crate::http::{SignInJson, json, no_content, Customer, Json, OrgSlug, Path, Response};
use portal_core::ids::LinkToken;
use portal_core::time::Timestamp;
use portal_core::access::LinkStatus;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// What an invitation link shows before it is accepted. Field order is the API's (alphabetical).
#[derive(Serialize)]
struct InvitationStatus {
    expires_at: String,
    family_name: String,
    guardian_first_name: String,
    /// The address already signs in here (a guardian in another family): accepting takes that
    /// login's password, and the family joins it.
    has_login: bool,
    message: Option<String>,
    status: LinkStatus,
}

pub async fn invitation_status(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let inv = links::invitation(&app, &org, &token).await?;
    let status = inv.status(app.now());
    let answer = InvitationStatus {
        expires_at: Timestamp(inv.expires_at).to_rfc3339(),
        family_name: inv.family_name,
        guardian_first_name: inv.first_name,
        has_login: inv.person_password_hash.is_some(),
        message: status.problem().map(|p| p.to_string()),
        status,
    };
    json(200, &answer)
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
    client: Client,
    SignInJson(body): SignInJson<AcceptBody>,
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
    json(202, &ResetRequested { message: "If that address can log in, we sent it a link to choose a new password.", status: "sent" })
}

/// Field order is the API's (alphabetical).
#[derive(Serialize)]
struct ResetRequested {
    message: &'static str,
    status: &'static str,
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
    client: Client,
    Json(body): Json<PasswordChange>,
) -> ApiResult<Response> {
    links::change_password(&app, &me.signed_in(), &client, &body.current_password, &body.new_password).await?;
    no_content()
}
