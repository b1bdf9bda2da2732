//! The access history: an append-only record of who changed whose access, when and why.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Staff,
    Guardian,
    Platform,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Guardian => "guardian",
            ActorKind::Platform => "platform",
            ActorKind::System => "system",
        }
    }
}

/// Who did it: kept with a readable label, so the history still reads well if the actor is renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn platform() -> Self {
        Actor { kind: ActorKind::Platform, id: None, label: "Platform administrator".into() }
    }
    pub fn staff(id: &str, email: &str) -> Self {
        Actor { kind: ActorKind::Staff, id: Some(id.into()), label: email.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub actor: Actor,
    /// A product word in snake_case: `organization_created`, `customer_portal_disabled`, ...
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// How the target reads in the history (a guardian's name), kept as it was at the time.
    pub target_label: Option<String>,
    pub family_id: Option<String>,
    pub reason: Option<String>,
}

impl AuditEntry {
    /// A change in a family (a student's enrollment, a pass, a makeup), labelled as it reads today.
    pub fn in_family(
        actor: Actor,
        action: &str,
        target_kind: &str,
        target_id: &str,
        label: String,
        family_id: &str,
        reason: Option<String>,
    ) -> Self {
        AuditEntry {
            actor,
            action: action.into(),
            target_kind: target_kind.into(),
            target_id: target_id.into(),
            target_label: Some(label),
            family_id: Some(family_id.into()),
            reason,
        }
    }

    /// An access change about a guardian, labelled with their name as it reads today.
    pub fn about_guardian(
        actor: Actor,
        action: &str,
        guardian_id: &str,
        guardian_name: String,
        family_id: &str,
        reason: Option<String>,
    ) -> Self {
        AuditEntry {
            actor,
            action: action.into(),
            target_kind: "guardian".into(),
            target_id: guardian_id.into(),
            target_label: Some(guardian_name),
            family_id: Some(family_id.into()),
            reason,
        }
    }
}
