//! The directory (the `DIRECTORY` database): which tenant database holds which organization. It is
//! the truth; KV mirrors it and each isolate remembers it (adapters::directory). Also the two
//! questions the platform asks a tenant database about itself.

use super::{bool_from_int, int, rows, text, Db};
use crate::error::{ApiError, ApiResult};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an organization lives. `org_id` is none while its creation has not finished (the slug is
/// claimed first: the directory is what keeps a slug unique across databases).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placement {
    pub org_id: Option<String>,
    pub database: String,
    pub moving: bool,
}

#[derive(Deserialize)]
struct DirectoryRow {
    org_id: Option<String>,
    database: String,
    #[serde(deserialize_with = "bool_from_int")]
    moving: bool,
}

impl From<DirectoryRow> for Placement {
    fn from(r: DirectoryRow) -> Self {
        Placement { org_id: r.org_id, database: r.database, moving: r.moving }
    }
}

const FIND: &str = "SELECT org_id, database, moving FROM organizations_directory WHERE slug = ?1";

pub async fn find(directory: &Db, slug: &str) -> ApiResult<Option<Placement>> {
    Ok(directory.first::<DirectoryRow>(FIND, &[text(slug)]).await?.map(Placement::from))
}

/// Claims `slug` for a new organization on `database`, or finds who has it: an earlier claim wins
/// (its database stays the slug's), so two creations of one slug meet in one database.
pub async fn claim(directory: &Db, slug: &str, database: &str, now: Timestamp) -> ApiResult<Placement> {
    let results = directory
        .batch(vec![
            directory.stmt(
                "INSERT INTO organizations_directory (slug, database, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (slug) DO NOTHING",
                &[text(slug), text(database), int(now.millis())],
            )?,
            directory.stmt(FIND, &[text(slug)])?,
        ])
        .await?;
    let found: Vec<DirectoryRow> = results.get(1).map(rows).transpose()?.unwrap_or_default();
    found.into_iter().next().map(Placement::from).ok_or_else(|| ApiError::internal("a claimed slug is not in the directory"))
}

/// Completes a claim: the organization's id, once its rows are in its database.
pub async fn set_org_id(directory: &Db, slug: &str, org_id: &str) -> ApiResult<()> {
    directory
        .run("UPDATE organizations_directory SET org_id = ?2 WHERE slug = ?1", &[text(slug), text(org_id)])
        .await
        .map(|_| ())
}

/// An organization as its own database has it.
#[derive(Deserialize)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
}

pub async fn organization(db: &Db, slug: &str) -> ApiResult<Option<OrganizationRow>> {
    db.first("SELECT id, name FROM organizations WHERE slug = ?1", &[text(slug)]).await
}

/// How full a tenant database is: its organizations, and its size in bytes as D1 reports it after
/// a query (`meta.size_after`: the database file's size, which is what D1's 10 GB limit counts).
pub struct Usage {
    pub organizations: i64,
    pub approx_bytes: i64,
}

pub async fn usage(db: &Db) -> ApiResult<Usage> {
    #[derive(Deserialize)]
    struct Count {
        organizations: i64,
    }
    let result = db.stmt("SELECT COUNT(*) AS organizations FROM organizations", &[])?.all().await?;
    let organizations = rows::<Count>(&result)?.first().map_or(0, |c| c.organizations);
    let approx_bytes = result.meta()?.and_then(|m| m.size_after).unwrap_or(0) as i64;
    Ok(Usage { organizations, approx_bytes })
}

/// Where the organization with id `org_id` lives (the jobs Worker knows an outbox row's
/// organization by its id).
pub async fn find_by_org_id(directory: &Db, org_id: &str) -> ApiResult<Option<(String, Placement)>> {
    #[derive(Deserialize)]
    struct Row {
        slug: String,
        database: String,
        #[serde(deserialize_with = "bool_from_int")]
        moving: bool,
    }
    let row: Option<Row> = directory
        .first("SELECT slug, database, moving FROM organizations_directory WHERE org_id = ?1", &[text(org_id)])
        .await?;
    Ok(row.map(|r| (r.slug, Placement { org_id: Some(org_id.to_string()), database: r.database, moving: r.moving })))
}
