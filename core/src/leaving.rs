//! A secondary guardian leaves a family: their own choice, so it ends their access there as a
//! manual revoke does (sessions end, saved methods there are deleted), with themselves as the
//! actor, and the Primary Guardian is told. Their other families are not touched.

use crate::access::GuardianFacts;
use crate::audit::{Actor, ActorKind, AuditEntry};
use crate::notification::Notification;

pub const LEFT_REASON: &str = "Left the family.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveError {
    #[error("The Primary Guardian cannot leave the family. Staff can make someone else the Primary Guardian first.")]
    PrimaryCannotLeave,
    #[error("Confirm that you want to leave this family: send confirm: true.")]
    ConfirmationRequired,
}

/// Whether `me` may leave their family now (`confirm`: they said yes on the confirmation step).
pub fn may_leave(me: &GuardianFacts, confirm: bool) -> Result<(), LeaveError> {
    if me.is_primary {
        return Err(LeaveError::PrimaryCannotLeave);
    }
    if !confirm {
        return Err(LeaveError::ConfirmationRequired);
    }
    Ok(())
}

/// The history's entry: the guardian who left is the actor and the target.
pub fn left_entry(me: &GuardianFacts) -> AuditEntry {
    let actor = Actor { kind: ActorKind::Guardian, id: Some(me.id.clone()), label: me.full_name() };
    AuditEntry::about_guardian(actor, "left_family", &me.id, me.full_name(), &me.family_id, Some(LEFT_REASON.into()))
}

/// The Primary Guardian's e-mail, if they have an address.
pub fn primary_notice(me: &GuardianFacts, primary_email: Option<&str>, org_name: &str, family_name: &str) -> Option<Notification> {
    primary_email.map(|to| Notification::SecondaryLeftFamily {
        to: to.into(),
        org_name: org_name.into(),
        guardian_name: me.full_name(),
        family_name: family_name.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::AccessState;

    fn bob(is_primary: bool) -> GuardianFacts {
        GuardianFacts {
            id: "gdn_2".into(),
            family_id: "fam_1".into(),
            is_primary,
            state: AccessState::CanLogIn,
            first_name: "Bob".into(),
            last_name: "Lee".into(),
        }
    }

    #[test]
    fn a_secondary_leaves_only_after_confirming() {
        assert_eq!(may_leave(&bob(false), false), Err(LeaveError::ConfirmationRequired));
        assert_eq!(may_leave(&bob(false), true), Ok(()));
    }

    #[test]
    fn the_primary_cannot_leave_even_confirming() {
        assert_eq!(may_leave(&bob(true), true), Err(LeaveError::PrimaryCannotLeave));
    }

    #[test]
    fn the_history_names_the_guardian_who_left_as_the_actor() {
        let e = left_entry(&bob(false));
        assert_eq!((e.actor.kind, e.actor.label.as_str(), e.action.as_str()), (ActorKind::Guardian, "Bob Lee", "left_family"));
        assert_eq!(e.target_id, "gdn_2");
        assert_eq!(e.family_id.as_deref(), Some("fam_1"));
    }

    #[test]
    fn the_primary_is_told_by_name() {
        let n = primary_notice(&bob(false), Some("ann@x.test"), "Splash", "Lee").unwrap();
        let m = n.render("https://p.example").unwrap();
        assert_eq!(m.to, "ann@x.test");
        assert_eq!(m.subject, "Bob Lee left your family account");
        assert!(m.text.contains("Bob Lee has left the Lee family account"), "{}", m.text);
        assert!(primary_notice(&bob(false), None, "Splash", "Lee").is_none());
    }
}
