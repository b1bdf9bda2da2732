//! Families in the Office Portal: create, search, read, rename, add contacts, change the primary,
//! merge, and the access history.

use crate::routes::bodies::ContactBody;
use crate::http::{json, Json, Path, Query, Response, Staff};
use portal_core::ids::FamilyId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::commands::access::{FamilyView, GuardianView};
use crate::commands::families;
use crate::error::ApiResult;
use portal_core::family::parse_family_name;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFamily {
    name: String,
    primary_guardian: ContactBody,
}

pub async fn create(app: Rc<App>, staff: Staff, Json(body): Json<NewFamily>) -> ApiResult<Response> {
    let name = parse_family_name(&body.name)?;
    let primary = body.primary_guardian.parse()?;
    let family_id = families::create(&app, &staff.org, &staff.requester(), name, primary).await?;
    family_response(&app, &staff, 201, &family_id).await
}

/// The family as it is now, with its guardians as this staff member sees them.
async fn family_response(app: &App, staff: &Staff, status: u16, family_id: &str) -> ApiResult<Response> {
    let (family, guardians) = families::with_guardians(app, &staff.org.id, family_id).await?;
    json(status, &FamilyView::of(&family, &guardians, &staff.requester(), app.now()))
}

pub async fn show(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    family_response(&app, &staff, 200, &family_id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    name: String,
}

pub async fn rename(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<Rename>) -> ApiResult<Response> {
    families::rename(&app, &staff.org, &staff.requester(), &family_id, &body.name).await?;
    family_response(&app, &staff, 200, &family_id).await
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct FamilyList {
    families: Vec<FamilyView>,
}

pub async fn search(app: Rc<App>, staff: Staff, Query(SearchQuery { q }): Query<SearchQuery>) -> ApiResult<Response> {
    let found = families::search(&app, &staff.org.id, &q).await?;
    let viewer = staff.requester();
    let families = found.iter().map(|(f, guardians)| FamilyView::of(f, guardians, &viewer, app.now())).collect();
    json(200, &FamilyList { families })
}

pub async fn add_guardian(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<ContactBody>) -> ApiResult<Response> {
    let contact = body.parse()?;
    let guardian = families::add_guardian(&app, &staff.org, &staff.requester(), &family_id, &contact).await?;
    json(201, &GuardianView::of(&guardian, &staff.requester(), app.now()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPrimary {
    guardian_id: String,
}

/// Changing the Primary Guardian revokes every other guardian's access, the former primary's too.
pub async fn change_primary(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewPrimary>) -> ApiResult<Response> {
    families::change_primary(&app, &staff.org, &staff.requester(), &family_id, &body.guardian_id).await?;
    family_response(&app, &staff, 200, &family_id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    from_family_ids: Vec<String>,
}

/// The Family Merge tool: the named families are merged into this one.
pub async fn merge(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<MergeBody>) -> ApiResult<Response> {
    families::merge(&app, &staff.org, &staff.requester(), &family_id, &body.from_family_ids).await?;
    family_response(&app, &staff, 200, &family_id).await
}

/// The access history: every access change of a family and/or a guardian, newest first.
#[derive(Deserialize)]
pub struct AuditQuery {
    family_id: Option<String>,
    guardian_id: Option<String>,
}

pub async fn audit(app: Rc<App>, staff: Staff, Query(query): Query<AuditQuery>) -> ApiResult<Response> {
    let family_id = query.family_id.filter(|s| !s.is_empty());
    let guardian_id = query.guardian_id.filter(|s| !s.is_empty());
    json(200, &families::history(&app, &staff.org.id, family_id.as_deref(), guardian_id.as_deref()).await?)
}
