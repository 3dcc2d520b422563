//! Which code the wallet shows right now.
//!
//! The code depends on the issuer's clock (device time + a fixed offset),
//! the time step it falls in, a swipe counter that restarts at 0 in every
//! new step, and the chosen funding source. Times come in as device
//! milliseconds (`Date.now()`), so everything here runs and is tested
//! without a browser; the web layer only adds timers and canvases.

use super::code::{PaymentCode, COUNTER_LIMIT};
use super::error::CodeError;
pub use super::error::RotationError;
use super::limits::MAX_FUNDING;
use super::link::Card;

/// Clock offsets beyond ±100 years are a bug in the caller, not a clock.
const MAX_OFFSET_MS: f64 = 100.0 * 366.0 * 86_400_000.0;
/// Largest integer a JS number holds exactly.
const MAX_SAFE_MS: f64 = 9_007_199_254_740_991.0;

pub struct Rotation {
    card: Card,
    /// Issuer clock minus device clock.
    clock_offset_ms: i64,
    funding: u8,
    step: u64,
    counter: u8,
    code: PaymentCode,
}

impl Rotation {
    /// Starts at the current step, counter 0. `clock_offset_ms` is issuer
    /// time minus device time; see [`Rotation::offset_from_link`].
    pub fn new(
        card: Card,
        clock_offset_ms: f64,
        funding: u32,
        device_now_ms: f64,
    ) -> Result<Rotation, RotationError> {
        if !clock_offset_ms.is_finite() || clock_offset_ms.abs() > MAX_OFFSET_MS {
            return Err(RotationError::BadClock);
        }
        let funding = funding_index(&card, funding)?;
        let clock_offset_ms = clock_offset_ms as i64;
        let issuer_ms = issuer_ms(clock_offset_ms, device_now_ms)?;
        let step = step_of(&card, issuer_ms);
        let code = card.code_at(issuer_ms / 1000, 0, funding)?;
        Ok(Rotation {
            card,
            clock_offset_ms,
            funding,
            step,
            counter: 0,
            code,
        })
    }

    /// The default offset: the link's issuer time is taken as "now".
    pub fn offset_from_link(card: &Card, device_now_ms: f64) -> f64 {
        card.issued_at as f64 * 1000.0 - device_now_ms
    }

    /// Follows the clock: in a new step the counter restarts at 0. Returns
    /// whether the shown code changed.
    pub fn tick(&mut self, device_now_ms: f64) -> Result<bool, RotationError> {
        let now = issuer_ms(self.clock_offset_ms, device_now_ms)?;
        let step = step_of(&self.card, now);
        if step == self.step {
            return Ok(false);
        }
        self.show(now, step, 0, self.funding)?;
        Ok(true)
    }

    /// A fresh code now: the next counter within the current step, or
    /// counter 0 if the step has moved on. After counter 15 there is no
    /// fresh code until the next step; the shown code stays as it was.
    pub fn refresh(&mut self, device_now_ms: f64) -> Result<(), RotationError> {
        let now = issuer_ms(self.clock_offset_ms, device_now_ms)?;
        let step = step_of(&self.card, now);
        let counter = if step == self.step {
            self.counter + 1
        } else {
            0
        };
        if counter >= COUNTER_LIMIT {
            return Err(RotationError::CounterExhausted);
        }
        self.show(now, step, counter, self.funding)
    }

    /// Shows the code for funding source `index` (keeping the counter
    /// within the same step).
    pub fn set_funding(&mut self, index: u32, device_now_ms: f64) -> Result<(), RotationError> {
        let funding = funding_index(&self.card, index)?;
        let now = issuer_ms(self.clock_offset_ms, device_now_ms)?;
        let step = step_of(&self.card, now);
        let counter = if step == self.step { self.counter } else { 0 };
        self.show(now, step, counter, funding)
    }

    /// Milliseconds until the step after the shown one begins (0 if it
    /// already has: the caller should tick).
    pub fn ms_until_rotate(&self, device_now_ms: f64) -> u64 {
        let Ok(now) = issuer_ms(self.clock_offset_ms, device_now_ms) else {
            return 0;
        };
        let period_ms = u64::from(self.card.period.max(1)) * 1000;
        self.step
            .saturating_add(1)
            .saturating_mul(period_ms)
            .saturating_sub(now)
    }

    /// Computes first and commits after, so a failure leaves the shown
    /// code untouched.
    fn show(&mut self, now: u64, step: u64, counter: u8, funding: u8) -> Result<(), RotationError> {
        self.code = self.card.code_at(now / 1000, counter, funding)?;
        self.step = step;
        self.counter = counter;
        self.funding = funding;
        Ok(())
    }

    pub fn code(&self) -> &PaymentCode {
        &self.code
    }
    pub fn step(&self) -> u64 {
        self.step
    }
    pub fn counter(&self) -> u8 {
        self.counter
    }
    pub fn funding(&self) -> u8 {
        self.funding
    }
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms
    }
    pub fn card(&self) -> &Card {
        &self.card
    }
}

impl core::fmt::Debug for Rotation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The card's Debug redacts the secret; the code is not printed
        // either, since logs are not the place for a payable code.
        f.debug_struct("Rotation")
            .field("card", &self.card)
            .field("step", &self.step)
            .field("counter", &self.counter)
            .field("funding", &self.funding)
            .finish_non_exhaustive()
    }
}

fn funding_index(card: &Card, index: u32) -> Result<u8, RotationError> {
    u8::try_from(index)
        .ok()
        .filter(|&i| i < MAX_FUNDING && usize::from(i) < card.funding.len())
        .ok_or(RotationError::Code(CodeError::FundingOutOfRange))
}

/// Issuer time in whole milliseconds, or an error for a clock that is not
/// a sane non-negative time (a NaN from JS, a year-5000 offset).
fn issuer_ms(offset_ms: i64, device_now_ms: f64) -> Result<u64, RotationError> {
    let now = device_now_ms + offset_ms as f64;
    if !now.is_finite() || !(0.0..=MAX_SAFE_MS).contains(&now) {
        return Err(RotationError::BadClock);
    }
    Ok(now as u64)
}

fn step_of(card: &Card, issuer_ms: u64) -> u64 {
    card.step_at(issuer_ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issuer time 1764100000 s; with 60 s steps that is step 29401666,
    /// which ends at 1764100020 s (29401667 × 60).
    const LINK: &str = "paycode://provision?v=1&issuer=Demo%20Bank&prefix=13&length=18\
        &token=482913&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&period=60\
        &time=1764100000&funding=balance&funding=debit%3AICBC%3A1234";
    const T0_MS: f64 = 1_764_100_000_000.0;
    const STEP0: u64 = 29_401_666;
    /// A device clock 5 minutes behind the issuer.
    const DEVICE_MS: f64 = T0_MS - 300_000.0;
    const OFFSET: f64 = 300_000.0;

    fn card() -> Card {
        Card::from_link(LINK).expect("valid link")
    }

    fn rotation() -> Rotation {
        Rotation::new(card(), OFFSET, 0, DEVICE_MS).expect("starts")
    }

    #[test]
    fn starts_at_the_issuer_step_with_counter_zero() {
        let r = rotation();
        assert_eq!((r.step(), r.counter(), r.funding()), (STEP0, 0, 0));
        let expected = card().code_at(1_764_100_000, 0, 0).expect("code");
        assert_eq!(r.code().as_str(), expected.as_str());
        assert_eq!(r.ms_until_rotate(DEVICE_MS), 20_000);
        assert_eq!(r.ms_until_rotate(DEVICE_MS + 19_999.0), 1);
        assert_eq!(r.ms_until_rotate(DEVICE_MS + 25_000.0), 0);
    }

    #[test]
    fn default_offset_takes_the_link_time_as_now() {
        let c = card();
        let offset = Rotation::offset_from_link(&c, DEVICE_MS);
        assert_eq!(offset, 300_000.0);
        let r = Rotation::new(c, offset, 0, DEVICE_MS).expect("starts");
        assert_eq!(r.step(), STEP0);
    }

    #[test]
    fn tick_rotates_exactly_at_the_step_boundary() {
        let mut r = rotation();
        r.refresh(DEVICE_MS).expect("fresh code");
        assert!(!r.tick(DEVICE_MS + 19_999.0).expect("tick"));
        assert_eq!((r.step(), r.counter()), (STEP0, 1));
        assert!(r.tick(DEVICE_MS + 20_000.0).expect("tick"));
        assert_eq!((r.step(), r.counter()), (STEP0 + 1, 0), "counter restarts");
        let expected = card().code_at(1_764_100_020, 0, 0).expect("code");
        assert_eq!(r.code().as_str(), expected.as_str());
        assert_eq!(r.ms_until_rotate(DEVICE_MS + 20_000.0), 60_000);
    }

    #[test]
    fn refresh_counts_up_to_15_then_refuses() {
        let mut r = rotation();
        let mut seen = vec![r.code().as_str().to_owned()];
        for counter in 1..=15u8 {
            r.refresh(DEVICE_MS + 1.0).expect("fresh code");
            assert_eq!(r.counter(), counter);
            let expected = card().code_at(1_764_100_000, counter, 0).expect("code");
            assert_eq!(r.code().as_str(), expected.as_str());
            seen.push(r.code().as_str().to_owned());
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 16, "every swipe shows a different code");
        let last = *r.code();
        let err = r.refresh(DEVICE_MS + 2.0).expect_err("exhausted");
        assert_eq!(err, RotationError::CounterExhausted);
        assert_eq!(err.kind(), "counter_exhausted");
        assert_eq!((r.counter(), *r.code()), (15, last), "shown code kept");
        // The next step brings counter 0 back.
        r.refresh(DEVICE_MS + 20_000.0).expect("new step");
        assert_eq!((r.step(), r.counter()), (STEP0 + 1, 0));
    }

    #[test]
    fn set_funding_changes_the_code_and_checks_the_index() {
        let mut r = rotation();
        r.refresh(DEVICE_MS).expect("fresh code");
        let before = *r.code();
        r.set_funding(1, DEVICE_MS).expect("debit source");
        assert_ne!(*r.code(), before);
        assert_eq!((r.funding(), r.counter()), (1, 1));
        let expected = card().code_at(1_764_100_000, 1, 1).expect("code");
        assert_eq!(r.code().as_str(), expected.as_str());
        for bad in [2, 8, 255, 256, u32::MAX] {
            let err = r.set_funding(bad, DEVICE_MS).expect_err("no such source");
            assert_eq!(err.kind(), "funding_out_of_range");
        }
        assert_eq!(r.funding(), 1);
        let err = Rotation::new(card(), OFFSET, 2, DEVICE_MS).expect_err("no such source");
        assert_eq!(err.kind(), "funding_out_of_range");
    }

    #[test]
    fn broken_clocks_are_errors() {
        for offset in [f64::NAN, f64::INFINITY, 1e300, -1e300] {
            let err = Rotation::new(card(), offset, 0, DEVICE_MS).expect_err("bad offset");
            assert_eq!(err.kind(), "bad_clock");
        }
        let err = Rotation::new(card(), -DEVICE_MS - 1000.0, 0, DEVICE_MS).expect_err("negative");
        assert_eq!(err, RotationError::BadClock);
        let mut r = rotation();
        assert_eq!(r.tick(f64::NAN), Err(RotationError::BadClock));
        assert_eq!(r.refresh(f64::NEG_INFINITY), Err(RotationError::BadClock));
        assert_eq!(r.ms_until_rotate(f64::NAN), 0);
    }

    #[test]
    fn debug_shows_no_code_and_no_secret() {
        let r = rotation();
        let text = format!("{r:?}");
        assert!(!text.contains(r.code().as_str()));
        assert!(!text.contains("GEZDGNBV"));
        assert!(
            text.contains("redacted"),
            "the card redacts its secret: {text}"
        );
    }
}
