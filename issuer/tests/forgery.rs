//! Forging codes by guessing, measured against docs/FORMAT.md §7.
//!
//! Without the key, a guessed code for a known token passes the MAC check
//! with probability 1/M, M = floor(10^(L-2) / 2^30). Here a card is
//! provisioned with a fresh random key and charged with N guesses, each a
//! well-formed code for its token at the current step with a uniformly
//! random MAC; the number accepted must fit a Poisson(N/M) count. Guesses
//! are written with the arithmetic of FORMAT.md §3 directly, not with the
//! wallet's encoder, so the count does not rely on the code under test.
//!
//! Each guess is charged one step after the last (the issuer clock moves 60 s
//! per guess), so an accepted guess never makes a later one "superseded" and
//! the guesses stay independent. Lockout is off for the count and on for
//! [`lockout_allows_five_guesses_per_cooldown`].
//!
//! N is 10,000,000 per layout in an optimised build
//! (`cargo test --release -p paycode-issuer --test forgery`), 50,000 in a
//! debug build (where HMAC runs ~20 times slower), or `PAYCODE_FORGERY_GUESSES`.
//! The RNG seed is fixed (so a run can be repeated exactly) unless
//! `PAYCODE_FORGERY_SEED` is set.

use paycode_issuer::lockout::LockoutPolicy;
use paycode_issuer::money::Fen;
use paycode_issuer::provision::{provision, NewCard};
use paycode_issuer::store::{CardRecord, MemoryStore};
use paycode_issuer::verifier::{
    ChargeOutcome, ChargeRequest, RejectReason, Verifier, VerifierConfig,
};
use paycode_wallet::core::code::{encode, Fields, Layout};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const T0: u64 = 1_764_100_000;
const PERIOD: u64 = 60;
/// Probability allowed in each tail of the Poisson count: about what 6σ
/// leaves in each tail of a normal distribution.
const TAIL: f64 = 1e-9;

fn guesses() -> u64 {
    std::env::var("PAYCODE_FORGERY_GUESSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            50_000
        } else {
            10_000_000
        })
}

fn seed(layout_length: u8) -> u64 {
    std::env::var("PAYCODE_FORGERY_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x5eed_0000 + u64::from(layout_length))
}

/// M written straight from FORMAT.md §3.
fn modulus(length: u8) -> u64 {
    (10u128.pow(u32::from(length) - 2) >> 30) as u64
}

/// A well-formed code for `token` at `step` with the given MAC digits,
/// written from FORMAT.md §3: prefix ++ (F·M + mac) zero-padded to L − 2.
fn code_digits(
    layout: Layout,
    token: u32,
    step: u64,
    counter: u8,
    funding: u8,
    mac: u64,
) -> String {
    let m = u128::from(modulus(layout.length));
    let f = (u128::from(token) << 10) | u128::from(step % 8) << 7 | u128::from(counter) << 3;
    let payload = (f | u128::from(funding)) * m + u128::from(mac);
    let width = usize::from(layout.length) - 2;
    format!("{:02}{payload:0width$}", layout.prefix)
}

fn provisioned(layout: Layout, lockout: LockoutPolicy) -> (Verifier<MemoryStore>, CardRecord) {
    let mut store = MemoryStore::new();
    let card = provision(
        &mut store,
        NewCard {
            issuer: "Demo Bank".into(),
            layout,
            period: PERIOD as u32,
            funding: vec![
                paycode_wallet::core::funding::Funding::Balance,
                paycode_wallet::core::funding::Funding::parse("debit:ICBC:1234").unwrap(),
            ],
            at: T0,
            fall_through: false,
        },
    )
    .expect("provision");
    let config = VerifierConfig {
        lockout,
        ..VerifierConfig::default()
    };
    (Verifier::new(store, config), card)
}

fn charge(v: &mut Verifier<MemoryStore>, code: &str, now: u64) -> ChargeOutcome {
    v.charge(&ChargeRequest {
        code,
        amount: Fen::from_yuan(1, 0),
        now,
        merchant: None,
    })
    .expect("memory store")
}

fn accepted(outcome: &ChargeOutcome) -> bool {
    !matches!(outcome, ChargeOutcome::Rejected(_))
}

/// The wallet's own code for the card: the positive control.
fn genuine(card: &CardRecord, layout: Layout, now: u64, counter: u8) -> String {
    let fields = Fields {
        token: card.key.token,
        step: now / PERIOD,
        counter,
        funding: 0,
    };
    encode(layout, card.secret.as_bytes(), &fields)
        .expect("encode")
        .to_string()
}

/// Smallest `lo` and largest `hi` with P(X < lo) ≤ tail and P(X > hi) ≤ tail
/// for X ~ Poisson(lambda).
fn poisson_bounds(lambda: f64, tail: f64) -> (u64, u64) {
    let mut pmf = (-lambda).exp();
    let mut below = 0.0; // P(X < k)
    let mut lo = 0;
    let mut k = 0u64;
    loop {
        if below <= tail {
            lo = k;
        }
        if below + pmf >= 1.0 - tail {
            return (lo, k);
        }
        below += pmf;
        k += 1;
        pmf *= lambda / k as f64;
    }
}

struct Tally {
    guesses: u64,
    accepted: u64,
    rejected_bad_mac: u64,
}

/// N random guesses against one freshly provisioned card, lockout off.
fn guess_many(length: u8, n: u64) -> (Tally, f64) {
    let layout = Layout::new(13, length).expect("layout");
    let off = LockoutPolicy {
        max_failures: u32::MAX,
        cooldown_seconds: 0,
    };
    let (mut v, card) = provisioned(layout, off);
    let m = modulus(length);
    assert_eq!(
        m,
        layout.mac_modulus(),
        "FORMAT.md §3 and the code agree on M"
    );

    // The harness can accept: the wallet's code is approved at T0.
    let first = genuine(&card, layout, T0, 0);
    assert!(
        accepted(&charge(&mut v, &first, T0)),
        "genuine code refused"
    );

    let mut rng = StdRng::seed_from_u64(seed(length));
    let mut tally = Tally {
        guesses: 0,
        accepted: 0,
        rejected_bad_mac: 0,
    };
    for i in 1..=n {
        let now = T0 + i * PERIOD;
        let code = code_digits(
            layout,
            card.key.token,
            now / PERIOD,
            rng.random_range(0..16),
            rng.random_range(0..2),
            rng.random_range(0..m),
        );
        let outcome = charge(&mut v, &code, now);
        tally.guesses += 1;
        match outcome {
            ChargeOutcome::Rejected(r) if r.reason == RejectReason::BadMac => {
                tally.rejected_bad_mac += 1
            }
            ChargeOutcome::Rejected(r) => panic!("guess {i} {code}: unexpected {r}"),
            _ => tally.accepted += 1,
        }
    }
    // Still working after N failures: lockout really was off, state intact.
    let end = T0 + (n + 1) * PERIOD;
    let last = genuine(&card, layout, end, 0);
    assert!(
        accepted(&charge(&mut v, &last, end)),
        "genuine code refused"
    );
    (tally, n as f64 / m as f64)
}

fn check_forgery_rate(length: u8) {
    let n = guesses();
    let (tally, expected) = guess_many(length, n);
    let (lo, hi) = poisson_bounds(expected, TAIL);
    println!(
        "forgery L={length}: {} guesses, {} accepted, expected N/M = {expected:.2}, \
         allowed {lo}..={hi}",
        tally.guesses, tally.accepted
    );
    assert_eq!(tally.accepted + tally.rejected_bad_mac, n);
    assert!(
        (lo..=hi).contains(&tally.accepted),
        "L={length}: {} of {n} guesses accepted; Poisson({expected:.2}) allows {lo}..={hi}",
        tally.accepted
    );
}

#[test]
fn sixteen_digit_guesses_succeed_at_one_in_m() {
    check_forgery_rate(16);
}

#[test]
fn eighteen_digit_guesses_succeed_at_one_in_m() {
    check_forgery_rate(18);
}

#[test]
fn poisson_bounds_are_about_six_sigma() {
    // λ = 107.4 (10^7 / 93132): σ = 10.4.
    let (lo, hi) = poisson_bounds(107.4, TAIL);
    assert!((40..=55).contains(&lo), "{lo}");
    assert!((165..=185).contains(&hi), "{hi}");
    // Twice the rate (a verifier accepting mac ± 1, say) is far outside.
    assert!(2 * 107 > hi);
    // λ = 1.07 (10^7 / 9313225): no lower bound, a handful at most.
    let (lo, hi) = poisson_bounds(1.07, TAIL);
    assert_eq!(lo, 0);
    assert!((8..=14).contains(&hi), "{hi}");
}

#[test]
fn lockout_locks_a_token_after_five_failures() {
    let layout = Layout::new(13, 16).expect("layout");
    let (mut v, card) = provisioned(layout, LockoutPolicy::default());
    let wrong = |i: u64| {
        let good = genuine(&card, layout, T0, 1);
        // Any MAC other than the right one: shift it by i within 0..M.
        let mac: u64 = good[2..].parse::<u64>().expect("digits") % modulus(16);
        code_digits(
            layout,
            card.key.token,
            T0 / PERIOD,
            1,
            0,
            (mac + i) % modulus(16),
        )
    };
    for i in 1..=4 {
        let out = charge(&mut v, &wrong(i), T0 + i);
        assert!(matches!(&out, ChargeOutcome::Rejected(r) if r.reason == RejectReason::BadMac));
    }
    // The fifth failure locks; from then on even the genuine code is refused.
    let out = charge(&mut v, &wrong(5), T0 + 5);
    assert!(matches!(&out, ChargeOutcome::Rejected(r) if r.reason == RejectReason::BadMac));
    let good = genuine(&card, layout, T0 + 6, 1);
    let out = charge(&mut v, &good, T0 + 6);
    assert!(
        matches!(&out, ChargeOutcome::Rejected(r) if r.reason == RejectReason::Locked),
        "{out:?}"
    );
    // After the 15-minute cool-down the wallet's next code works.
    let later = T0 + 5 + 15 * 60;
    assert!(accepted(&charge(
        &mut v,
        &genuine(&card, layout, later, 0),
        later
    )));
}

#[test]
fn lockout_allows_five_guesses_per_cooldown() {
    // One guess a second for a whole day against one token: only the
    // guesses made while unlocked are checked at all, 5 per 15 minutes,
    // which is FORMAT.md's "480 guesses a day".
    let layout = Layout::new(13, 16).expect("layout");
    let (mut v, card) = provisioned(layout, LockoutPolicy::default());
    let mut rng = StdRng::seed_from_u64(seed(0));
    let m = modulus(16);
    let (mut checked, mut locked) = (0u64, 0u64);
    for now in T0..T0 + 86_400 {
        let code = code_digits(
            layout,
            card.key.token,
            now / PERIOD,
            15,
            0,
            rng.random_range(0..m),
        );
        match charge(&mut v, &code, now) {
            ChargeOutcome::Rejected(r) if r.reason == RejectReason::Locked => locked += 1,
            _ => checked += 1,
        }
    }
    println!("lockout: {checked} guesses checked, {locked} refused as locked in one day");
    assert!(checked <= 480 + 5, "{checked} guesses checked in a day");
    assert!(checked >= 475, "{checked}: the lock outlasts its cool-down");
    assert_eq!(checked + locked, 86_400);
}
