//! Guardian access in the Office Portal: enable login for a primary guardian, revoke any login,
//! send password resets, edit contact details, and the invitations console. Staff never invite a
//! secondary.

use crate::routes::bodies::{ContactPatch, RevokeBody};
use crate::http::{json, DryRun, Json, OptionalJson, Path, Query, Response, Staff};
use portal_core::ids::GuardianId;
use serde::Deserialize;
use std::rc::Rc;

use crate::commands::access::{
    self, guardian_now, load_target, revoke_guardian, send_invitation, send_password_reset, staff_edit_guardian, ResetSent,
};
use crate::app::App;
use crate::error::{ApiResult, ErrorCode};
use crate::store::invitations::InvitationFilter;

pub async fn invite(app: Rc<App>, staff: Staff, id: Path<GuardianId>) -> ApiResult<Response> {
    enable_login(app, staff, id, false).await
}

pub async fn resend(app: Rc<App>, staff: Staff, id: Path<GuardianId>) -> ApiResult<Response> {
    enable_login(app, staff, id, true).await
}

/// Staff enable login for a primary guardian only (a secondary: 403 `primary_guardian_must_invite`).
async fn enable_login(app: Rc<App>, staff: Staff, Path(guardian_id): Path<GuardianId>, resend: bool) -> ApiResult<Response> {
    let app = &*app;
    let (target, family) = load_target(app, &staff.org, &guardian_id).await?;
    send_invitation(app, &staff.org, &staff.requester(), &target, &family, None, resend).await?;
    json(202, &guardian_now(app, &staff.org, &staff.requester(), &guardian_id).await?)
}

pub async fn revoke_login(app: Rc<App>, staff: Staff, Path(guardian_id): Path<GuardianId>, OptionalJson(body): OptionalJson<RevokeBody>, DryRun(dry_run): DryRun) -> ApiResult<Response> {
    json(200, &revoke_guardian(&app, &staff.org, &staff.requester(), &guardian_id, body.reason.as_deref(), dry_run).await?)
}

/// Only the fields sent change; the e-mail of someone who can log in is theirs (409 `login_email`).
pub async fn edit_contact(app: Rc<App>, staff: Staff, Path(guardian_id): Path<GuardianId>, Json(patch): Json<ContactPatch>) -> ApiResult<Response> {
    let change = patch.parse()?;
    json(200, &staff_edit_guardian(&app, &staff.org, &staff.requester(), &guardian_id, &change).await?)
}

pub async fn password_reset(app: Rc<App>, staff: Staff, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let app = &*app;
    let (target, _) = load_target(app, &staff.org, &guardian_id).await?;
    send_password_reset(app, &staff.org, &staff.requester(), &target).await?;
    json(202, &ResetSent::SENT)
}

/// `?status=`: which invitations the console lists.
#[derive(Deserialize)]
pub struct InvitationsQuery {
    #[serde(default)]
    status: InvitationFilter,
}

/// Every invitation of the organization, newest first, with its state and expiry.
pub async fn invitations(app: Rc<App>, staff: Staff, Query(query): Query<InvitationsQuery>) -> ApiResult<Response> {
    json(200, &access::invitations(&app, &staff.org.id, query.status).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    to_family_id: String,
    confirm: Option<bool>,
}

/// Moving a contact to another account: without `confirm: true` the answer is 409 with
/// "Portal access will be disabled for NAME."
pub async fn move_contact(app: Rc<App>, staff: Staff, Path(guardian_id): Path<GuardianId>, Json(body): Json<MoveBody>) -> ApiResult<Response> {
    let app = &*app;
    let (contact, from) = load_target(app, &staff.org, &guardian_id).await?;
    let to = crate::store::families::find_family(&app.db, &staff.org.id, &body.to_family_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found(ErrorCode::FamilyNotFound, "No family with that id."))?;
    crate::commands::operations::move_contact(app, &staff.org, &staff.requester(), &contact, &from, &to, body.confirm == Some(true)).await?;
    json(200, &guardian_now(app, &staff.org, &staff.requester(), &guardian_id).await?)
}
