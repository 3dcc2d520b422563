//! Refused signatures (401) counted in memory per (merchant, address) and
//! written to the audit trail as one row per pair and period, not one row
//! per request: a flood of bad requests costs a counter increment each,
//! and at most [`MAX_PAIRS`] rows a period. The server flushes every
//! [`FLUSH_EVERY`] and once more when it stops, after the last request and
//! before the database closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::server::db::Db;
use crate::server::v1::error::V1Error;
use crate::store::audit::{self, AuditEvent, AuditKind};

/// How often counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(60);
/// Distinct pairs kept between flushes; past it, further new pairs are
/// counted under their address alone (merchant unknown), so memory stays
/// bounded whatever a client claims.
pub const MAX_PAIRS: usize = 10_000;

/// Which signed channel refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refused {
    Merchant,
    Wallet,
    Admin,
}

impl Refused {
    fn as_str(self) -> &'static str {
        match self {
            Self::Merchant => "merchant api",
            Self::Wallet => "wallet channel",
            Self::Admin => "admin api",
        }
    }
}

type Pair = (Refused, Option<String>, IpAddr);

#[derive(Debug, Default)]
pub struct FailureTally {
    counts: Mutex<HashMap<Pair, u64>>,
}

impl FailureTally {
    /// One refused request on `channel` from `address`, claiming to be
    /// `merchant` (the id in its header, which the check refused: an id
    /// of at most a header's length, never a key).
    pub fn count(&self, channel: Refused, merchant: Option<&str>, address: IpAddr) {
        let mut counts = self.lock();
        let mut pair = (channel, merchant.map(str::to_owned), address);
        if counts.len() >= MAX_PAIRS && !counts.contains_key(&pair) {
            pair.1 = None;
        }
        *counts.entry(pair).or_insert(0) += 1;
    }

    /// The counts so far as audit events, and zero from now on.
    pub fn take(&self, now: u64) -> Vec<AuditEvent> {
        let mut counts = std::mem::take(&mut *self.lock());
        let mut events: Vec<AuditEvent> = counts
            .drain()
            .map(|((channel, merchant, address), count)| AuditEvent {
                at: now,
                kind: AuditKind::Unauthorized,
                card: None,
                merchant,
                address: Some(address.to_string()),
                count,
                detail: format!("401 on the {}", channel.as_str()),
            })
            .collect();
        // A stable order within one flush: by address, then merchant.
        events.sort_by(|a, b| (&a.address, &a.merchant).cmp(&(&b.address, &b.merchant)));
        events
    }

    /// Writes what was counted; on failure the counts are lost and the
    /// error logged (the server goes on).
    pub async fn flush(&self, db: &Db) {
        let events = self.take(crate::server::now());
        if events.is_empty() {
            return;
        }
        let written = db
            .write(move |tx, _| {
                for event in &events {
                    audit::record(tx, event)?;
                }
                Ok::<_, V1Error>(())
            })
            .await;
        if let Err(e) = written {
            eprintln!(
                "paycode serve: could not write the 401 counts: {}",
                e.message
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Pair, u64>> {
        // A poisoned map only means a thread panicked while counting.
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The flushing loop: every [`FLUSH_EVERY`] until the server closes
/// (the final flush is the server's, after the last request).
pub async fn flush_periodically(
    tally: std::sync::Arc<FailureTally>,
    db: std::sync::Arc<Db>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(FLUSH_EVERY);
    every.tick().await;
    loop {
        let due = tokio::select! {
            _ = every.tick() => true,
            // The watch's guard must not live across the flush's await.
            _ = closing.wait_for(|closed| *closed) => false,
        };
        if !due {
            return;
        }
        tally.flush(&db).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_pair_and_bounded() {
        let tally = FailureTally::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            tally.count(Refused::Merchant, Some("m_1"), a);
        }
        tally.count(Refused::Merchant, None, b);
        let events = tally.take(7);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].count, 3);
        assert_eq!(events[0].merchant.as_deref(), Some("m_1"));
        assert_eq!(events[0].address.as_deref(), Some("192.0.2.1"));
        assert_eq!((events[1].count, events[1].at), (1, 7));
        assert!(tally.take(8).is_empty(), "taken means zero again");

        for i in 0..MAX_PAIRS + 5 {
            tally.count(Refused::Merchant, Some(&format!("m_{i}")), a);
        }
        let events = tally.take(9);
        assert_eq!(events.len(), MAX_PAIRS + 1);
        let unnamed = events.iter().find(|e| e.merchant.is_none()).unwrap();
        assert_eq!(unnamed.count, 5);
    }
}
