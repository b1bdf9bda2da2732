//! Moving an organization to another tenant database (the operator's command): starting a move
//! and reading where it is. The jobs Worker carries it out one step (one queue message) at a time
//! (jobs::move_org).

use crate::adapters::crypto::new_id;
use crate::adapters::directory::{self, directory_db};
use crate::app::{App, JOBS_BINDING};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::directory::{self as store_directory, Placement};
use crate::store::moves::{self, MoveStatus, NewMove};
use serde::{Deserialize, Serialize};
use worker::MessageBuilder;

/// The queue message of one step of a move. `step` must be the move's current step: a message
/// delivered twice, or one the move has passed, does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveStep {
    pub move_id: String,
    pub step: i64,
    /// Deliveries of this step that failed so far: after a few the move is given up.
    #[serde(default)]
    pub failures: u32,
}

/// How long until every isolate sees a directory change: KV's propagation (up to a minute) and
/// then an isolate's memory of it (5 s). A move copies nothing before its organization's writes
/// have been refused that long, and lets writes in at the new database only once no isolate can
/// still send them to the old one (`DIRECTORY_SETTLE_SECONDS`, shorter in tests).
pub fn settle_seconds(app: &App) -> i64 {
    app.env
        .var("DIRECTORY_SETTLE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|s| *s >= 0)
        .unwrap_or(65)
}

/// Sends a move's step `step`, to be delivered after `delay_seconds`.
pub async fn send_step(app: &App, move_id: &str, step: i64, delay_seconds: i64) -> ApiResult<()> {
    send(app, MoveStep { move_id: move_id.to_string(), step, failures: 0 }, delay_seconds).await
}

/// Sends a step's message, to be delivered after `delay_seconds`.
pub async fn send(app: &App, step: MoveStep, delay_seconds: i64) -> ApiResult<()> {
    let queue = app.env.queue(JOBS_BINDING)?;
    let message = MessageBuilder::new(step)
        .delay_seconds(delay_seconds.clamp(0, 43_200) as u32)
        .build();
    Ok(queue.send(message).await?)
}

#[derive(Serialize)]
pub struct StartedMove {
    pub move_id: String,
}

/// Starts moving organization `slug` to tenant database `to_database`: 404 for an organization
/// the directory does not know, 422 for a database that is not bound or is the one it is in, 409
/// while a move of it is running. From here its writes are refused (503 `organization_moving`).
pub async fn start(app: &App, slug: &str, to_database: &str) -> ApiResult<StartedMove> {
    let directory_db = directory_db(app);
    let not_found = || ApiError::not_found(ErrorCode::OrganizationNotFound, "There is no such organization.");
    let placement = store_directory::find(&directory_db, slug).await?.ok_or_else(not_found)?;
    let org_id = placement.org_id.clone().ok_or_else(not_found)?;
    let to = app
        .config
        .database(to_database)
        .ok_or_else(|| ApiError::invalid_field("to_database", "There is no tenant database of that name."))?;
    if placement.moving {
        return Err(already_moving());
    }
    if to.name() == placement.database {
        return Err(ApiError::invalid_field("to_database", "The organization is already in that database."));
    }
    let move_id = new_id("mov")?;
    let new = NewMove { id: &move_id, slug, org_id: &org_id, from_database: &placement.database, to_database: to.name() };
    if !moves::start(&directory_db, &new, app.now().millis()).await? {
        return Err(already_moving()); // another move (or a change of the directory) got there first
    }
    let moving = Placement { moving: true, ..placement.clone() };
    directory::publish(app, slug, &moving).await;
    // The first copy waits until every isolate refuses the organization's writes.
    if let Err(e) = send_step(app, &move_id, 0, settle_seconds(app)).await {
        // Nothing was copied: give the organization its writes back and say so.
        let _ = moves::give_up(&directory_db, &move_id, slug, "The move could not be queued.", app.now().millis()).await;
        directory::publish(app, slug, &placement).await;
        return Err(e);
    }
    Ok(StartedMove { move_id })
}

fn already_moving() -> ApiError {
    ApiError::conflict(ErrorCode::OrganizationMoving, "A move of this organization is already running.")
}

/// A move as the operator reads it.
#[derive(Serialize)]
pub struct MoveView {
    pub status: MoveStatus,
    pub tables: Vec<MoveTableView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct MoveTableView {
    pub name: String,
    pub rows_copied: i64,
    pub rows_verified: i64,
    /// The checksum both databases agreed on (hex), once the table is verified.
    pub checksum: Option<String>,
}

pub async fn view(app: &App, move_id: &str) -> ApiResult<MoveView> {
    let directory_db = directory_db(app);
    let m = moves::find(&directory_db, move_id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::MoveNotFound, "There is no such move."))?;
    let tables = moves::tables(&directory_db, move_id)
        .await?
        .into_iter()
        .map(|t| MoveTableView {
            checksum: t.checksum().map(str::to_string),
            name: t.name,
            rows_copied: t.rows_copied,
            rows_verified: t.rows_verified,
        })
        .collect();
    Ok(MoveView { status: m.status, tables, error: m.error })
}
