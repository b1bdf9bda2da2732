//! Login throttling: too many failed sign-ins lock the account (and the client address) for a while.

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: i64,
    pub window_seconds: i64,
    pub lockout_seconds: i64,
}

/// Per account (organization and e-mail): a person guessing one account's password.
pub const ACCOUNT_POLICY: ThrottlePolicy =
    ThrottlePolicy { max_failures: 5, window_seconds: 15 * 60, lockout_seconds: 15 * 60 };
/// Per client address: one machine guessing many accounts.
pub const ADDRESS_POLICY: ThrottlePolicy =
    ThrottlePolicy { max_failures: 30, window_seconds: 15 * 60, lockout_seconds: 15 * 60 };

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_started_at: Timestamp,
    pub locked_until: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many failed sign-in attempts. Try again in {retry_after_seconds} seconds.")]
pub struct Locked {
    pub retry_after_seconds: i64,
}

impl ThrottlePolicy {
    pub fn check(&self, state: Option<&ThrottleState>, now: Timestamp) -> Result<(), Locked> {
        match state.and_then(|s| s.locked_until) {
            Some(until) if until > now => Err(Locked {
                retry_after_seconds: ((until.millis() - now.millis()) + 999) / 1000,
            }),
            _ => Ok(()),
        }
    }

    /// The state after one more failure: the count restarts when the window has passed, and the
    /// failure that reaches the limit starts the lockout.
    pub fn after_failure(&self, state: Option<&ThrottleState>, now: Timestamp) -> ThrottleState {
        let fresh = ThrottleState { failures: 0, window_started_at: now, locked_until: None };
        let current = match state {
            Some(s) if s.window_started_at.plus_seconds(self.window_seconds) > now => *s,
            _ => fresh,
        };
        let failures = current.failures + 1;
        let locked_until = if failures >= self.max_failures {
            Some(now.plus_seconds(self.lockout_seconds))
        } else {
            current.locked_until
        };
        let (failures, window_started_at) = if locked_until.is_some() && current.locked_until.is_none() {
            (0, now) // the lockout starts a new count for afterwards
        } else {
            (failures, current.window_started_at)
        };
        ThrottleState { failures, window_started_at, locked_until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    fn fail(n: usize, policy: &ThrottlePolicy, now: Timestamp) -> Option<ThrottleState> {
        let mut s = None;
        for _ in 0..n {
            s = Some(policy.after_failure(s.as_ref(), now));
        }
        s
    }

    #[test]
    fn four_failures_still_allow_a_fifth_try() {
        let s = fail(4, &ACCOUNT_POLICY, T0);
        assert_eq!(ACCOUNT_POLICY.check(s.as_ref(), T0), Ok(()));
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let s = fail(5, &ACCOUNT_POLICY, T0);
        assert_eq!(ACCOUNT_POLICY.check(s.as_ref(), T0), Err(Locked { retry_after_seconds: 900 }));
        assert_eq!(ACCOUNT_POLICY.check(s.as_ref(), T0.plus_seconds(901)), Ok(()));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_add_up() {
        let mut s = fail(4, &ACCOUNT_POLICY, T0);
        s = Some(ACCOUNT_POLICY.after_failure(s.as_ref(), T0.plus_seconds(16 * 60)));
        assert_eq!(s.map(|s| s.failures), Some(1));
        assert_eq!(ACCOUNT_POLICY.check(s.as_ref(), T0.plus_seconds(16 * 60)), Ok(()));
    }
}
