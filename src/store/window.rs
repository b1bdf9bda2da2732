//! A maintenance window's columns on the `organizations` row, as the gate's read and the session
//! check both carry them (its own module: `maintenance` ends sessions, `sessions` reads windows).

use portal_core::maintenance::MaintenanceWindow;
use portal_core::time::Timestamp;
use serde::Deserialize;

/// The window's columns as a row carries them (all NULL when none was ever scheduled).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WindowColumns {
    pub maintenance_starts_at: Option<i64>,
    pub maintenance_ends_at: Option<i64>,
    pub maintenance_note: Option<String>,
}

impl WindowColumns {
    pub fn window(&self) -> Option<MaintenanceWindow> {
        Some(MaintenanceWindow {
            starts_at: Timestamp(self.maintenance_starts_at?),
            ends_at: Timestamp(self.maintenance_ends_at?),
            note: self.maintenance_note.clone(),
        })
    }
}

