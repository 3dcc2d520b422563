//! Memory of the nonces already used, so a captured request cannot be sent
//! again while its `ts` is still inside the window.

use std::collections::HashMap;
use std::convert::Infallible;

use super::MAX_CLOCK_SKEW_SECS;

/// Where nonces are remembered. The issuer's store implements this over
/// its `remember_nonce`; it must be shared by every server process that
/// answers for the same merchants.
pub trait NonceLog {
    type Error;

    /// Records `nonce` for `merchant` until `expires_at` (unix seconds; the
    /// entry may be forgotten from then on). `Ok(true)` when it is new,
    /// `Ok(false)` when it was already there and has not expired.
    fn remember(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, Self::Error>;
}

/// A [`NonceLog`] in a `HashMap`, for tests and single-process tools.
/// Entries are dropped once expired, whenever the map has doubled since the
/// last sweep, so its size follows the request rate, not the uptime.
#[derive(Debug, Default)]
pub struct MemoryNonceLog {
    seen: HashMap<(String, String), u64>,
    now: u64,
    swept_at_len: usize,
}

impl MemoryNonceLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the log the time, so expired entries count as unseen and can
    /// be swept. Without it the log still ages entries: a request accepted
    /// now has `expires_at` at most `now + 601`, so the latest `expires_at`
    /// seen, less 601, is never later than the true time.
    pub fn set_now(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn sweep(&mut self) {
        let now = self.now;
        self.seen.retain(|_, expires_at| *expires_at > now);
        self.swept_at_len = self.seen.len();
    }
}

impl NonceLog for MemoryNonceLog {
    type Error = Infallible;

    fn remember(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, Infallible> {
        self.set_now(expires_at.saturating_sub(2 * MAX_CLOCK_SKEW_SECS + 1));
        if self.seen.len() >= 2 * self.swept_at_len.max(512) {
            self.sweep();
        }
        let key = (merchant.to_owned(), nonce.to_owned());
        let now = self.now;
        match self.seen.get_mut(&key) {
            Some(old) if *old > now => Ok(false),
            Some(old) => {
                *old = expires_at;
                Ok(true)
            }
            None => {
                self.seen.insert(key, expires_at);
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_new_once_per_merchant_until_it_expires() {
        let mut log = MemoryNonceLog::new();
        log.set_now(1000);
        assert_eq!(log.remember("a", "n1", 1300), Ok(true));
        assert_eq!(log.remember("a", "n1", 1300), Ok(false));
        assert_eq!(log.remember("b", "n1", 1300), Ok(true));
        log.set_now(1299);
        assert_eq!(log.remember("a", "n1", 1300), Ok(false));
        log.set_now(1300);
        assert_eq!(log.remember("a", "n1", 1600), Ok(true));
    }

    #[test]
    fn later_requests_age_old_entries_without_a_clock() {
        let mut log = MemoryNonceLog::new();
        assert_eq!(log.remember("a", "n1", 1301), Ok(true));
        assert_eq!(log.remember("a", "n2", 1301 + 600), Ok(true));
        assert_eq!(
            log.remember("a", "n1", 1301),
            Ok(false),
            "still within 601 s"
        );
        assert_eq!(log.remember("a", "n3", 1301 + 601), Ok(true));
        assert_eq!(log.remember("a", "n1", 1301), Ok(true), "expired");
    }

    #[test]
    fn expired_entries_are_swept() {
        let mut log = MemoryNonceLog::new();
        for i in 0..600 {
            let _ = log.remember("a", &format!("n{i}"), 10);
        }
        log.set_now(10);
        for i in 0..600 {
            let _ = log.remember("a", &format!("m{i}"), 20);
        }
        assert!(log.len() <= 600, "{}", log.len());
    }
}
