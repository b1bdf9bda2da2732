//! Scheduled maintenance windows on the organization's row. Staff set and cancel them; the cron
//! only tidies (ends the sessions begun before the start, records the start and the end); every
//! reader of the switch compares the window's times with now itself.

use super::sessions::{end_sessions, end_sessions_sql};
use super::{bool_from_int, int, opt_text, text, Db};
use crate::error::ApiResult;
use portal_core::maintenance::MaintenanceWindow;
use portal_core::time::Timestamp;
use serde::Deserialize;
use super::window::WindowColumns;
use worker::D1PreparedStatement;

/// The switch of an organization as the gate needs it: on or off, and the window if any.
#[derive(Debug, Deserialize)]
pub struct SwitchFacts {
    #[serde(deserialize_with = "bool_from_int")]
    pub portal_enabled: bool,
    #[serde(flatten)]
    pub window: WindowColumns,
}

pub const SWITCH_BY_SLUG: &str =
    "SELECT portal_enabled, maintenance_starts_at, maintenance_ends_at, maintenance_note FROM organizations WHERE slug = ?1";

/// The switch as D1 has it, or `None` for an unknown organization.
pub async fn switch_facts(db: &Db, slug: &str) -> ApiResult<Option<SwitchFacts>> {
    db.first(SWITCH_BY_SLUG, &[text(slug)]).await
}

/// Ends the customer sessions begun before the start of a window that has started and that the
/// cron has not yet tidied (the readers already refuse them by comparing times): run first in a
/// batch that tidies, replaces or ends that window, so that they stay ended without its times.
/// Sessions begun after the window are not touched, however late this runs.
pub fn end_sessions_begun_before_start(db: &Db, org_id: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    const SQL: &str = end_sessions_sql!(
        "org_id = ? AND kind = 'guardian' AND created_at < (SELECT maintenance_starts_at FROM organizations \
         WHERE id = ? AND maintenance_phase = 'scheduled' AND maintenance_starts_at <= ?)"
    );
    end_sessions(db, SQL, vec![text(org_id), text(org_id), int(now.millis())], "maintenance", now, None)
}

/// Schedules `window`, replacing any other (`?3` is now).
pub fn schedule(db: &Db, org_id: &str, change_id: &str, window: &MaintenanceWindow, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET maintenance_starts_at = ?4, maintenance_ends_at = ?5, maintenance_note = ?6, \
           maintenance_phase = 'scheduled', last_change_id = ?2, updated_at = ?3 WHERE id = ?1",
        &[
            text(org_id),
            text(change_id),
            int(now.millis()),
            int(window.starts_at.millis()),
            int(window.ends_at.millis()),
            opt_text(window.note.as_deref()),
        ],
    )
}

/// Ends the window not yet ended: one not started is forgotten, one that is on ends now (the
/// portal is back at once). Changes no row when there is no such window.
pub fn end_now(db: &Db, org_id: &str, change_id: &str, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET maintenance_phase = CASE WHEN maintenance_starts_at <= ?3 THEN 'ended' END, \
           maintenance_ends_at = CASE WHEN maintenance_starts_at <= ?3 THEN ?3 END, \
           maintenance_note = CASE WHEN maintenance_starts_at <= ?3 THEN maintenance_note END, \
           maintenance_starts_at = CASE WHEN maintenance_starts_at <= ?3 THEN maintenance_starts_at END, \
           last_change_id = ?2, updated_at = ?3 \
         WHERE id = ?1 AND maintenance_phase IN ('scheduled', 'started') AND maintenance_ends_at > ?3",
        &[text(org_id), text(change_id), int(now.millis())],
    )
}

/// An organization whose window the cron has yet to tidy.
#[derive(Debug, Deserialize)]
pub struct DueWindow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub maintenance_phase: String,
    #[serde(flatten)]
    pub window: WindowColumns,
}

/// Windows that have started (at most 100 a run): started ones to record, ended ones to close.
pub async fn due(db: &Db, now: Timestamp) -> ApiResult<Vec<DueWindow>> {
    db.all(
        "SELECT id, slug, name, maintenance_phase, maintenance_starts_at, maintenance_ends_at, maintenance_note \
         FROM organizations WHERE maintenance_phase IN ('scheduled', 'started') AND maintenance_starts_at <= ?1 LIMIT 100",
        &[int(now.millis())],
    )
    .await
}

/// The cron's record of a start (after `end_sessions_begun_before_start`): only for the window it
/// saw, and only once.
pub fn mark_started(db: &Db, org_id: &str, change_id: &str, starts_at: Timestamp, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET maintenance_phase = 'started', last_change_id = ?2, updated_at = ?3 \
         WHERE id = ?1 AND maintenance_phase = 'scheduled' AND maintenance_starts_at = ?4 AND maintenance_starts_at <= ?3",
        &[text(org_id), text(change_id), int(now.millis()), int(starts_at.millis())],
    )
}

/// The cron's record of an end, once (after `mark_started`).
pub fn mark_ended(db: &Db, org_id: &str, change_id: &str, ends_at: Timestamp, now: Timestamp) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "UPDATE organizations SET maintenance_phase = 'ended', last_change_id = ?2, updated_at = ?3 \
         WHERE id = ?1 AND maintenance_phase = 'started' AND maintenance_ends_at = ?4 AND maintenance_ends_at <= ?3",
        &[text(org_id), text(change_id), int(now.millis()), int(ends_at.millis())],
    )
}
