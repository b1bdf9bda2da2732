//! My Account, Account Information: the Primary Guardian manages who else may log in.

use crate::http::{json, Customer, DryRun, Json, OptionalJson, Path, Response};
use portal_core::ids::GuardianId;
use serde::Deserialize;
use std::rc::Rc;

use crate::commands::access::{
    add_contact, edit_contact_details, guardian_now, load_target, revoke_guardian, send_invitation, send_password_reset,
    set_permissions as set_guardian_permissions, GuardianView, PermissionChange, ResetSent,
};
use crate::app::App;
use crate::commands::access_end::set_access_end;
use portal_core::access_end::parse_ends_on;
use crate::error::{ApiError, ApiResult};
use crate::routes::bodies::{ContactBody, ContactPatch, RevokeBody};
use crate::store::families;
use portal_core::email::EmailAddress;

pub async fn add(app: Rc<App>, me: Customer, Json(body): Json<ContactBody>) -> ApiResult<Response> {
    let app = &*app;
    me.require_primary()?;
    let contact = body.parse()?;
    let family = families::find_family(&app.db, &me.org.id, &me.me.family_id)
        .await?
        .ok_or_else(|| ApiError::internal("the signed-in guardian's family is missing"))?;
    let guardian = add_contact(app, &me.org, &me.requester(), &family, &contact).await?;
    json(201, &GuardianView::of(&guardian, &me.requester(), app.now()))
}

pub async fn edit_contact(app: Rc<App>, me: Customer, Path(guardian_id): Path<GuardianId>, Json(patch): Json<ContactPatch>) -> ApiResult<Response> {
    let app = &*app;
    let change = patch.parse()?;
    let (target, _) = load_target(app, &me.org, &guardian_id).await?;
    edit_contact_details(app, &me.org, &me.me, &target, &change).await?;
    json(200, &guardian_now(app, &me.org, &me.requester(), &guardian_id).await?)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: Option<String>,
    /// The day the secondary's access will end (YYYY-MM-DD), if any.
    access_ends_on: Option<String>,
}

pub async fn invite(app: Rc<App>, me: Customer, id: Path<GuardianId>, body: OptionalJson<InviteBody>) -> ApiResult<Response> {
    send(app, me, id, body, false).await
}

pub async fn resend(app: Rc<App>, me: Customer, id: Path<GuardianId>, body: OptionalJson<InviteBody>) -> ApiResult<Response> {
    send(app, me, id, body, true).await
}

async fn send(
    app: Rc<App>,
    me: Customer,
    Path(guardian_id): Path<GuardianId>,
    OptionalJson(body): OptionalJson<InviteBody>,
    resend: bool,
) -> ApiResult<Response> {
    let app = &*app;
    let requested = body.email.as_deref().map(EmailAddress::parse).transpose()?;
    let ends_on = body.access_ends_on.as_deref().map(parse_ends_on).transpose().map_err(|e| ApiError::from(e).at("access_ends_on"))?;
    if let Some(ends_on) = ends_on {
        set_access_end(app, &me.org, &me.me, &me.options.time_zone, &guardian_id, Some(ends_on))
            .await
            .map_err(|e| if e.field.as_deref() == Some("ends_on") { e.at("access_ends_on") } else { e })?;
    }
    let (target, family) = load_target(app, &me.org, &guardian_id).await?;
    send_invitation(app, &me.org, &me.requester(), &target, &family, requested, resend).await?;
    json(202, &guardian_now(app, &me.org, &me.requester(), &guardian_id).await?)
}

pub async fn revoke(app: Rc<App>, me: Customer, Path(guardian_id): Path<GuardianId>, OptionalJson(body): OptionalJson<RevokeBody>, DryRun(dry_run): DryRun) -> ApiResult<Response> {
    json(200, &revoke_guardian(&app, &me.org, &me.requester(), &guardian_id, body.reason.as_deref(), dry_run).await?)
}

pub async fn set_permissions(app: Rc<App>, me: Customer, Path(guardian_id): Path<GuardianId>, Json(body): Json<PermissionChange>) -> ApiResult<Response> {
    let app = &*app;
    let (target, _) = load_target(app, &me.org, &guardian_id).await?;
    set_guardian_permissions(app, &me.org, &me.me, &target, &body).await?;
    json(200, &guardian_now(app, &me.org, &me.requester(), &guardian_id).await?)
}

pub async fn password_reset(app: Rc<App>, me: Customer, Path(guardian_id): Path<GuardianId>) -> ApiResult<Response> {
    let app = &*app;
    let (target, _) = load_target(app, &me.org, &guardian_id).await?;
    send_password_reset(app, &me.org, &me.requester(), &target).await?;
    json(202, &ResetSent::SENT)
}

/// `{ends_on}`: the day given, or null for none. Required, so that a body that forgot it clears
/// nothing by accident.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEndBody {
    #[serde(deserialize_with = "present_or_null")]
    ends_on: Option<String>,
}

fn present_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// The Primary Guardian sets, extends or clears the day a secondary's access ends.
pub async fn set_access_end_date(app: Rc<App>, me: Customer, Path(guardian_id): Path<GuardianId>, Json(body): Json<AccessEndBody>) -> ApiResult<Response> {
    me.require_primary()?;
    let ends_on = body.ends_on.as_deref().map(parse_ends_on).transpose()?;
    json(200, &set_access_end(&app, &me.org, &me.me, &me.options.time_zone, &guardian_id, ends_on).await?)
}
