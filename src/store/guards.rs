//! The guards of a command's batch: a later statement runs only while the row the batch's first
//! statement changed still carries the command's change id, so a batch that lost a race to another
//! command changes nothing.

use super::{text, Guard};

/// True while the guardian row was last changed by the command with this change id.
pub fn guardian_changed_by<'a>(guardian_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM guardians WHERE id = ? AND last_change_id = ?)",
        args: vec![text(guardian_id), text(change_id)],
    }
}

pub fn invitation_changed_by<'a>(invitation_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM invitations WHERE id = ? AND change_id = ?)",
        args: vec![text(invitation_id), text(change_id)],
    }
}

pub fn reset_changed_by<'a>(reset_id: &'a str, change_id: &'a str) -> Guard<'a> {
    Guard {
        sql: "EXISTS (SELECT 1 FROM password_resets WHERE id = ? AND change_id = ?)",
        args: vec![text(reset_id), text(change_id)],
    }
}
