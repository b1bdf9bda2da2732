//! Families as staff keep them in the Office Portal: create one with its primary guardian, find
//! them, change and merge them, read their access history, and post to their ledger.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::access::{self, send_invitation, OrgContext};
use crate::commands::operations::{self, MAX_MERGE_SOURCES};
use crate::commands::payments;
use crate::error::{ApiError, ApiResult};
use crate::store::families::{self, FamilyRow, GuardianRow};
use crate::store::payments::{self as ledger, EntryRow, NewEntry};
use crate::store::audit::{self, HistoryRow};
use crate::store::operations::family_changed_by;
use crate::store::{organizations, won};
use portal_core::access::{AccessError, AccessStatus, Requester};
use portal_core::ids::FamilyId;
use portal_core::audit::AuditEntry;
use portal_core::family::{parse_family_name, Contact};
use portal_core::operations::OperationError;
use portal_core::payments::{EntryKind, HistoryWindow, LedgerPost};
use portal_core::time::Timestamp;
use serde::Serialize;

/// Creates a family with its primary guardian and answers the family's id. With the organization's
/// "portal access for new contacts" on, the primary is invited at once.
pub async fn create(app: &App, org: &OrgContext, requester: &Requester, name: String, primary: Contact) -> ApiResult<String> {
    // The address may already be a guardian's in another family: one person, several families.
    if primary.email.is_none() {
        return Err(ApiError::invalid_field("primary_guardian.email", "The primary guardian needs an e-mail address."));
    }
    let (family_id, guardian_id) = (new_id("fam")?, new_id("gdn")?);
    let created = AuditEntry {
        actor: requester.actor(),
        action: "family_created".into(),
        target_kind: "family".into(),
        target_id: family_id.clone(),
        target_label: Some(name.clone()),
        family_id: Some(family_id.clone()),
        reason: None,
    };
    let statements = vec![
        families::insert_family(&app.db, &family_id, &org.id, &name, &guardian_id, app.now())?,
        families::insert_guardian(&app.db, &guardian_id, &org.id, &family_id, &primary, app.now())?,
        audit::insert(&app.db, &org.id, &created, app.now(), None)?,
    ];
    app.db.batch(statements).await?;
    let auto_invite = organizations::portal_options(&app.db, &org.id).await?.is_some_and(|o| o.auto_portal_access_for_new_contacts);
    if auto_invite {
        let (guardian, family) = access::load_target(app, org, &guardian_id).await?;
        send_invitation(app, org, requester, &guardian, &family, None, false).await?;
    }
    Ok(family_id)
}

/// A family of this organization (another organization's is simply not found), merged or not.
pub async fn find(app: &App, org_id: &str, family_id: &str) -> ApiResult<FamilyRow> {
    Ok(families::find_family(&app.db, org_id, family_id).await?.ok_or(OperationError::FamilyNotFound)?)
}

/// A family with its guardians, primary first.
pub async fn with_guardians(app: &App, org_id: &str, family_id: &str) -> ApiResult<(FamilyRow, Vec<GuardianRow>)> {
    let family = find(app, org_id, family_id).await?;
    let guardians = families::family_guardians(&app.db, &family.id).await?;
    Ok((family, guardians))
}

/// A family staff may still change: 404 if unknown here, 409 if it was merged into another.
pub async fn active_family(app: &App, org_id: &str, family_id: &str) -> ApiResult<FamilyRow> {
    families::find_active_family(&app.db, org_id, family_id).await
}

/// The longest search text: it becomes a `LIKE` pattern.
const MAX_SEARCH_CHARS: usize = 100;
/// The most families one search answers.
const MAX_SEARCH_RESULTS: i64 = 100;

/// Families whose name, or a guardian's name or e-mail, contains `q` (all when blank), each with
/// its guardians.
pub async fn search(app: &App, org_id: &str, q: &str) -> ApiResult<Vec<(FamilyRow, Vec<GuardianRow>)>> {
    search_from(app, org_id, q, MAX_SEARCH_RESULTS, 0).await
}

async fn search_from(app: &App, org_id: &str, q: &str, limit: i64, offset: i64) -> ApiResult<Vec<(FamilyRow, Vec<GuardianRow>)>> {
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::invalid_field("q", format!("The search text must be at most {MAX_SEARCH_CHARS} characters.")));
    }
    let found = families::search(&app.db, org_id, q.trim(), limit, offset).await?;
    let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    let mut by_family = families::guardians_by_family(&app.db, &ids).await?;
    Ok(found
        .into_iter()
        .map(|f| {
            let guardians = by_family.remove(&f.id).unwrap_or_default();
            (f, guardians)
        })
        .collect())
}

/// How many families one page of FAMILIES lists.
pub const FAMILIES_PER_PAGE: i64 = 25;

/// One row of FAMILIES: the family, its Primary Guardian, and how many of its guardians can log in.
#[derive(Serialize)]
pub struct FamilyListing {
    pub can_log_in: usize,
    pub guardians: usize,
    pub id: FamilyId,
    pub name: String,
    pub primary_email: Option<String>,
    pub primary_name: String,
}

/// A page of FAMILIES (1-based `page`) and whether another follows: one more row is read to
/// know, so no count of a large organization is needed.
pub struct FamiliesPage {
    pub families: Vec<FamilyListing>,
    pub page: i64,
    pub has_next: bool,
}

pub async fn families_page(app: &App, org_id: &str, q: &str, page: i64) -> ApiResult<FamiliesPage> {
    let page = page.max(1);
    let mut found = search_from(app, org_id, q, FAMILIES_PER_PAGE + 1, (page - 1) * FAMILIES_PER_PAGE).await?;
    let has_next = found.len() as i64 > FAMILIES_PER_PAGE;
    found.truncate(FAMILIES_PER_PAGE as usize);
    let now = app.now();
    let families = found
        .into_iter()
        .map(|(family, guardians)| {
            let primary = guardians.iter().find(|g| g.id == family.primary_guardian_id);
            FamilyListing {
                can_log_in: guardians.iter().filter(|g| g.status(now) == AccessStatus::CanLogIn).count(),
                guardians: guardians.len(),
                id: FamilyId(family.id),
                name: family.name,
                primary_email: primary.and_then(|g| g.email.clone()),
                primary_name: primary.map(|g| format!("{} {}", g.first_name, g.last_name)).unwrap_or_default(),
            }
        })
        .collect();
    Ok(FamiliesPage { families, page, has_next })
}

/// Adds a contact without access to a family staff may still change.
pub async fn add_guardian(app: &App, org: &OrgContext, requester: &Requester, family_id: &str, contact: &Contact) -> ApiResult<GuardianRow> {
    let family = active_family(app, &org.id, family_id).await?;
    access::add_contact(app, org, requester, &family, contact).await
}

/// Staff rename a family that is still active (404 unknown here, 409 merged); `name` as typed
/// (422 `name` unless one line of 1 to 120 characters). The access history records the change
/// with the former name.
pub async fn rename(app: &App, org: &OrgContext, requester: &Requester, family_id: &str, name: &str) -> ApiResult<()> {
    let name = parse_family_name(name)?;
    let name = name.as_str();
    let family = active_family(app, &org.id, family_id).await?;
    if family.name == name {
        return Ok(());
    }
    let change_id = new_id("chg")?;
    let renamed = AuditEntry {
        actor: requester.actor(),
        action: "family_renamed".into(),
        target_kind: "family".into(),
        target_id: family.id.clone(),
        target_label: Some(name.to_string()),
        family_id: Some(family.id.clone()),
        reason: Some(format!("Formerly {}.", family.name)),
    };
    let statements = vec![
        families::rename_family(&app.db, &org.id, &family.id, name, &change_id, app.now())?,
        audit::insert(&app.db, &org.id, &renamed, app.now(), Some(family_changed_by(&family.id, &change_id)))?,
    ];
    let results = app.db.batch(statements).await?;
    if !won(&results, 0)? {
        // Merged between the read and the write.
        active_family(app, &org.id, family_id).await?;
        return Err(OperationError::Conflict.into());
    }
    Ok(())
}

/// Makes another guardian of the family its primary (see `operations::change_primary`).
pub async fn change_primary(app: &App, org: &OrgContext, requester: &Requester, family_id: &str, new_primary_id: &str) -> ApiResult<()> {
    let family = find(app, &org.id, family_id).await?;
    operations::change_primary(app, org, requester, &family, new_primary_id).await
}

/// The Family Merge tool: the families `from` are merged into `family_id`.
pub async fn merge(app: &App, org: &OrgContext, requester: &Requester, family_id: &str, from: &[String]) -> ApiResult<()> {
    if from.len() > MAX_MERGE_SOURCES {
        return Err(ApiError::invalid_field("from_family_ids", format!("At most {MAX_MERGE_SOURCES} families can be merged at once.")));
    }
    let target = find(app, &org.id, family_id).await?;
    let mut sources = Vec::with_capacity(from.len());
    for id in from {
        sources.push(find(app, &org.id, id).await?);
    }
    operations::merge(app, org, requester, &target, &sources).await
}

/// The access history as the API answers it: `{"entries": [...]}`, newest first.
#[derive(Serialize)]
pub struct AccessHistory {
    pub entries: Vec<HistoryEntry>,
}

/// One access change as the history shows it. Field order is the API's (alphabetical).
#[derive(Serialize)]
pub struct HistoryEntry {
    pub action: String,
    /// Who made the change, as they were named then.
    pub actor: String,
    pub actor_kind: String,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    pub reason: Option<String>,
    /// What the change was about, by name (by id when it had none).
    pub target: String,
    pub target_id: String,
    pub target_kind: String,
}

fn rfc3339<S: serde::Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339())
}

impl From<HistoryRow> for HistoryEntry {
    fn from(r: HistoryRow) -> Self {
        HistoryEntry {
            action: r.action,
            actor: r.actor_label,
            actor_kind: r.actor_kind,
            at: Timestamp(r.at),
            reason: r.reason,
            target: r.target_label.unwrap_or_else(|| r.target_id.clone()),
            target_id: r.target_id,
            target_kind: r.target_kind,
        }
    }
}

/// The access history of a family and/or a guardian (the whole organization's without either),
/// newest first. A family or guardian that is not this organization's is not found.
pub async fn history(app: &App, org_id: &str, family_id: Option<&str>, guardian_id: Option<&str>) -> ApiResult<AccessHistory> {
    if let Some(f) = family_id {
        find(app, org_id, f).await?;
    }
    if let Some(g) = guardian_id {
        families::find_guardian(&app.db, org_id, g).await?.ok_or(AccessError::GuardianNotFound)?;
    }
    entries(app, org_id, family_id, guardian_id).await
}

/// The access history of the signed-in guardian's own family, for its Primary Guardian.
pub async fn family_history(app: &App, org_id: &str, family_id: &str) -> ApiResult<AccessHistory> {
    entries(app, org_id, Some(family_id), None).await
}

async fn entries(app: &App, org_id: &str, family_id: Option<&str>, guardian_id: Option<&str>) -> ApiResult<AccessHistory> {
    let rows = audit::history(&app.db, org_id, family_id, guardian_id).await?;
    Ok(AccessHistory { entries: rows.into_iter().map(HistoryEntry::from).collect() })
}

/// Staff post a charge or a refund to a family's ledger (payments come from the family).
pub async fn post_to_ledger(app: &App, org_id: &str, requester: &Requester, family_id: &str, post: LedgerPost) -> ApiResult<EntryRow> {
    let family = active_family(app, org_id, family_id).await?;
    if let Some(location) = &post.location_id {
        if crate::store::enrollments::find_location(&app.db, org_id, location).await?.is_none() {
            return Err(ApiError::invalid_field("location_id", "location_id names no location of this organization."));
        }
    }
    let id = new_id("led")?;
    let actor = requester.actor();
    let entry = NewEntry {
        id: &id,
        org_id,
        family_id: &family.id,
        kind: post.kind,
        amount_cents: post.amount_cents,
        description: &post.description,
        posted_by: &actor,
        payment_id: None,
        location_id: post.location_id.as_deref(),
    };
    app.db.batch(vec![ledger::insert_entry(&app.db, &entry, app.now())?]).await?;
    Ok(EntryRow {
        id,
        kind: post.kind.as_str().into(),
        amount_cents: post.amount_cents,
        description: post.description,
        at: app.now().millis(),
    })
}

/// A family's whole ledger as staff read it, merged or not.
pub struct FamilyLedger {
    pub family_id: String,
    pub balance: payments::BalanceView,
    /// Newest first, of one kind or all.
    pub entries: Vec<EntryRow>,
}

pub async fn ledger(app: &App, org_id: &str, family_id: &str, kind: Option<EntryKind>) -> ApiResult<FamilyLedger> {
    let family = find(app, org_id, family_id).await?;
    let window = HistoryWindow { from: Timestamp(0), to: app.now(), full_history: true };
    let entries = ledger::entries(&app.db, &family.id, kind, &window, payments::MAX_HISTORY_ENTRIES).await?;
    let balance = payments::family_balance(app, &family.id).await?;
    Ok(FamilyLedger { family_id: family.id, balance, entries })
}
