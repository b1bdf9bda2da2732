//! The Customer Portal switch ("Enable Customer Portal"), per organization.

use crate::audit::{Actor, AuditEntry};
use crate::notification::Notification;

pub const PORTAL_UNAVAILABLE_MESSAGE: &str =
    "Our Customer Portal is currently unavailable. Please check back later.";

pub fn status_message(enabled: bool) -> &'static str {
    if enabled {
        "You are currently using the Customer Portal."
    } else {
        "You are currently NOT using the Customer Portal."
    }
}

/// What the organization looks like to the switch.
pub struct SwitchState<'a> {
    pub org_id: &'a str,
    pub org_name: &'a str,
    pub enabled: bool,
    pub owner_emails: &'a [String],
}

#[derive(Debug, PartialEq, Eq)]
pub struct SwitchDecision {
    pub enabled: bool,
    /// False when the portal already was as asked: nothing is written, nobody is told.
    pub changed: bool,
    /// Disabling logs every customer out (the organization's session epoch goes up).
    pub end_customer_sessions: bool,
    pub audit: Option<AuditEntry>,
    pub notices: Vec<Notification>,
}

pub fn set_customer_portal(state: &SwitchState<'_>, enable: bool, actor: &Actor) -> SwitchDecision {
    if state.enabled == enable {
        return SwitchDecision {
            enabled: enable,
            changed: false,
            end_customer_sessions: false,
            audit: None,
            notices: vec![],
        };
    }
    let action = if enable { "customer_portal_enabled" } else { "customer_portal_disabled" };
    SwitchDecision {
        enabled: enable,
        changed: true,
        end_customer_sessions: !enable,
        audit: Some(AuditEntry {
            actor: actor.clone(),
            action: action.into(),
            target_kind: "organization".into(),
            target_id: state.org_id.into(),
            target_label: Some(state.org_name.into()),
            family_id: None,
            reason: None,
        }),
        notices: state
            .owner_emails
            .iter()
            .map(|to| Notification::CustomerPortalSwitched {
                to: to.clone(),
                org_name: state.org_name.into(),
                enabled: enable,
                changed_by: actor.label.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(enabled: bool, owners: &[String]) -> SwitchState<'_> {
        SwitchState { org_id: "org_1", org_name: "Splash", enabled, owner_emails: owners }
    }

    #[test]
    fn status_messages_are_the_products_words() {
        assert_eq!(status_message(true), "You are currently using the Customer Portal.");
        assert_eq!(status_message(false), "You are currently NOT using the Customer Portal.");
    }

    #[test]
    fn disabling_ends_customer_sessions_audits_and_tells_the_owners() {
        let owners = vec!["o@x.test".to_string()];
        let d = set_customer_portal(&state(true, &owners), false, &Actor::staff("stf_1", "a@x.test"));
        assert!(d.changed && d.end_customer_sessions && !d.enabled);
        assert_eq!(d.audit.unwrap().action, "customer_portal_disabled");
        assert_eq!(d.notices.len(), 1);
        assert_eq!(d.notices[0].recipient(), "o@x.test");
    }

    #[test]
    fn enabling_does_not_touch_sessions() {
        let d = set_customer_portal(&state(false, &[]), true, &Actor::staff("stf_1", "a@x.test"));
        assert!(d.changed && !d.end_customer_sessions && d.enabled);
        assert_eq!(d.audit.unwrap().action, "customer_portal_enabled");
    }

    #[test]
    fn setting_the_same_value_again_changes_nothing() {
        let owners = vec!["o@x.test".to_string()];
        let d = set_customer_portal(&state(false, &owners), false, &Actor::staff("stf_1", "a@x.test"));
        assert!(!d.changed && !d.end_customer_sessions && d.audit.is_none() && d.notices.is_empty());
    }
}
