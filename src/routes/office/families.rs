//! Families in the Office Portal: create, search, read, add contacts.

use crate::http::{json, Json, Path, Query, Staff};
use portal_core::family::FamilyStatus;
use portal_core::ids::FamilyId;
use serde::Deserialize;
use serde_json::json;
use std::rc::Rc;

use crate::commands::access::{batch_claiming_email, email_in_use, family_json, guardian_json, send_invitation};
use crate::app::App;
use crate::commands::operations;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use crate::store::families::{self, FamilyRow};
use crate::store::{audit, text};
use portal_core::audit::AuditEntry;
use portal_core::operations::OperationError;
use portal_core::family::{parse_family_name, Contact};
use worker::Response;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactBody {
    pub fn parse(&self) -> ApiResult<Contact> {
        Ok(Contact::parse(&self.first_name, &self.last_name, self.email.as_deref(), self.phone.as_deref())?)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFamily {
    name: String,
    primary_guardian: ContactBody,
}

pub async fn create(app: Rc<App>, staff: Staff, Json(body): Json<NewFamily>) -> ApiResult<Response> {
    let app = &*app;
    let name = parse_family_name(&body.name)?;
    let contact = body.primary_guardian.parse()?;
    let Some(email) = contact.email.clone() else {
        return Err(ApiError::invalid_field("The primary guardian needs an e-mail address."));
    };
    if families::email_in_use(&app.db, &staff.org.id, email.as_str(), None).await? {
        return Err(email_in_use());
    }
    let (family_id, guardian_id) = (new_id("fam")?, new_id("gdn")?);
    let created = AuditEntry {
        actor: staff.actor(),
        action: "family_created".into(),
        target_kind: "family".into(),
        target_id: family_id.clone(),
        target_label: Some(name.clone()),
        family_id: Some(family_id.clone()),
        reason: None,
    };
    let statements = vec![
        families::insert_family(&app.db, &family_id, &staff.org.id, &name, &guardian_id, app.now)?,
        families::insert_guardian(&app.db, &guardian_id, &staff.org.id, &family_id, &contact, app.now)?,
        audit::insert(&app.db, &staff.org.id, &created, app.now, None)?,
    ];
    batch_claiming_email(app, &staff.org.id, Some(email.as_str()), None, statements).await?;
    if auto_invite_new_contacts(app, &staff.org.id).await? {
        let (guardian, family) = crate::commands::access::load_target(app, &staff.org, &guardian_id).await?;
        send_invitation(app, &staff.org, &staff.requester(), &guardian, &family, None, false).await?;
    }
    family_response(app, &staff, 201, &family_id).await
}

/// The organization setting "portal access for new contacts": invite the primary at once.
async fn auto_invite_new_contacts(app: &App, org_id: &str) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Row {
        auto_portal_access_for_new_contacts: i64,
    }
    let row: Option<Row> = app
        .db
        .first("SELECT auto_portal_access_for_new_contacts FROM organizations WHERE id = ?1", &[text(org_id)])
        .await?;
    Ok(row.is_some_and(|r| r.auto_portal_access_for_new_contacts != 0))
}

async fn family_response(app: &App, staff: &Staff, status: u16, family_id: &str) -> ApiResult<Response> {
    let family = families::find_family(&app.db, &staff.org.id, &family_id)
        .await?
        .ok_or_else(|| ApiError::not_found("family_not_found", "No family with that id."))?;
    let guardians = families::family_guardians(&app.db, family_id).await?;
    json(status, &family_json(&family, &guardians, &staff.requester(), app.now))
}

pub async fn show(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let app = &*app;
    family_response(app, &staff, 200, &family_id).await
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(app: Rc<App>, staff: Staff, Query(SearchQuery { q }): Query<SearchQuery>) -> ApiResult<Response> {
    let app = &*app;
    if q.chars().count() > 100 {
        return Err(ApiError::invalid_field("The search text must be at most 100 characters."));
    }
    let found: Vec<FamilyRow> = families::search(&app.db, &staff.org.id, q.trim(), 100).await?;
    // One query per 90 families for all their guardians, not one per family.
    let mut by_family: std::collections::HashMap<String, Vec<families::GuardianRow>> = std::collections::HashMap::new();
    let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    for part in ids.chunks(families::IDS_PER_QUERY) {
        for g in families::guardians_of_families(&app.db, part).await? {
            by_family.entry(g.family_id.clone()).or_default().push(g);
        }
    }
    let out: Vec<_> = found
        .iter()
        .map(|f| family_json(f, by_family.get(&f.id).map_or(&[][..], Vec::as_slice), &staff.requester(), app.now))
        .collect();
    json(200, &json!({ "families": out }))
}

/// A family staff may still change: 404 if unknown here, 409 if it was merged into another.
pub async fn active_family(app: &App, org_id: &str, family_id: &str) -> ApiResult<FamilyRow> {
    let family = families::find_family(&app.db, org_id, family_id).await?.ok_or(OperationError::FamilyNotFound)?;
    if family.status == FamilyStatus::Merged {
        return Err(OperationError::FamilyMerged(family.name).into());
    }
    Ok(family)
}

pub async fn add_guardian(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<ContactBody>) -> ApiResult<Response> {
    let app = &*app;
    let contact = body.parse()?;
    let family = active_family(app, &staff.org.id, &family_id).await?;
    let guardian = crate::commands::access::add_contact(app, &staff.org, &staff.requester(), &family, &contact).await?;
    json(201, &guardian_json(&guardian, &staff.requester(), app.now))
}

fn family_not_found() -> ApiError {
    ApiError::not_found("family_not_found", "No family with that id.")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPrimary {
    guardian_id: String,
}

/// Changing the Primary Guardian revokes every other guardian's access, the former primary's too.
pub async fn change_primary(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<NewPrimary>) -> ApiResult<Response> {
    let app = &*app;
    let family = families::find_family(&app.db, &staff.org.id, &family_id).await?.ok_or_else(family_not_found)?;
    operations::change_primary(app, &staff.org, &staff.requester(), &family, &body.guardian_id).await?;
    family_response(app, &staff, 200, &family_id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    from_family_ids: Vec<String>,
}

/// The Family Merge tool: the named families are merged into this one.
pub async fn merge(app: Rc<App>, staff: Staff, Path(family_id): Path<FamilyId>, Json(body): Json<MergeBody>) -> ApiResult<Response> {
    let app = &*app;
    if body.from_family_ids.len() > operations::MAX_MERGE_SOURCES {
        return Err(ApiError::invalid_field(format!(
            "At most {} families can be merged at once.",
            operations::MAX_MERGE_SOURCES
        )));
    }
    let target = families::find_family(&app.db, &staff.org.id, &family_id).await?.ok_or_else(family_not_found)?;
    let mut sources = Vec::new();
    for id in &body.from_family_ids {
        // Another organization's family is simply not found.
        sources.push(families::find_family(&app.db, &staff.org.id, id).await?.ok_or_else(family_not_found)?);
    }
    operations::merge(app, &staff.org, &staff.requester(), &target, &sources).await?;
    family_response(app, &staff, 200, &family_id).await
}

/// The access history: every access change of a family and/or a guardian, newest first.
#[derive(Deserialize)]
pub struct AuditQuery {
    family_id: Option<String>,
    guardian_id: Option<String>,
}

pub async fn audit(app: Rc<App>, staff: Staff, Query(query): Query<AuditQuery>) -> ApiResult<Response> {
    let app = &*app;
    let family_id = query.family_id.filter(|s| !s.is_empty());
    let guardian_id = query.guardian_id.filter(|s| !s.is_empty());
    if let Some(f) = &family_id {
        families::find_family(&app.db, &staff.org.id, f).await?.ok_or_else(family_not_found)?;
    }
    if let Some(g) = &guardian_id {
        families::find_guardian(&app.db, &staff.org.id, g)
            .await?
            .ok_or_else(|| ApiError::from(portal_core::access::AccessError::GuardianNotFound))?;
    }
    let entries = audit::history(&app.db, &staff.org.id, family_id.as_deref(), guardian_id.as_deref()).await?;
    json(200, &json!({ "entries": entries }))
}
