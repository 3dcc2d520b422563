//! Locking a token after repeated failures, so that guessing MACs or
//! replaying stolen codes runs out of tries quickly.

/// What counts (FORMAT.md §6, steps 4-6): bad MAC, expired, replayed and
/// superseded codes for a known, unlocked token, and genuine codes naming a
/// funding source the card lacks. Unparsable codes and unknown cards have
/// no token to count against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the token.
    pub max_failures: u32,
    /// How long the lock lasts, in seconds.
    pub cooldown_seconds: u64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            cooldown_seconds: 15 * 60,
        }
    }
}

/// Per-token failure bookkeeping, as kept by the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureState {
    /// Consecutive failures since the last accepted code or lock.
    pub failures: u32,
    /// Unix seconds until which the token is locked (0 = never locked).
    pub locked_until: u64,
}

impl FailureState {
    pub fn is_locked(&self, now: u64) -> bool {
        now < self.locked_until
    }

    /// Counts one failure at `now`; the failure that reaches the limit
    /// starts the lock and the count begins again afterwards.
    pub fn record_failure(&mut self, policy: &LockoutPolicy, now: u64) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= policy.max_failures {
            self.locked_until = now.saturating_add(policy.cooldown_seconds);
            self.failures = 0;
        }
    }

    /// A good code ends the run of failures.
    pub fn record_success(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_failure_locks_for_the_cooldown() {
        let p = LockoutPolicy::default();
        let mut s = FailureState::default();
        for i in 0..4 {
            s.record_failure(&p, 1000 + i);
            assert!(!s.is_locked(1000 + i), "locked after {} failures", i + 1);
        }
        s.record_failure(&p, 2000);
        assert!(s.is_locked(2000));
        assert!(s.is_locked(2000 + 899));
        assert!(!s.is_locked(2000 + 900));
    }

    #[test]
    fn success_resets_the_run() {
        let p = LockoutPolicy::default();
        let mut s = FailureState::default();
        for _ in 0..4 {
            s.record_failure(&p, 10);
        }
        s.record_success();
        for _ in 0..4 {
            s.record_failure(&p, 10);
        }
        assert!(!s.is_locked(10));
    }

    #[test]
    fn cooldown_near_the_end_of_time_saturates() {
        let p = LockoutPolicy::default();
        let mut s = FailureState {
            failures: 4,
            locked_until: 0,
        };
        s.record_failure(&p, u64::MAX - 1);
        assert_eq!(s.locked_until, u64::MAX);
    }
}
