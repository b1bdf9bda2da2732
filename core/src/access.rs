//! Who may log in to a family account, and who may change that.
//!
//! The Primary Guardian decides: they send, re-send and revoke secondary invitations, grant
//! permissions and edit a secondary's contact details until that secondary has accepted. Staff may
//! revoke any login and invite a family's primary guardian, but never a secondary.

use crate::audit::{Actor, ActorKind};
use crate::email::EmailAddress;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Default lifetime of an invitation (an organization setting overrides it).
pub const DEFAULT_INVITATION_TTL_HOURS: i64 = 48;
/// A re-send within this many seconds of the last one is refused: it protects the invitee's inbox.
pub const RESEND_COOLDOWN_SECONDS: i64 = 60;
/// A password-reset link works for this long, once.
pub const PASSWORD_RESET_TTL_HOURS: i64 = 1;

/// The access state as stored. `invite_expired` is not stored: it is derived from the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessState {
    NoAccess,
    InviteSent,
    CanLogIn,
    InviteRevoked,
}

impl AccessState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessState::NoAccess => "no_access",
            AccessState::InviteSent => "invite_sent",
            AccessState::CanLogIn => "can_log_in",
            AccessState::InviteRevoked => "invite_revoked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "no_access" => AccessState::NoAccess,
            "invite_sent" => AccessState::InviteSent,
            "can_log_in" => AccessState::CanLogIn,
            "invite_revoked" => AccessState::InviteRevoked,
            _ => return None,
        })
    }
}

/// The access indicator shown to the primary guardian and to staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessStatus {
    NoAccess,
    InviteSent,
    InviteExpired,
    CanLogIn,
    InviteRevoked,
}

impl AccessStatus {
    pub fn of(state: AccessState, invitation_expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        match state {
            AccessState::NoAccess => AccessStatus::NoAccess,
            AccessState::InviteSent => match invitation_expires_at {
                Some(t) if t > now => AccessStatus::InviteSent,
                _ => AccessStatus::InviteExpired,
            },
            AccessState::CanLogIn => AccessStatus::CanLogIn,
            AccessState::InviteRevoked => AccessStatus::InviteRevoked,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            AccessStatus::NoAccess => "no_access",
            AccessStatus::InviteSent => "invite_sent",
            AccessStatus::InviteExpired => "invite_expired",
            AccessStatus::CanLogIn => "can_log_in",
            AccessStatus::InviteRevoked => "invite_revoked",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AccessStatus::NoAccess => "No Access",
            AccessStatus::InviteSent => "Invite Sent",
            AccessStatus::InviteExpired => "Invite Expired",
            AccessStatus::CanLogIn => "Can Log In",
            AccessStatus::InviteRevoked => "Invite Revoked",
        }
    }
}

/// What the rules need to know about a guardian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianFacts {
    pub id: String,
    pub family_id: String,
    pub is_primary: bool,
    pub state: AccessState,
    pub first_name: String,
    pub last_name: String,
}

impl GuardianFacts {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Who is asking: a staff member, or a signed-in guardian of some family.
#[derive(Debug, Clone)]
pub enum Requester {
    Staff(Actor),
    Guardian(GuardianFacts),
}

impl Requester {
    pub fn actor(&self) -> Actor {
        match self {
            Requester::Staff(a) => a.clone(),
            Requester::Guardian(g) => Actor {
                kind: ActorKind::Guardian,
                id: Some(g.id.clone()),
                label: if g.is_primary {
                    format!("{} (Primary Guardian)", g.full_name())
                } else {
                    g.full_name()
                },
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("Only the Primary Guardian can send invitations to secondary users. The Primary Guardian must send the invitation from the Customer Portal.")]
    PrimaryGuardianMustInvite,
    #[error("Only the Primary Guardian of this family can do this.")]
    PrimaryGuardianOnly,
    #[error("No guardian with that id.")]
    GuardianNotFound,
    #[error("{0} can already log in.")]
    AlreadyHasAccess(String),
    #[error("{0} has no e-mail address. Add one before sending an invitation.")]
    NoEmail(String),
    #[error("{0} has no invitation to re-send. Send a new invitation instead.")]
    NoInvitationToResend(String),
    #[error("An invitation was sent moments ago. Try again in {0} seconds.")]
    ResendTooSoon(i64),
    #[error("{0} has no access to revoke.")]
    NothingToRevoke(String),
    #[error("You cannot revoke your own access as the Primary Guardian.")]
    CannotRevokeSelf,
    #[error("Once {0} has accepted the invitation, only they can change their contact information.")]
    ContactLocked(String),
    #[error("{0} logs in with this e-mail address: only they can change it, from the Customer Portal.")]
    LoginEmail(String),
    #[error("{0} cannot log in, so there is no password to reset.")]
    NoLoginToReset(String),
    #[error("Permissions belong to secondary guardians; the Primary Guardian has them all.")]
    PermissionsForSecondariesOnly,
    #[error("Please confirm that you are an adult.")]
    MustConfirmAdult,
    #[error("Please accept the terms to continue.")]
    MustAcceptTerms,
    #[error("This invitation link has expired. Ask the Primary Guardian to send a new one.")]
    InvitationExpired,
    #[error("This invitation link is no longer valid: it was revoked or replaced by a newer invitation.")]
    InvitationRevoked,
    #[error("This invitation link has already been used. Sign in instead.")]
    InvitationUsed,
    #[error("This password reset link has expired or was already used. Request a new one.")]
    ResetLinkInvalid,
}

fn same_family_primary(me: &GuardianFacts, target: &GuardianFacts) -> Result<(), AccessError> {
    if me.family_id != target.family_id {
        return Err(AccessError::GuardianNotFound); // another family's guardian does not exist for you
    }
    if !me.is_primary {
        return Err(AccessError::PrimaryGuardianOnly);
    }
    Ok(())
}

/// Sending (or re-sending) an invitation to log in to the family account.
pub fn may_invite(requester: &Requester, target: &GuardianFacts) -> Result<(), AccessError> {
    match requester {
        Requester::Staff(_) if !target.is_primary => return Err(AccessError::PrimaryGuardianMustInvite),
        Requester::Staff(_) => {}
        Requester::Guardian(me) => {
            same_family_primary(me, target)?;
            if target.is_primary {
                return Err(AccessError::AlreadyHasAccess(target.full_name()));
            }
        }
    }
    if target.state == AccessState::CanLogIn {
        return Err(AccessError::AlreadyHasAccess(target.full_name()));
    }
    Ok(())
}

/// The address an invitation goes to: the one the primary confirmed or typed, else the one on file.
/// Returns whether it changes the guardian's address.
pub fn invitation_address(
    on_file: Option<&EmailAddress>,
    requested: Option<EmailAddress>,
    target: &GuardianFacts,
) -> Result<(EmailAddress, bool), AccessError> {
    match (requested, on_file) {
        (Some(r), Some(f)) => {
            let changed = &r != f;
            Ok((r, changed))
        }
        (Some(r), None) => Ok((r, true)),
        (None, Some(f)) => Ok((f.clone(), false)),
        (None, None) => Err(AccessError::NoEmail(target.full_name())),
    }
}

/// A re-send needs an invitation to re-send, and not one sent moments ago.
pub fn may_resend(
    requester: &Requester,
    target: &GuardianFacts,
    last_sent_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), AccessError> {
    may_invite(requester, target)?;
    if target.state != AccessState::InviteSent {
        return Err(AccessError::NoInvitationToResend(target.full_name()));
    }
    check_cooldown(last_sent_at, now)
}

pub fn check_cooldown(last_sent_at: Option<Timestamp>, now: Timestamp) -> Result<(), AccessError> {
    match last_sent_at {
        Some(t) if t.plus_seconds(RESEND_COOLDOWN_SECONDS) > now => Err(AccessError::ResendTooSoon(
            (t.plus_seconds(RESEND_COOLDOWN_SECONDS).millis() - now.millis() + 999) / 1000,
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Access (or a pending invitation) ends now.
    Revoke,
    /// Already revoked: a repeated request changes nothing and e-mails no one.
    AlreadyRevoked,
}

/// Revoking a guardian's login (or their pending invitation).
pub fn may_revoke(requester: &Requester, target: &GuardianFacts) -> Result<RevokeOutcome, AccessError> {
    if let Requester::Guardian(me) = requester {
        same_family_primary(me, target)?;
        if me.id == target.id {
            return Err(AccessError::CannotRevokeSelf);
        }
    }
    match target.state {
        AccessState::InviteSent | AccessState::CanLogIn => Ok(RevokeOutcome::Revoke),
        AccessState::InviteRevoked => Ok(RevokeOutcome::AlreadyRevoked),
        AccessState::NoAccess => Err(AccessError::NothingToRevoke(target.full_name())),
    }
}

/// Editing contact details: yourself always; the primary for a secondary who cannot log in.
pub fn may_edit_contact(me: &GuardianFacts, target: &GuardianFacts) -> Result<(), AccessError> {
    if me.id == target.id {
        return Ok(());
    }
    same_family_primary(me, target)?;
    if target.state == AccessState::CanLogIn {
        return Err(AccessError::ContactLocked(target.full_name()));
    }
    Ok(())
}

/// Staff edit any guardian's contact details, but not the address someone logs in with: a guardian
/// who can log in, or whose membership is linked to a login (`linked_login`), keeps theirs.
pub fn may_staff_change_email(target: &GuardianFacts, linked_login: bool) -> Result<(), AccessError> {
    if target.state == AccessState::CanLogIn || linked_login {
        return Err(AccessError::LoginEmail(target.full_name()));
    }
    Ok(())
}

/// What a guardian may do in the family account. Field order is the API's (alphabetical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permissions {
    pub can_make_payments: bool,
    pub can_manage_enrollments: bool,
    pub can_view_full_ledger: bool,
}

impl Permissions {
    /// What a guardian may actually do: the Primary Guardian everything, a secondary what the
    /// primary granted.
    pub fn effective(is_primary: bool, granted: Permissions) -> Permissions {
        Permissions {
            can_make_payments: is_primary || granted.can_make_payments,
            can_manage_enrollments: is_primary || granted.can_manage_enrollments,
            can_view_full_ledger: is_primary || granted.can_view_full_ledger,
        }
    }
}

pub fn may_set_permissions(me: &GuardianFacts, target: &GuardianFacts) -> Result<(), AccessError> {
    same_family_primary(me, target)?;
    if target.is_primary {
        return Err(AccessError::PermissionsForSecondariesOnly);
    }
    Ok(())
}

/// A password-reset e-mail: staff for anyone who can log in, the primary for a secondary.
pub fn may_send_password_reset(requester: &Requester, target: &GuardianFacts) -> Result<(), AccessError> {
    if let Requester::Guardian(me) = requester {
        same_family_primary(me, target)?;
    }
    if target.state != AccessState::CanLogIn {
        return Err(AccessError::NoLoginToReset(target.full_name()));
    }
    Ok(())
}

/// What a guardian in the family list may see of another, and which actions the viewer is offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visibility {
    pub contact_visible: bool,
    pub contact_editable: bool,
    pub actions: Vec<&'static str>,
}

pub fn visibility(viewer: &Requester, target: &GuardianFacts) -> Visibility {
    let mut actions = Vec::new();
    let allowed = |r: Result<(), AccessError>| r.is_ok();
    if allowed(may_invite(viewer, target)) {
        actions.push(if target.state == AccessState::InviteSent { "resend_invitation" } else { "send_invitation" });
    }
    if matches!(may_revoke(viewer, target), Ok(RevokeOutcome::Revoke)) {
        actions.push("revoke");
    }
    if allowed(may_send_password_reset(viewer, target)) {
        actions.push("reset_password");
    }
    match viewer {
        // Staff edit anyone's contact details (the login e-mail excepted: `may_staff_change_email`).
        Requester::Staff(_) => Visibility { contact_visible: true, contact_editable: true, actions },
        Requester::Guardian(me) => {
            let editable = allowed(may_edit_contact(me, target));
            if allowed(may_set_permissions(me, target)) {
                actions.push("set_permissions");
            }
            Visibility {
                // Once a secondary has accepted, the primary sees their name and access only.
                contact_visible: me.id == target.id || editable,
                contact_editable: editable,
                actions,
            }
        }
    }
}

/// The state of an invitation link when someone opens or uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Valid,
    Expired,
    Revoked,
    Used,
}

pub fn invitation_link_status(stored_state: &str, expires_at: Timestamp, now: Timestamp) -> LinkStatus {
    match stored_state {
        "pending" if expires_at > now => LinkStatus::Valid,
        "pending" => LinkStatus::Expired,
        "accepted" => LinkStatus::Used,
        _ => LinkStatus::Revoked, // revoked, or superseded by a re-send
    }
}

impl LinkStatus {
    pub fn problem(self) -> Option<AccessError> {
        match self {
            LinkStatus::Valid => None,
            LinkStatus::Expired => Some(AccessError::InvitationExpired),
            LinkStatus::Revoked => Some(AccessError::InvitationRevoked),
            LinkStatus::Used => Some(AccessError::InvitationUsed),
        }
    }
}

/// Accepting needs a live link, a confirmed adult and accepted terms.
pub fn may_accept(status: LinkStatus, confirm_adult: bool, accept_terms: bool) -> Result<(), AccessError> {
    if let Some(problem) = status.problem() {
        return Err(problem);
    }
    if !confirm_adult {
        return Err(AccessError::MustConfirmAdult);
    }
    if !accept_terms {
        return Err(AccessError::MustAcceptTerms);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    /// A guardian for tests: first name from the id, last name Lee (also used by `operations`).
    pub(crate) fn guardian(id: &str, family: &str, primary: bool, state: AccessState) -> GuardianFacts {
        GuardianFacts {
            id: id.into(),
            family_id: family.into(),
            is_primary: primary,
            state,
            first_name: id.to_uppercase(),
            last_name: "Lee".into(),
        }
    }
    fn primary() -> GuardianFacts {
        guardian("ann", "f1", true, AccessState::CanLogIn)
    }
    fn secondary(state: AccessState) -> GuardianFacts {
        guardian("bob", "f1", false, state)
    }
    fn staff() -> Requester {
        Requester::Staff(Actor::staff("stf_1", "desk@x.test"))
    }

    #[test]
    fn statuses_and_labels_follow_the_product() {
        let t = Some(NOW.plus_hours(1));
        assert_eq!(AccessStatus::of(AccessState::InviteSent, t, NOW).label(), "Invite Sent");
        assert_eq!(AccessStatus::of(AccessState::InviteSent, Some(NOW), NOW), AccessStatus::InviteExpired);
        assert_eq!(AccessStatus::InviteExpired.label(), "Invite Expired");
        assert_eq!(AccessStatus::of(AccessState::CanLogIn, None, NOW).label(), "Can Log In");
        assert_eq!(AccessStatus::of(AccessState::InviteRevoked, None, NOW).code(), "invite_revoked");
        assert_eq!(AccessStatus::NoAccess.label(), "No Access");
    }

    #[test]
    fn staff_cannot_send_a_secondary_invitation() {
        assert_eq!(may_invite(&staff(), &secondary(AccessState::NoAccess)), Err(AccessError::PrimaryGuardianMustInvite));
        assert_eq!(
            may_resend(&staff(), &secondary(AccessState::InviteSent), None, NOW),
            Err(AccessError::PrimaryGuardianMustInvite)
        );
    }

    #[test]
    fn staff_may_enable_login_for_a_primary_guardian() {
        let p = guardian("ann", "f1", true, AccessState::NoAccess);
        assert_eq!(may_invite(&staff(), &p), Ok(()));
    }

    #[test]
    fn the_primary_invites_secondaries_of_their_own_family_only() {
        let me = Requester::Guardian(primary());
        assert_eq!(may_invite(&me, &secondary(AccessState::NoAccess)), Ok(()));
        assert_eq!(may_invite(&me, &secondary(AccessState::InviteRevoked)), Ok(()));
        let stranger = guardian("cat", "f2", false, AccessState::NoAccess);
        assert_eq!(may_invite(&me, &stranger), Err(AccessError::GuardianNotFound));
        assert!(matches!(may_invite(&me, &secondary(AccessState::CanLogIn)), Err(AccessError::AlreadyHasAccess(_))));
    }

    #[test]
    fn a_secondary_cannot_invite_revoke_or_grant() {
        let me = Requester::Guardian(secondary(AccessState::CanLogIn));
        let other = guardian("cat", "f1", false, AccessState::NoAccess);
        assert_eq!(may_invite(&me, &other), Err(AccessError::PrimaryGuardianOnly));
        assert_eq!(may_revoke(&me, &other), Err(AccessError::PrimaryGuardianOnly));
        assert_eq!(may_set_permissions(&secondary(AccessState::CanLogIn), &other), Err(AccessError::PrimaryGuardianOnly));
    }

    #[test]
    fn a_resend_needs_a_sent_invitation_and_respects_the_cooldown() {
        let me = Requester::Guardian(primary());
        assert!(matches!(
            may_resend(&me, &secondary(AccessState::NoAccess), None, NOW),
            Err(AccessError::NoInvitationToResend(_))
        ));
        assert_eq!(
            may_resend(&me, &secondary(AccessState::InviteSent), Some(NOW.plus_seconds(-10)), NOW),
            Err(AccessError::ResendTooSoon(50))
        );
        assert_eq!(may_resend(&me, &secondary(AccessState::InviteSent), Some(NOW.plus_seconds(-61)), NOW), Ok(()));
    }

    #[test]
    fn revoking_is_idempotent_and_never_of_oneself() {
        let me = Requester::Guardian(primary());
        assert_eq!(may_revoke(&me, &secondary(AccessState::CanLogIn)), Ok(RevokeOutcome::Revoke));
        assert_eq!(may_revoke(&me, &secondary(AccessState::InviteSent)), Ok(RevokeOutcome::Revoke));
        assert_eq!(may_revoke(&me, &secondary(AccessState::InviteRevoked)), Ok(RevokeOutcome::AlreadyRevoked));
        assert!(matches!(may_revoke(&me, &secondary(AccessState::NoAccess)), Err(AccessError::NothingToRevoke(_))));
        assert_eq!(may_revoke(&me, &primary()), Err(AccessError::CannotRevokeSelf));
        assert_eq!(may_revoke(&staff(), &primary()), Ok(RevokeOutcome::Revoke));
    }

    #[test]
    fn after_acceptance_only_the_secondary_edits_their_contact() {
        let p = primary();
        assert_eq!(may_edit_contact(&p, &secondary(AccessState::InviteSent)), Ok(()));
        assert!(matches!(may_edit_contact(&p, &secondary(AccessState::CanLogIn)), Err(AccessError::ContactLocked(_))));
        let s = secondary(AccessState::CanLogIn);
        assert_eq!(may_edit_contact(&s, &s), Ok(()));
        assert_eq!(may_edit_contact(&s, &p), Err(AccessError::PrimaryGuardianOnly));
    }

    #[test]
    fn staff_may_not_change_the_email_someone_logs_in_with() {
        assert!(matches!(may_staff_change_email(&secondary(AccessState::CanLogIn), true), Err(AccessError::LoginEmail(_))));
        assert!(matches!(may_staff_change_email(&secondary(AccessState::InviteRevoked), true), Err(AccessError::LoginEmail(_))));
        assert_eq!(may_staff_change_email(&secondary(AccessState::InviteSent), false), Ok(()));
        assert_eq!(may_staff_change_email(&guardian("ann", "f1", true, AccessState::NoAccess), false), Ok(()));
        assert!(visibility(&staff(), &secondary(AccessState::CanLogIn)).contact_editable);
    }

    #[test]
    fn the_primary_sees_only_name_and_access_of_an_accepted_secondary() {
        let v = visibility(&Requester::Guardian(primary()), &secondary(AccessState::CanLogIn));
        assert!(!v.contact_visible && !v.contact_editable);
        assert_eq!(v.actions, vec!["revoke", "reset_password", "set_permissions"]);
        let v = visibility(&Requester::Guardian(primary()), &secondary(AccessState::InviteSent));
        assert!(v.contact_visible && v.contact_editable);
        assert_eq!(v.actions[0], "resend_invitation");
        let v = visibility(&Requester::Guardian(secondary(AccessState::CanLogIn)), &primary());
        assert!(v.actions.is_empty() && !v.contact_visible);
    }

    #[test]
    fn the_invitation_goes_to_the_confirmed_or_changed_address() {
        let on_file = EmailAddress::parse("bob@x.test").unwrap();
        let b = secondary(AccessState::NoAccess);
        assert_eq!(invitation_address(Some(&on_file), None, &b), Ok((on_file.clone(), false)));
        let typed = EmailAddress::parse("robert@x.test").unwrap();
        assert_eq!(invitation_address(Some(&on_file), Some(typed.clone()), &b), Ok((typed.clone(), true)));
        assert_eq!(invitation_address(None, Some(typed.clone()), &b), Ok((typed, true)));
        assert!(matches!(invitation_address(None, None, &b), Err(AccessError::NoEmail(_))));
    }

    #[test]
    fn password_resets_are_for_guardians_who_can_log_in() {
        assert_eq!(may_send_password_reset(&staff(), &secondary(AccessState::CanLogIn)), Ok(()));
        assert!(matches!(
            may_send_password_reset(&staff(), &secondary(AccessState::InviteSent)),
            Err(AccessError::NoLoginToReset(_))
        ));
    }

    #[test]
    fn expired_revoked_superseded_and_used_links_each_say_so() {
        let later = NOW.plus_hours(1);
        assert_eq!(invitation_link_status("pending", later, NOW), LinkStatus::Valid);
        assert_eq!(invitation_link_status("pending", NOW, NOW), LinkStatus::Expired);
        assert_eq!(invitation_link_status("revoked", later, NOW), LinkStatus::Revoked);
        assert_eq!(invitation_link_status("superseded", later, NOW), LinkStatus::Revoked);
        assert_eq!(invitation_link_status("accepted", later, NOW), LinkStatus::Used);
    }

    #[test]
    fn accepting_needs_adulthood_and_terms() {
        assert_eq!(may_accept(LinkStatus::Valid, false, true), Err(AccessError::MustConfirmAdult));
        assert_eq!(may_accept(LinkStatus::Valid, true, false), Err(AccessError::MustAcceptTerms));
        assert_eq!(may_accept(LinkStatus::Used, true, true), Err(AccessError::InvitationUsed));
        assert_eq!(may_accept(LinkStatus::Valid, true, true), Ok(()));
    }

    #[test]
    fn the_primary_has_every_permission_a_secondary_those_granted() {
        let granted = Permissions { can_make_payments: true, can_manage_enrollments: false, can_view_full_ledger: false };
        let all = Permissions { can_make_payments: true, can_manage_enrollments: true, can_view_full_ledger: true };
        assert_eq!(Permissions::effective(true, granted), all);
        assert_eq!(Permissions::effective(false, granted), granted);
    }
}
