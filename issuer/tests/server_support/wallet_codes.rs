//! The codes a wallet would show, in order: a rising swipe counter within
//! a step, restarted by a new step. Shared by the server tests
//! (`server_support`) and the load example (`examples/load/`, `#[path]`).
#![allow(dead_code)] // Each user needs its own part.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use paycode_wallet::core::link::Card;

/// Seconds since the Unix epoch (0 for a clock before it).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The next code of a card after `last` (step, counter): counter + 1 in the
/// same step, 0 in a newer one. `None` when this step's counters are used
/// up (wait for the next step).
pub fn next_code(card: &Card, last: Option<(u64, u8)>, funding: u8) -> Option<(String, (u64, u8))> {
    let now = unix_now();
    let step = card.step_at(now);
    let counter = match last {
        Some((s, c)) if s == step => c.checked_add(1)?,
        _ => 0,
    };
    let code = card.code_at(now, counter, funding).ok()?;
    Some((code.as_str().to_owned(), (step, counter)))
}

/// [`next_code`], waiting for the next step if needed.
pub async fn wait_next_code(
    card: &Card,
    last: Option<(u64, u8)>,
    funding: u8,
) -> (String, (u64, u8)) {
    loop {
        if let Some(next) = next_code(card, last, funding) {
            return next;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
