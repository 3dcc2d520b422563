//! A token bucket per key: per merchant on signed `/v1/` requests, per
//! client address on requests that are not authenticated (bad or missing
//! signatures, the demo routes). A till that goes wild, or a script
//! guessing codes or keys, is slowed down without touching the others.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Buckets kept before full (idle) ones are forgotten.
const MAX_CLIENTS: usize = 10_000;

/// `per_second` requests on average, `burst` at once; `per_second == 0`
/// turns the limit off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl Default for RateLimit {
    /// Far above what one till does (a few payments a minute), low enough
    /// that a guessing script gets nowhere fast.
    fn default() -> Self {
        RateLimit {
            per_second: 50.0,
            burst: 100,
        }
    }
}

impl RateLimit {
    pub const OFF: RateLimit = RateLimit {
        per_second: 0.0,
        burst: 0,
    };

    fn is_off(&self) -> bool {
        self.per_second <= 0.0 || !self.per_second.is_finite()
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub(crate) struct RateLimiter<K = IpAddr> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> RateLimiter<K> {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`, or says how long until one is there.
    pub fn take(&self, client: K, now: Instant) -> Result<(), Duration> {
        if self.limit.is_off() {
            return Ok(());
        }
        let burst = f64::from(self.limit.burst.max(1));
        let rate = self.limit.per_second;
        // A poisoned lock only means another request panicked mid-update;
        // the numbers are still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.last).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(client.clone()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let refill = now.duration_since(bucket.last).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

/// The client's address; unspecified when there is no socket (in process).
pub(crate) fn client_of(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Whole seconds to wait, at least one.
pub(crate) fn retry_secs(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

/// Middleware: 429 with `Retry-After` when the client's bucket is empty.
pub(crate) async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_of(&request);
    match limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; wait a moment",
            );
            e.retry_after = Some(retry_secs(wait));
            e.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    }

    #[test]
    fn burst_then_refill_per_client() {
        let limiter = RateLimiter::<IpAddr>::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(ip(1), t0), Ok(()));
        }
        let wait = limiter.take(ip(1), t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Another client has its own bucket.
        assert_eq!(limiter.take(ip(2), t0), Ok(()));
        // Half a second later one token is back, and only one.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(limiter.take(ip(1), t1), Ok(()));
        assert!(limiter.take(ip(1), t1).is_err());
        // Long idle: back to the burst, not beyond.
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take(ip(1), t2), Ok(()));
        }
        assert!(limiter.take(ip(1), t2).is_err());
    }

    #[test]
    fn off_lets_everything_through() {
        let limiter = RateLimiter::<IpAddr>::new(RateLimit::OFF);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(limiter.take(ip(1), t0), Ok(()));
        }
    }

    #[test]
    fn many_clients_do_not_grow_the_table_without_bound() {
        let limiter = RateLimiter::<IpAddr>::new(RateLimit {
            per_second: 1000.0,
            burst: 1,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 500) {
            let client = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            let _ = limiter.take(client, t0 + Duration::from_millis(u64::from(i)));
        }
        assert!(limiter.buckets.lock().unwrap().len() <= MAX_CLIENTS + 1);
    }
}
