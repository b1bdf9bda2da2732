//! Organizations, as the platform operator creates them.

use crate::adapters::crypto::{hash_password, new_id};
use crate::adapters::switch;
use crate::app::App;
use crate::error::ApiResult;
use crate::store::{audit, organizations, outbox, staff};
use portal_core::audit::{Actor, AuditEntry};
use portal_core::email::EmailAddress;
use portal_core::notification::Notification;
use portal_core::organization::{OrganizationError, Slug, StaffRole};
use portal_core::password::NewPassword;

/// A new organization and its owner, parsed.
pub struct NewOrganization {
    pub slug: Slug,
    pub name: String,
    pub owner_email: EmailAddress,
    pub owner_password: NewPassword,
}

/// Creates the organization (its portal on) with its owner, and welcomes the owner by e-mail.
/// Answers the organization's id; a slug already in use is 409 `slug_taken`.
pub async fn create(app: &App, new: &NewOrganization) -> ApiResult<String> {
    let slug = new.slug.as_str();
    let slug_taken = || OrganizationError::SlugTaken(slug.into());
    // Any answer for the slug, on or off, means an organization has it.
    if organizations::portal_enabled(&app.db, slug).await?.is_some() {
        return Err(slug_taken().into());
    }
    let password_hash = hash_password(new.owner_password.as_str(), app.config.password_cost).await?;

    let (org_id, owner_id) = (new_id("org")?, new_id("stf")?);
    let created = AuditEntry {
        actor: Actor::platform(),
        action: "organization_created".into(),
        target_kind: "organization".into(),
        target_id: org_id.clone(),
        target_label: Some(new.name.clone()),
        family_id: None,
        reason: None,
    };
    let welcome = Notification::OrganizationWelcome {
        to: new.owner_email.as_str().into(),
        org_name: new.name.clone(),
        org_slug: slug.into(),
    };
    let (db, now) = (&app.db, app.now());
    let welcome_row = outbox::insert_email(db, Some(&org_id), &welcome, &app.config.public_base_url, now, None)?;
    let statements = vec![
        organizations::insert(db, &org_id, slug, &new.name, now)?,
        staff::insert(db, &owner_id, &org_id, new.owner_email.as_str(), &password_hash, StaffRole::Owner, now)?,
        audit::insert(db, &org_id, &created, now, None)?,
        welcome_row.statement,
    ];
    if let Err(e) = app.commit(statements, &[welcome_row.id]).await {
        // Two creations of the same slug at once: the UNIQUE constraint lets one win.
        if organizations::portal_enabled(db, slug).await?.is_some() {
            return Err(slug_taken().into());
        }
        return Err(e);
    }
    switch::publish(app, slug, true).await;
    Ok(org_id)
}
