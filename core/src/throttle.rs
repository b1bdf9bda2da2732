//! Login throttling: too many failed sign-ins lock the account (and the client address) for a while.

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts allowed per window; a successful sign-in gives its attempt back.
    pub max_attempts: i64,
    pub window_seconds: i64,
    pub lockout_seconds: i64,
}

/// Per account (organization and e-mail): a person guessing one account's password.
pub const ACCOUNT_POLICY: ThrottlePolicy =
    ThrottlePolicy { max_attempts: 5, window_seconds: 15 * 60, lockout_seconds: 15 * 60 };
/// Per client address: one machine guessing many accounts.
pub const ADDRESS_POLICY: ThrottlePolicy =
    ThrottlePolicy { max_attempts: 30, window_seconds: 15 * 60, lockout_seconds: 15 * 60 };

/// The key of one login's lock: the portal (`staff` or `guardian`), the organization and the
/// e-mail address. Someone guessing that account's password is stopped here, from any address.
pub fn account_key(portal: &str, org_slug: &str, email: &str) -> String {
    format!("{portal}:{org_slug}:{email}")
}

/// The key of a client address's lock, per organization and portal: one machine guessing many
/// accounts of one organization is stopped, but a family's failures on a gym's shared Wi-Fi never
/// lock that gym's front desk out of the Office Portal, nor another organization's people.
pub fn address_key(portal: &str, org_slug: &str, address: &str) -> String {
    format!("addr:{portal}:{org_slug}:{address}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Attempts counted in the current window (a successful one is given back).
    pub attempts: i64,
    pub window_started_at: Timestamp,
    pub locked_until: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many failed sign-in attempts. Try again in {retry_after_seconds} seconds.")]
pub struct Locked {
    pub retry_after_seconds: i64,
}

impl ThrottlePolicy {
    /// Whether an attempt may check its password. `counted` is the key's state with this attempt
    /// already counted (atomically, before any password is checked, so that a burst of parallel
    /// attempts cannot all read the same old count): refused while locked, and refused (and the
    /// key locked) past the allowance.
    pub fn admit(&self, counted: &ThrottleState, now: Timestamp) -> Result<(), Refused> {
        if let Some(until) = counted.locked_until.filter(|until| *until > now) {
            return Err(Refused { locked: locked_for(until, now), lock_from_now: false });
        }
        if counted.attempts > self.max_attempts {
            let until = now.plus_seconds(self.lockout_seconds);
            return Err(Refused { locked: locked_for(until, now), lock_from_now: true });
        }
        Ok(())
    }

    /// After a wrong password: the attempt that reaches the limit starts the lockout.
    pub fn lockout_after_failure(&self, counted: &ThrottleState, now: Timestamp) -> Option<Timestamp> {
        (counted.attempts >= self.max_attempts).then(|| now.plus_seconds(self.lockout_seconds))
    }
}

/// An attempt refused by a throttle; `lock_from_now` says the key is to be locked now (the burst
/// went past the allowance before any failure could lock it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub locked: Locked,
    pub lock_from_now: bool,
}

fn locked_for(until: Timestamp, now: Timestamp) -> Locked {
    Locked { retry_after_seconds: ((until.millis() - now.millis()) + 999) / 1000 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn an_address_is_locked_per_organization_and_portal() {
        let keys = [
            address_key("guardian", "splash", "203.0.113.7"),
            address_key("staff", "splash", "203.0.113.7"),
            address_key("guardian", "gym", "203.0.113.7"),
        ];
        assert_eq!(keys.iter().collect::<std::collections::HashSet<_>>().len(), 3);
        assert_ne!(account_key("staff", "splash", "a@b.test"), account_key("guardian", "splash", "a@b.test"));
    }

    fn counted(attempts: i64) -> ThrottleState {
        ThrottleState { attempts, window_started_at: T0, locked_until: None }
    }

    #[test]
    fn the_fifth_attempt_may_still_check_its_password() {
        assert_eq!(ACCOUNT_POLICY.admit(&counted(5), T0), Ok(()));
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        assert_eq!(ACCOUNT_POLICY.lockout_after_failure(&counted(4), T0), None);
        let until = ACCOUNT_POLICY.lockout_after_failure(&counted(5), T0).expect("locked");
        let locked = ThrottleState { locked_until: Some(until), ..counted(0) };
        let refused = ACCOUNT_POLICY.admit(&locked, T0).expect_err("locked");
        assert_eq!(refused.locked, Locked { retry_after_seconds: 900 });
        assert!(!refused.lock_from_now);
        assert_eq!(ACCOUNT_POLICY.admit(&locked, T0.plus_seconds(901)), Ok(()));
    }

    #[test]
    fn a_burst_past_the_allowance_is_refused_and_locks() {
        // Forty parallel attempts are counted 1..=40 before any password is checked.
        let admitted = (1..=40).filter(|n| ACCOUNT_POLICY.admit(&counted(*n), T0).is_ok()).count();
        assert_eq!(admitted, 5);
        let refused = ACCOUNT_POLICY.admit(&counted(6), T0).expect_err("past the allowance");
        assert!(refused.lock_from_now);
        assert_eq!(refused.locked.retry_after_seconds, 900);
    }

    #[test]
    fn the_address_allows_thirty() {
        assert_eq!(ADDRESS_POLICY.admit(&counted(30), T0), Ok(()));
        assert!(ADDRESS_POLICY.admit(&counted(31), T0).is_err());
    }
}
