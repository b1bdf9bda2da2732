//! Moving an organization between tenant databases: the moves' record in the directory database,
//! and the generic reads, copies and deletes of one organization's rows in a tenant database.

use super::{changes, int, opt_text, text, Arg, Db};
use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// How an organization's rows of a table are found.
#[derive(Clone, Copy)]
enum Owner {
    /// The `organizations` row itself.
    Itself,
    /// An `org_id` column.
    OrgId,
    /// Through the outbox row it records (`outbox_id`).
    Outbox,
    /// Through its import job (`job_id`).
    ImportJob,
    /// Sign-in throttle keys name the organization's slug (`portal_core::throttle`).
    ThrottleKey,
    /// Through the future absence it belongs to (`absence_id`).
    Absence,
    /// Through the sign-in it keeps alive (`session_id`).
    Session,
}

impl Owner {
    /// A condition on the table's rows, with the organization's id as `?1` and its slug as `?2`.
    fn condition(self) -> &'static str {
        match self {
            Owner::Itself => "id = ?1",
            Owner::OrgId => "org_id = ?1",
            Owner::Outbox => "outbox_id IN (SELECT id FROM outbox WHERE org_id = ?1)",
            Owner::ImportJob => "job_id IN (SELECT id FROM import_jobs WHERE org_id = ?1)",
            Owner::Absence => "absence_id IN (SELECT id FROM absences WHERE org_id = ?1)",
            Owner::Session => "session_id IN (SELECT id FROM sessions WHERE org_id = ?1)",
            Owner::ThrottleKey => {
                "(key GLOB 'staff:' || ?2 || ':*' OR key GLOB 'guardian:' || ?2 || ':*' \
                 OR key GLOB 'addr:staff:' || ?2 || ':*' OR key GLOB 'addr:guardian:' || ?2 || ':*')"
            }
        }
    }
}

/// A table that holds rows of organizations: its name, its primary key (what a copy upserts on)
/// and how an organization's rows are found.
pub struct OrganizationTable {
    pub name: &'static str,
    key: &'static str,
    owner: Owner,
}

const fn table(name: &'static str, key: &'static str, owner: Owner) -> OrganizationTable {
    OrganizationTable { name, key, owner }
}

/// Every table of a tenant database, parents before children (D1 enforces foreign keys): a move
/// copies them in this order and deletes in the reverse. A table a migration adds must be listed
/// here: tests/e2e/moving_an_organization.test.mjs compares this list with `sqlite_master`.
pub const ORGANIZATION_TABLES: &[OrganizationTable] = &[
    table("organizations", "id", Owner::Itself),
    table("staff_users", "id", Owner::OrgId),
    table("sessions", "id", Owner::OrgId),
    table("refresh_tokens", "token_hash", Owner::Session),
    table("login_throttle", "key", Owner::ThrottleKey),
    table("audit_log", "id", Owner::OrgId),
    table("outbox", "id", Owner::OrgId),
    table("dev_mailbox", "id", Owner::Outbox),
    table("people", "id", Owner::OrgId),
    table("families", "id", Owner::OrgId),
    table("guardians", "id", Owner::OrgId),
    table("contact_addresses", "id", Owner::OrgId),
    table("contact_emails", "id", Owner::OrgId),
    table("contact_phones", "id", Owner::OrgId),
    table("invitations", "id", Owner::OrgId),
    table("password_resets", "id", Owner::OrgId),
    table("payment_methods", "id", Owner::OrgId),
    table("ledger_entries", "id", Owner::OrgId),
    table("payments", "id", Owner::OrgId),
    table("staff_payments", "id", Owner::OrgId),
    table("sandbox_gateway_calls", "id", Owner::OrgId),
    table("import_jobs", "id", Owner::OrgId),
    table("import_chunks", "job_id, chunk", Owner::ImportJob),
    table("import_results", "job_id, line", Owner::ImportJob),
    table("locations", "id", Owner::OrgId),
    table("classes", "id", Owner::OrgId),
    table("students", "id", Owner::OrgId),
    table("enrollments", "id", Owner::OrgId),
    table("enrollment_requests", "id", Owner::OrgId),
    table("attendance", "id", Owner::OrgId),
    table("absences", "id", Owner::OrgId),
    table("absence_meetings", "absence_id, class_id, date", Owner::Absence),
    table("evaluations", "id", Owner::OrgId),
    table("passes", "id", Owner::OrgId),
    // Changing the login e-mail (issue 26).
    table("email_changes", "id", Owner::OrgId),
];

/// A row as D1 gives it, with its rowid (the cursor of a copy or a verification; each database
/// has its own rowids, so it is never copied).
#[derive(Deserialize)]
pub struct TenantRow {
    move_rowid: i64,
    #[serde(flatten)]
    columns: Map<String, Value>,
}

/// Up to `limit` of the organization's rows of `table` after rowid `after`, in rowid order.
pub async fn read_rows(db: &Db, table: &OrganizationTable, org_id: &str, slug: &str, after: i64, limit: i64) -> ApiResult<Vec<TenantRow>> {
    let sql = format!(
        "SELECT rowid AS move_rowid, * FROM {} WHERE rowid > ?3 AND ({}) ORDER BY rowid LIMIT ?4",
        table.name,
        table.owner.condition()
    );
    db.all(&sql, &[text(org_id), text(slug), int(after), int(limit)]).await
}

/// The last rowid of a batch read: where the next one starts.
pub fn last_rowid(rows: &[TenantRow]) -> Option<i64> {
    rows.last().map(|r| r.move_rowid)
}

fn arg<'a>(column: &str, value: &'a Value) -> ApiResult<Arg<'a>> {
    match value {
        Value::Null => Ok(Arg::Null),
        Value::String(s) => Ok(text(s)),
        Value::Number(n) => n
            .as_i64()
            .map(int)
            .ok_or_else(|| ApiError::internal(format!("column {column} holds a number that is not an integer"))),
        _ => Err(ApiError::internal(format!("column {column} holds a value a move cannot copy"))),
    }
}

/// Writes `rows` into `db` in one batch, each an upsert on the table's primary key: a step run
/// again writes the same rows again, and a row that another key refuses (a unique index) fails
/// the step rather than replacing someone else's row.
pub async fn upsert_rows(db: &Db, table: &OrganizationTable, rows: &[TenantRow]) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut statements = Vec::with_capacity(rows.len());
    for row in rows {
        let columns: Vec<&String> = row.columns.keys().collect();
        let names = columns.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
        let placeholders = (1..=columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let updates = columns.iter().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO {} ({names}) VALUES ({placeholders}) ON CONFLICT ({}) DO UPDATE SET {updates}",
            table.name, table.key
        );
        let args = row.columns.iter().map(|(c, v)| arg(c, v)).collect::<ApiResult<Vec<_>>>()?;
        statements.push(db.stmt(&sql, &args)?);
    }
    db.batch(statements).await.map(|_| ())
}

/// Deletes up to `limit` of the organization's rows of `table`, the newest first (a row may name an
/// older one of its table: an import's apply job its dry run); how many it deleted.
pub async fn delete_rows(db: &Db, table: &OrganizationTable, org_id: &str, slug: &str, limit: i64) -> ApiResult<usize> {
    let sql = format!(
        "DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE ({}) ORDER BY rowid DESC LIMIT ?3)",
        table.owner.condition(),
        t = table.name
    );
    db.run(&sql, &[text(org_id), text(slug), int(limit)]).await
}

/// A table's rows as a verification counts them: how many, and the sum (mod 2^64) of the first
/// 8 bytes of each row's SHA-256 over its columns as JSON. A sum does not depend on the order in
/// which the rows are read, so each side is read in its own rowid order.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub rows: i64,
    pub checksum: u64,
}

impl Tally {
    pub fn add(mut self, rows: &[TenantRow]) -> ApiResult<Tally> {
        for row in rows {
            let json = serde_json::to_string(&row.columns).map_err(|e| ApiError::internal(format!("a row as JSON: {e}")))?;
            let digest = Sha256::digest(json.as_bytes());
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            self.checksum = self.checksum.wrapping_add(u64::from_be_bytes(first));
            self.rows += 1;
        }
        Ok(self)
    }

    pub fn hex(self) -> String {
        format!("{:016x}", self.checksum)
    }

    fn from_hex(rows: i64, hex: &str) -> Tally {
        Tally { rows, checksum: u64::from_str_radix(hex, 16).unwrap_or(0) }
    }
}

// ---- The moves' record (the directory database). ----

/// Where a move is. `status` is what the operator reads; `phase` what the next step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveStatus {
    Copying,
    Verifying,
    Switching,
    Done,
    Failed,
}

impl MoveStatus {
    fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Copying => "copying",
            MoveStatus::Verifying => "verifying",
            MoveStatus::Switching => "switching",
            MoveStatus::Done => "done",
            MoveStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Copying table `table_position` from `source_cursor` on.
    Copy,
    /// Reading both sides of table `table_position` and comparing.
    Verify,
    /// Pointing the directory at the new database (writes still refused).
    Switch,
    /// Once every isolate sees the new database: letting writes in again.
    Release,
    /// Deleting the old copy, table by table from the last.
    Delete,
    /// After a failure: deleting what was copied into the new database.
    Clean,
    Finished,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Copy => "copy",
            Phase::Verify => "verify",
            Phase::Switch => "switch",
            Phase::Release => "release",
            Phase::Delete => "delete",
            Phase::Clean => "clean",
            Phase::Finished => "finished",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct MoveRow {
    pub id: String,
    pub slug: String,
    pub org_id: String,
    pub from_database: String,
    pub to_database: String,
    pub status: MoveStatus,
    pub phase: Phase,
    pub step: i64,
    pub table_position: i64,
    pub source_cursor: i64,
    pub target_cursor: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MoveTableRow {
    pub position: i64,
    pub name: String,
    pub rows_copied: i64,
    source_rows: i64,
    source_checksum: String,
    target_rows: i64,
    target_checksum: String,
    pub rows_verified: i64,
    #[serde(deserialize_with = "super::bool_from_int")]
    verified: bool,
}

impl MoveTableRow {
    pub fn source(&self) -> Tally {
        Tally::from_hex(self.source_rows, &self.source_checksum)
    }
    pub fn target(&self) -> Tally {
        Tally::from_hex(self.target_rows, &self.target_checksum)
    }
    /// The checksum both sides agreed on, once verified.
    pub fn checksum(&self) -> Option<&str> {
        self.verified.then_some(self.target_checksum.as_str())
    }
}

/// A new move: where from and to.
pub struct NewMove<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub org_id: &'a str,
    pub from_database: &'a str,
    pub to_database: &'a str,
}

/// Records a move and marks its organization `moving`, in one batch, only if the directory still
/// has it where the caller found it and no move of it is running: false if it lost that race.
pub async fn start(directory: &Db, new: &NewMove<'_>, now: i64) -> ApiResult<bool> {
    let names: Vec<&str> = ORGANIZATION_TABLES.iter().map(|t| t.name).collect();
    let names = serde_json::to_string(&names).map_err(|e| ApiError::internal(e))?;
    let results = directory
        .batch(vec![
            directory.stmt(
                "INSERT INTO moves (id, slug, org_id, from_database, to_database, status, phase, created_at, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, 'copying', 'copy', ?6, ?6 \
                 WHERE EXISTS (SELECT 1 FROM organizations_directory WHERE slug = ?2 AND org_id = ?3 AND database = ?4 AND moving = 0) \
                 AND NOT EXISTS (SELECT 1 FROM moves WHERE slug = ?2 AND finished_at IS NULL)",
                &[text(new.id), text(new.slug), text(new.org_id), text(new.from_database), text(new.to_database), int(now)],
            )?,
            directory.stmt(
                "INSERT INTO move_tables (move_id, position, name) SELECT ?1, key, value FROM json_each(?2) \
                 WHERE EXISTS (SELECT 1 FROM moves WHERE id = ?1)",
                &[text(new.id), text(&names)],
            )?,
            directory.stmt(
                "UPDATE organizations_directory SET moving = 1 WHERE slug = ?2 \
                 AND EXISTS (SELECT 1 FROM moves WHERE id = ?1)",
                &[text(new.id), text(new.slug)],
            )?,
        ])
        .await?;
    Ok(results.first().map(changes).transpose()?.unwrap_or(0) == 1)
}

const MOVE_COLUMNS: &str = "id, slug, org_id, from_database, to_database, status, phase, step, table_position, \
     source_cursor, target_cursor, error, created_at, updated_at";

pub async fn find(directory: &Db, move_id: &str) -> ApiResult<Option<MoveRow>> {
    directory.first(&format!("SELECT {MOVE_COLUMNS} FROM moves WHERE id = ?1"), &[text(move_id)]).await
}

pub async fn tables(directory: &Db, move_id: &str) -> ApiResult<Vec<MoveTableRow>> {
    directory
        .all(
            "SELECT position, name, rows_copied, source_rows, source_checksum, target_rows, target_checksum, rows_verified, verified \
             FROM move_tables WHERE move_id = ?1 ORDER BY position",
            &[text(move_id)],
        )
        .await
}

/// Moves that have not finished: the databases they read and write.
#[derive(Deserialize)]
pub struct RunningMove {
    pub from_database: String,
    pub to_database: String,
}

pub async fn running(directory: &Db) -> ApiResult<Vec<RunningMove>> {
    directory.all("SELECT from_database, to_database FROM moves WHERE finished_at IS NULL", &[]).await
}

/// Where a move goes next.
pub struct Next<'a> {
    pub status: MoveStatus,
    pub phase: Phase,
    pub table_position: i64,
    pub source_cursor: i64,
    pub target_cursor: i64,
    pub error: Option<&'a str>,
}

/// What a step learnt about its table (absolute figures: a step run twice writes the same).
pub struct TableProgress {
    pub position: i64,
    pub rows_copied: i64,
    pub source: Tally,
    pub target: Tally,
    pub rows_verified: i64,
    pub verified: bool,
}

/// Takes the move from step `step` to the next, with its table's progress, in one batch; false if
/// another delivery of the same step got there first (then it sends nothing further).
pub async fn advance(directory: &Db, m: &MoveRow, next: &Next<'_>, progress: Option<&TableProgress>, now: i64) -> ApiResult<bool> {
    let finished = (next.phase == Phase::Finished).then_some(now);
    let mut statements = vec![directory.stmt(
        "UPDATE moves SET step = step + 1, status = ?3, phase = ?4, table_position = ?5, source_cursor = ?6, \
         target_cursor = ?7, error = COALESCE(?8, error), updated_at = ?9, finished_at = ?10 WHERE id = ?1 AND step = ?2",
        &[
            text(&m.id),
            int(m.step),
            text(next.status.as_str()),
            text(next.phase.as_str()),
            int(next.table_position),
            int(next.source_cursor),
            int(next.target_cursor),
            opt_text(next.error),
            int(now),
            finished.map_or(Arg::Null, int),
        ],
    )?];
    if let Some(p) = progress {
        let (source, target) = (p.source.hex(), p.target.hex());
        statements.push(directory.stmt(
            "UPDATE move_tables SET rows_copied = ?4, source_rows = ?5, source_checksum = ?6, target_rows = ?7, \
             target_checksum = ?8, rows_verified = ?9, verified = ?10 WHERE move_id = ?1 AND position = ?2 \
             AND (SELECT step FROM moves WHERE id = ?1) = ?3",
            &[
                text(&m.id),
                int(p.position),
                int(m.step + 1),
                int(p.rows_copied),
                int(p.source.rows),
                text(&source),
                int(p.target.rows),
                text(&target),
                int(p.rows_verified),
                super::flag(p.verified),
            ],
        )?);
    }
    let results = directory.batch(statements).await?;
    Ok(results.first().map(changes).transpose()?.unwrap_or(0) == 1)
}

/// Points the organization at `to` (still moving) if it is still at `from`.
pub async fn switch_directory(directory: &Db, m: &MoveRow) -> ApiResult<()> {
    directory
        .run(
            "UPDATE organizations_directory SET database = ?3 WHERE slug = ?1 AND database = ?2 AND moving = 1",
            &[text(&m.slug), text(&m.from_database), text(&m.to_database)],
        )
        .await
        .map(|_| ())
}

/// Lets writes in again for the organization in `database`.
pub async fn release_directory(directory: &Db, slug: &str, database: &str) -> ApiResult<()> {
    directory
        .run("UPDATE organizations_directory SET moving = 0 WHERE slug = ?1 AND database = ?2", &[text(slug), text(database)])
        .await
        .map(|_| ())
}

/// Ends a move that copied nothing (its first step could not be queued): failed, and the
/// organization's writes let in again where it is.
pub async fn give_up(directory: &Db, move_id: &str, slug: &str, error: &str, now: i64) -> ApiResult<()> {
    directory
        .batch(vec![
            directory.stmt(
                "UPDATE moves SET status = 'failed', phase = 'finished', error = ?2, updated_at = ?3, finished_at = ?3 WHERE id = ?1",
                &[text(move_id), text(error), int(now)],
            )?,
            directory.stmt("UPDATE organizations_directory SET moving = 0 WHERE slug = ?1", &[text(slug)])?,
        ])
        .await
        .map(|_| ())
}

/// Keeps why a step failed on a move that goes on (after its switch, it cannot be undone).
pub async fn note_error(directory: &Db, move_id: &str, error: &str) -> ApiResult<()> {
    directory.run("UPDATE moves SET error = ?2 WHERE id = ?1", &[text(move_id), text(error)]).await.map(|_| ())
}
