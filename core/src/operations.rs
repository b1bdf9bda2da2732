//! Office Portal operations on families: changing the Primary Guardian, merging families, moving a
//! contact to another account. Each revokes secondary access automatically: the (new) primary
//! must invite again.

use crate::access::{AccessState, GuardianFacts};

pub const REASON_PRIMARY_CHANGED: &str = "The Primary Guardian of the account changed.";
pub const REASON_FAMILIES_MERGED: &str = "The family accounts were merged.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyFacts {
    pub id: String,
    pub name: String,
    pub primary_guardian_id: String,
    pub merged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    #[error("No family with that id.")]
    FamilyNotFound,
    #[error("The family {0} was merged into another family; work on that one instead.")]
    FamilyMerged(String),
    #[error("The new Primary Guardian must be a guardian of this family.")]
    NotInFamily,
    #[error("Name at least one family to merge in.")]
    NothingToMerge,
    #[error("A family cannot be merged into itself.")]
    MergeIntoItself,
    #[error("Portal access will be disabled for {0}.")]
    ConfirmationRequired(String),
    #[error("{0} is the Primary Guardian of their family; change the Primary Guardian before moving them.")]
    CannotMovePrimary(String),
    #[error("{0} already belongs to that family.")]
    AlreadyInFamily(String),
    #[error("The family changed while this was being done. Reload it and try again.")]
    Conflict,
}

fn has_access(g: &GuardianFacts) -> bool {
    matches!(g.state, AccessState::InviteSent | AccessState::CanLogIn)
}

/// Who loses access when the Primary Guardian changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryChange {
    /// Every other guardian with access or a live invitation, the former primary included.
    pub revoked: Vec<String>,
    /// Nothing to do: the guardian already is the primary.
    pub unchanged: bool,
}

pub fn change_primary(
    family: &FamilyFacts,
    guardians: &[GuardianFacts],
    new_primary_id: &str,
) -> Result<PrimaryChange, OperationError> {
    if family.merged {
        return Err(OperationError::FamilyMerged(family.name.clone()));
    }
    if !guardians.iter().any(|g| g.id == new_primary_id && g.family_id == family.id) {
        return Err(OperationError::NotInFamily);
    }
    if family.primary_guardian_id == new_primary_id {
        return Ok(PrimaryChange { revoked: vec![], unchanged: true });
    }
    Ok(PrimaryChange {
        revoked: guardians.iter().filter(|g| g.id != new_primary_id && has_access(g)).map(|g| g.id.clone()).collect(),
        unchanged: false,
    })
}

/// A merge into `target`: every guardian of the result but the target's primary loses access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePlan {
    pub source_ids: Vec<String>,
    pub revoked: Vec<String>,
}

pub fn merge(
    target: &FamilyFacts,
    sources: &[FamilyFacts],
    guardians: &[GuardianFacts],
) -> Result<MergePlan, OperationError> {
    if sources.is_empty() {
        return Err(OperationError::NothingToMerge);
    }
    if target.merged {
        return Err(OperationError::FamilyMerged(target.name.clone()));
    }
    if let Some(s) = sources.iter().find(|s| s.merged) {
        return Err(OperationError::FamilyMerged(s.name.clone()));
    }
    if sources.iter().any(|s| s.id == target.id) {
        return Err(OperationError::MergeIntoItself);
    }
    let mut source_ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();
    source_ids.sort();
    source_ids.dedup();
    Ok(MergePlan {
        revoked: guardians
            .iter()
            .filter(|g| g.id != target.primary_guardian_id && has_access(g))
            .map(|g| g.id.clone())
            .collect(),
        source_ids,
    })
}

/// One person listed as a guardian of more than one of the families a merge joins: the merged
/// family lists them once. `kept` is the first listing (callers list the target's guardians first,
/// so the target's record of the person wins), `folded` the others, which hand over their history
/// and saved methods to `kept` and are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    pub kept: String,
    pub folded: String,
}

/// The folds of a merge, from each guardian's id and who they are (their e-mail address, else
/// their login): guardians without either are never the same person as another.
pub fn duplicate_guardians<'a>(guardians: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Vec<Fold> {
    let mut first_of: Vec<(&str, &str)> = Vec::new();
    let mut folds = Vec::new();
    for (id, who) in guardians {
        let Some(who) = who else { continue };
        match first_of.iter().find(|(w, _)| *w == who) {
            Some((_, kept)) => folds.push(Fold { kept: kept.to_string(), folded: id.to_string() }),
            None => first_of.push((who, id)),
        }
    }
    folds
}

/// Moving a contact to another family disables their portal access, after an explicit yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    pub revoke: bool,
}

pub fn move_contact(
    contact: &GuardianFacts,
    to: &FamilyFacts,
    confirmed: bool,
) -> Result<MovePlan, OperationError> {
    if to.merged {
        return Err(OperationError::FamilyMerged(to.name.clone()));
    }
    if contact.family_id == to.id {
        return Err(OperationError::AlreadyInFamily(contact.full_name()));
    }
    if contact.is_primary {
        return Err(OperationError::CannotMovePrimary(contact.full_name()));
    }
    if !confirmed {
        return Err(OperationError::ConfirmationRequired(contact.full_name()));
    }
    Ok(MovePlan { revoke: has_access(contact) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::tests::guardian;

    fn family(id: &str, primary: &str) -> FamilyFacts {
        FamilyFacts { id: id.into(), name: format!("{id} family"), primary_guardian_id: primary.into(), merged: false }
    }
    #[test]
    fn a_person_in_two_merged_families_is_kept_once_as_the_first_listing() {
        let folds = duplicate_guardians([
            ("t-ann", Some("ann@x.test")),
            ("t-nobody", None),
            ("s-bob", Some("bob@x.test")),
            ("s-ann", Some("ann@x.test")),
            ("s2-nobody", None),
            ("s2-ann", Some("ann@x.test")),
        ]);
        assert_eq!(
            folds,
            vec![
                Fold { kept: "t-ann".into(), folded: "s-ann".into() },
                Fold { kept: "t-ann".into(), folded: "s2-ann".into() },
            ]
        );
        assert!(duplicate_guardians([("a", None), ("b", None)]).is_empty());
    }

    fn lee() -> Vec<GuardianFacts> {
        vec![
            guardian("ann", "f1", true, AccessState::CanLogIn),
            guardian("bob", "f1", false, AccessState::CanLogIn),
            guardian("cat", "f1", false, AccessState::InviteSent),
            guardian("dan", "f1", false, AccessState::NoAccess),
            guardian("eve", "f1", false, AccessState::InviteRevoked),
        ]
    }

    #[test]
    fn changing_the_primary_revokes_every_other_access_the_former_primary_included() {
        let c = change_primary(&family("f1", "ann"), &lee(), "bob").unwrap();
        assert_eq!(c.revoked, vec!["ann", "cat"]);
        assert!(!c.unchanged);
    }

    #[test]
    fn choosing_the_current_primary_changes_nothing() {
        assert_eq!(
            change_primary(&family("f1", "ann"), &lee(), "ann"),
            Ok(PrimaryChange { revoked: vec![], unchanged: true })
        );
    }

    #[test]
    fn the_new_primary_must_belong_to_the_family() {
        assert_eq!(change_primary(&family("f1", "ann"), &lee(), "zed"), Err(OperationError::NotInFamily));
    }

    #[test]
    fn merging_revokes_all_secondary_access_of_the_result() {
        let mut all = lee();
        all.push(guardian("fay", "f2", true, AccessState::CanLogIn));
        all.push(guardian("gus", "f2", false, AccessState::CanLogIn));
        let plan = merge(&family("f1", "ann"), &[family("f2", "fay")], &all).unwrap();
        assert_eq!(plan.source_ids, vec!["f2"]);
        assert_eq!(plan.revoked, vec!["bob", "cat", "fay", "gus"]);
    }

    #[test]
    fn a_family_cannot_be_merged_into_itself_or_twice() {
        assert_eq!(merge(&family("f1", "ann"), &[family("f1", "ann")], &lee()), Err(OperationError::MergeIntoItself));
        assert_eq!(merge(&family("f1", "ann"), &[], &lee()), Err(OperationError::NothingToMerge));
        let gone = FamilyFacts { merged: true, ..family("f2", "fay") };
        assert!(matches!(merge(&family("f1", "ann"), &[gone], &lee()), Err(OperationError::FamilyMerged(_))));
    }

    #[test]
    fn moving_a_contact_needs_an_explicit_yes_that_names_them() {
        let bob = guardian("bob", "f1", false, AccessState::CanLogIn);
        let e = move_contact(&bob, &family("f2", "fay"), false).unwrap_err();
        assert_eq!(e.to_string(), "Portal access will be disabled for BOB Lee.");
        assert_eq!(move_contact(&bob, &family("f2", "fay"), true), Ok(MovePlan { revoke: true }));
        let dan = guardian("dan", "f1", false, AccessState::NoAccess);
        assert_eq!(move_contact(&dan, &family("f2", "fay"), true), Ok(MovePlan { revoke: false }));
    }

    #[test]
    fn a_primary_or_a_member_cannot_be_moved_where_it_makes_no_sense() {
        let ann = guardian("ann", "f1", true, AccessState::CanLogIn);
        assert!(matches!(move_contact(&ann, &family("f2", "fay"), true), Err(OperationError::CannotMovePrimary(_))));
        let bob = guardian("bob", "f1", false, AccessState::CanLogIn);
        assert!(matches!(move_contact(&bob, &family("f1", "ann"), true), Err(OperationError::AlreadyInFamily(_))));
    }
}
