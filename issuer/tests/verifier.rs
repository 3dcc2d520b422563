//! The verifier's rules, with an explicit clock and the in-memory store.
//! Codes are made by the wallet's own encoder (`core::code::encode`), so
//! these tests also pin the issuer to the wallet's format.

use paycode_issuer::allowance::PinReason;
use paycode_issuer::money::{parse_amount, Fen};
use paycode_issuer::secret::SecretKey;
use paycode_issuer::store::{
    CardKey, CardRecord, ChargeStatus, DbLocation, MemoryStore, SqliteStore, Store, TxMode,
};
use paycode_issuer::verifier::{
    ChargeOutcome, ChargeRequest, PinError, RejectReason, Verifier, VerifierConfig, VerifyOutcome,
};
use paycode_wallet::core::code::{encode, Fields, Layout};
use proptest::prelude::*;

const KEY: [u8; 32] = [0x42; 32];
const TOKEN: u32 = 482_913;
const PERIOD: u64 = 60;
/// 2025-11-25T19:46:40Z = 03:46:40 on 2025-11-26 in Shanghai.
const T0: u64 = 1_764_100_000;

fn card() -> CardRecord {
    CardRecord {
        key: CardKey {
            prefix: 13,
            token: TOKEN,
        },
        length: 18,
        issuer: "Demo Bank".into(),
        secret: SecretKey::from_slice(&KEY),
        period: PERIOD as u32,
        funding: vec![
            paycode_wallet::core::funding::Funding::Balance,
            paycode_wallet::core::funding::Funding::parse("debit:ICBC:1234").unwrap(),
        ],
        created: T0,
        fall_through: false,
        revoked: false,
        key_version: paycode_issuer::custody::KEY_VERSION,
        expires: None,
    }
}

/// One KEK for every store this test process opens, so that a database
/// opened twice (threads, nodes) opens its keys both times.
fn test_vault() -> std::sync::Arc<paycode_issuer::custody::Vault> {
    static VAULT: std::sync::OnceLock<std::sync::Arc<paycode_issuer::custody::Vault>> =
        std::sync::OnceLock::new();
    std::sync::Arc::clone(
        VAULT.get_or_init(|| std::sync::Arc::new(paycode_issuer::custody::Vault::ephemeral())),
    )
}

fn verifier_with<S: Store>(mut store: S) -> Verifier<S> {
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card()).unwrap();
    tx.commit().unwrap();
    Verifier::new(store, VerifierConfig::default())
}

/// The store the suite runs on: in memory, or with the `postgres-tests`
/// feature a fresh PostgreSQL database per verifier (the PostgreSQL
/// section of .ci/test.sh).
#[cfg(not(feature = "postgres-tests"))]
type TestStore = MemoryStore;
#[cfg(feature = "postgres-tests")]
type TestStore = paycode_issuer::store::PgStore;

#[cfg(not(feature = "postgres-tests"))]
fn test_store() -> TestStore {
    MemoryStore::new()
}

#[cfg(feature = "postgres-tests")]
fn test_store() -> TestStore {
    use paycode_issuer::store::postgres::scratch;
    paycode_issuer::store::PgStore::open(
        &scratch::database("verifier"),
        std::sync::Arc::new(paycode_issuer::custody::Vault::ephemeral()),
    )
    .unwrap()
}

fn verifier() -> Verifier<TestStore> {
    verifier_with(test_store())
}

/// The code the wallet shows at `t` after `counter` swipes.
fn code_at(t: u64, counter: u8, funding: u8) -> String {
    code_with(&KEY, TOKEN, t, counter, funding)
}

fn code_with(key: &[u8], token: u32, t: u64, counter: u8, funding: u8) -> String {
    let fields = Fields {
        token,
        step: t / PERIOD,
        counter,
        funding,
    };
    encode(Layout::DEFAULT, key, &fields)
        .unwrap()
        .as_str()
        .to_owned()
}

fn yuan(text: &str) -> Fen {
    parse_amount(text).unwrap()
}

fn charge<S: Store>(v: &mut Verifier<S>, code: &str, amount: &str, now: u64) -> ChargeOutcome {
    v.charge(&ChargeRequest {
        code,
        amount: yuan(amount),
        now,
        merchant: Some("Corner Shop"),
    })
    .unwrap()
}

fn reason(outcome: &ChargeOutcome) -> Option<RejectReason> {
    match outcome {
        ChargeOutcome::Rejected(r) => Some(r.reason),
        _ => None,
    }
}

fn is_approved(outcome: &ChargeOutcome) -> bool {
    matches!(outcome, ChargeOutcome::Approved { .. })
}

#[test]
fn fresh_code_is_approved_with_its_funding_source() {
    let mut v = verifier();
    let out = charge(&mut v, &code_at(T0, 0, 1), "12.50", T0);
    let ChargeOutcome::Approved { charge_id, code } = out else {
        panic!("not approved: {out:?}");
    };
    assert!(charge_id.starts_with("ch_"));
    assert_eq!(code.step, T0 / PERIOD);
    assert_eq!(code.funding.index, 1);
    assert_eq!(code.funding.source, "debit:ICBC:1234");
    assert_eq!(code.funding.label, "ICBC ••1234");
    let mut tx = v.store_mut().begin(TxMode::Read).unwrap();
    let rec = tx.charge(&charge_id).unwrap().unwrap();
    assert_eq!(rec.status, ChargeStatus::Approved);
    assert_eq!(rec.amount.as_fen(), 1250);
    assert_eq!(rec.merchant.as_deref(), Some("Corner Shop"));
}

#[test]
fn window_is_one_step_either_side() {
    for (made, used) in [(T0, T0 + PERIOD), (T0 + PERIOD, T0), (T0, T0 + 59)] {
        let mut v = verifier();
        assert!(is_approved(&charge(
            &mut v,
            &code_at(made, 0, 0),
            "1",
            used
        )));
    }
}

#[test]
fn old_and_future_codes_are_expired_not_bad_mac() {
    for steps in 2..=6u64 {
        let mut v = verifier();
        let past = charge(&mut v, &code_at(T0 - steps * PERIOD, 0, 0), "1", T0);
        assert_eq!(reason(&past), Some(RejectReason::Expired), "{steps} back");
        let future = charge(&mut v, &code_at(T0 + steps * PERIOD, 0, 0), "1", T0);
        assert_eq!(
            reason(&future),
            Some(RejectReason::Expired),
            "{steps} ahead"
        );
    }
}

#[test]
fn code_under_another_key_is_bad_mac() {
    let mut v = verifier();
    let forged = code_with(&[0x43; 32], TOKEN, T0, 0, 0);
    assert_eq!(
        reason(&charge(&mut v, &forged, "1", T0)),
        Some(RejectReason::BadMac)
    );
    // Outside the window too: a forgery is never reported as merely expired.
    let forged_old = code_with(&[0x43; 32], TOKEN, T0 - 3 * PERIOD, 0, 0);
    assert_eq!(
        reason(&charge(&mut v, &forged_old, "1", T0)),
        Some(RejectReason::BadMac)
    );
}

#[test]
fn same_code_twice_is_replayed() {
    let mut v = verifier();
    let code = code_at(T0, 0, 0);
    assert!(is_approved(&charge(&mut v, &code, "1", T0)));
    assert_eq!(
        reason(&charge(&mut v, &code, "1", T0 + 1)),
        Some(RejectReason::Replayed)
    );
}

#[test]
fn older_swipe_or_step_after_a_newer_one_is_superseded() {
    let mut v = verifier();
    let older = code_at(T0, 1, 0);
    let newer = code_at(T0, 2, 0);
    let previous_step = code_at(T0 - PERIOD, 5, 0);
    assert!(is_approved(&charge(&mut v, &newer, "1", T0)));
    assert_eq!(
        reason(&charge(&mut v, &older, "1", T0)),
        Some(RejectReason::Superseded)
    );
    assert_eq!(
        reason(&charge(&mut v, &previous_step, "1", T0)),
        Some(RejectReason::Superseded)
    );
    // A later swipe and a later step are still fine.
    assert!(is_approved(&charge(&mut v, &code_at(T0, 3, 0), "1", T0)));
    assert!(is_approved(&charge(
        &mut v,
        &code_at(T0 + PERIOD, 0, 0),
        "1",
        T0 + PERIOD
    )));
}

#[test]
fn unknown_cards_prefixes_and_malformed_codes_are_named() {
    let mut v = verifier();
    let other_token = code_with(&KEY, TOKEN + 1, T0, 0, 0);
    assert_eq!(
        reason(&charge(&mut v, &other_token, "1", T0)),
        Some(RejectReason::UnknownCard)
    );
    let fields = Fields {
        token: TOKEN,
        step: T0 / PERIOD,
        counter: 0,
        funding: 0,
    };
    let other_prefix = encode(Layout::new(14, 18).unwrap(), &KEY, &fields).unwrap();
    assert_eq!(
        reason(&charge(&mut v, other_prefix.as_str(), "1", T0)),
        Some(RejectReason::UnknownPrefix)
    );
    let other_length = encode(Layout::new(13, 20).unwrap(), &KEY, &fields).unwrap();
    assert_eq!(
        reason(&charge(&mut v, other_length.as_str(), "1", T0)),
        Some(RejectReason::UnknownCard)
    );
    assert_eq!(
        reason(&charge(&mut v, "093456789012345678", "1", T0)),
        Some(RejectReason::UnknownPrefix)
    );
    let good = code_at(T0, 0, 0);
    for bad in [
        "",
        "abc",
        &good[..10],
        &good[..15],
        &format!("{good}0000000"),
        "1345 6789 0123 4567",
        "139999999999999999",
    ] {
        let out = charge(&mut v, bad, "1", T0);
        let ChargeOutcome::Rejected(r) = out else {
            panic!("{bad:?} accepted");
        };
        assert_eq!(r.reason, RejectReason::Malformed, "{bad:?}");
        assert!(!r.message.is_empty());
    }
    // A genuine code naming a funding source the card does not have.
    let no_such_funding = code_at(T0, 0, 5);
    assert_eq!(
        reason(&charge(&mut v, &no_such_funding, "1", T0)),
        Some(RejectReason::Malformed)
    );
    // None of this used the real code up.
    assert!(is_approved(&charge(&mut v, &good, "1", T0)));
}

#[test]
fn eleventh_charge_of_a_local_day_needs_the_pin() {
    let mut v = verifier();
    // Shanghai's day ends at 16:00 UTC; T0 is 03:46 local, leaving room for
    // eleven one-minute steps.
    for i in 0..10 {
        let t = T0 + i * PERIOD;
        assert!(
            is_approved(&charge(&mut v, &code_at(t, 0, 0), "1", t)),
            "#{i}"
        );
    }
    let t = T0 + 10 * PERIOD;
    let out = charge(&mut v, &code_at(t, 0, 0), "1", t);
    let ChargeOutcome::PinRequired {
        reason, charge_id, ..
    } = &out
    else {
        panic!("{out:?}");
    };
    assert_eq!(*reason, PinReason::DailyCount);
    let mut tx = v.store_mut().begin(TxMode::Read).unwrap();
    assert_eq!(
        tx.charge(charge_id).unwrap().unwrap().status,
        ChargeStatus::PinRequired
    );
    drop(tx);

    // The next local day starts at 16:00 UTC: 2025-11-26T16:00:00Z.
    let next_day = 1_764_172_800;
    assert!(is_approved(&charge(
        &mut v,
        &code_at(next_day, 0, 0),
        "1",
        next_day
    )));
    // One second earlier was still the old day.
    let mut v2 = verifier();
    for i in 0..10 {
        let t = next_day - 1 - (10 - i) * PERIOD;
        assert!(is_approved(&charge(&mut v2, &code_at(t, 0, 0), "1", t)));
    }
    let t = next_day - 1;
    assert!(matches!(
        charge(&mut v2, &code_at(t, 0, 0), "1", t),
        ChargeOutcome::PinRequired {
            reason: PinReason::DailyCount,
            ..
        }
    ));
}

#[test]
fn amount_limit_is_300_yuan_inclusive() {
    let mut v = verifier();
    assert!(is_approved(&charge(
        &mut v,
        &code_at(T0, 0, 0),
        "300.00",
        T0
    )));
    let out = charge(&mut v, &code_at(T0, 1, 0), "300.01", T0);
    assert!(
        matches!(
            out,
            ChargeOutcome::PinRequired {
                reason: PinReason::AmountLimit,
                ..
            }
        ),
        "{out:?}"
    );
}

#[test]
fn pin_required_consumes_the_code_and_can_be_completed() {
    let mut v = verifier();
    let code = code_at(T0, 0, 0);
    let ChargeOutcome::PinRequired { charge_id, .. } = charge(&mut v, &code, "500", T0) else {
        panic!("expected PIN required");
    };
    assert_eq!(
        reason(&charge(&mut v, &code, "500", T0)),
        Some(RejectReason::Replayed)
    );
    let done = v.complete_with_pin(&charge_id).unwrap().unwrap();
    assert_eq!(done.status, ChargeStatus::PinApproved);
    assert_eq!(
        v.complete_with_pin(&charge_id).unwrap(),
        Err(PinError::NotPending)
    );
    assert_eq!(
        v.complete_with_pin("ch_nope").unwrap(),
        Err(PinError::UnknownCharge)
    );
}

#[test]
fn five_failures_lock_the_token_until_the_cooldown_ends() {
    let mut v = verifier();
    let forged = code_with(&[0x43; 32], TOKEN, T0, 0, 0);
    for i in 0..5 {
        assert_eq!(
            reason(&charge(&mut v, &forged, "1", T0 + i)),
            Some(RejectReason::BadMac)
        );
    }
    // Now even a genuine code is refused, and verify says so too.
    let t = T0 + 10;
    let valid = code_at(t, 0, 0);
    assert_eq!(
        reason(&charge(&mut v, &valid, "1", t)),
        Some(RejectReason::Locked)
    );
    let VerifyOutcome::Rejected(r) = v.verify(&valid, t).unwrap() else {
        panic!("verify passed a locked token");
    };
    assert_eq!(r.reason, RejectReason::Locked);
    // Locked at T0 + 4 for 15 minutes.
    let unlock = T0 + 4 + 15 * 60;
    let just_before = unlock - 1;
    assert_eq!(
        reason(&charge(
            &mut v,
            &code_at(just_before, 0, 0),
            "1",
            just_before
        )),
        Some(RejectReason::Locked)
    );
    assert!(is_approved(&charge(
        &mut v,
        &code_at(unlock, 0, 0),
        "1",
        unlock
    )));
}

#[test]
fn replays_and_expired_codes_count_towards_the_lock_and_success_resets() {
    let mut v = verifier();
    let used = code_at(T0, 0, 0);
    assert!(is_approved(&charge(&mut v, &used, "1", T0)));
    let expired = code_at(T0 - 3 * PERIOD, 0, 0);
    for _ in 0..2 {
        charge(&mut v, &used, "1", T0);
        charge(&mut v, &expired, "1", T0);
    }
    // Four failures, then a success clears them...
    assert!(is_approved(&charge(&mut v, &code_at(T0, 1, 0), "1", T0)));
    for _ in 0..4 {
        charge(&mut v, &used, "1", T0);
    }
    // ...so four more do not lock.
    assert!(is_approved(&charge(&mut v, &code_at(T0, 2, 0), "1", T0)));
    for _ in 0..5 {
        charge(&mut v, &used, "1", T0);
    }
    assert_eq!(
        reason(&charge(&mut v, &code_at(T0, 3, 0), "1", T0)),
        Some(RejectReason::Locked)
    );
}

#[test]
fn codes_naming_a_missing_funding_source_count_as_failures() {
    let mut v = verifier();
    for counter in 0..5 {
        let out = charge(&mut v, &code_at(T0, counter, 5), "1", T0);
        assert_eq!(reason(&out), Some(RejectReason::Malformed));
    }
    assert_eq!(
        reason(&charge(&mut v, &code_at(T0, 6, 0), "1", T0)),
        Some(RejectReason::Locked)
    );
}

#[test]
fn unknown_cards_and_malformed_codes_lock_nothing() {
    let mut v = verifier();
    for _ in 0..10 {
        charge(&mut v, "130000000000000000", "1", T0);
        charge(&mut v, "12", "1", T0);
    }
    assert!(is_approved(&charge(&mut v, &code_at(T0, 0, 0), "1", T0)));
}

#[test]
fn verify_checks_without_consuming_or_counting() {
    let mut v = verifier();
    let code = code_at(T0, 2, 1);
    for _ in 0..3 {
        let VerifyOutcome::Valid(valid) = v.verify(&code, T0).unwrap() else {
            panic!("valid code refused");
        };
        assert_eq!((valid.counter, valid.funding.index), (2, 1));
        assert_eq!(valid.card.token, TOKEN);
    }
    let forged = code_with(&[0x43; 32], TOKEN, T0, 0, 0);
    for _ in 0..10 {
        let VerifyOutcome::Rejected(r) = v.verify(&forged, T0).unwrap() else {
            panic!("forged code passed");
        };
        assert_eq!(r.reason, RejectReason::BadMac);
    }
    assert!(is_approved(&charge(&mut v, &code, "1", T0)));
    let VerifyOutcome::Rejected(r) = v.verify(&code, T0).unwrap() else {
        panic!("used code still valid");
    };
    assert_eq!(r.reason, RejectReason::Replayed);
}

#[test]
fn sqlite_store_gives_the_same_answers() {
    let mut v = verifier_with(SqliteStore::open_in_memory().unwrap());
    let code = code_at(T0, 0, 0);
    assert!(is_approved(&charge(&mut v, &code, "300", T0)));
    assert_eq!(
        reason(&charge(&mut v, &code, "1", T0)),
        Some(RejectReason::Replayed)
    );
    assert!(matches!(
        charge(&mut v, &code_at(T0, 1, 0), "300.01", T0),
        ChargeOutcome::PinRequired {
            reason: PinReason::AmountLimit,
            ..
        }
    ));
}

#[test]
fn debug_output_of_issuer_types_shows_no_key() {
    let v = verifier();
    let shown = format!("{v:?} {:?} {:#?}", card(), card());
    // 0x42 = 66: neither form of the key bytes may appear.
    assert!(!shown.contains("66, 66"), "{shown}");
    assert!(!shown.to_lowercase().contains("4242"), "{shown}");
    assert!(shown.contains("redacted"));
    let sqlite = verifier_with(SqliteStore::open_in_memory().unwrap());
    assert!(!format!("{sqlite:?}").contains("66, 66"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the wallet encodes within the window verifies, with the
    /// fields it encoded.
    #[test]
    fn wallet_codes_round_trip(
        offset in 0u64..1_000_000_000,
        skew in -1i64..=1,
        counter in 0u8..16,
        funding in 0u8..2,
        within in 0u64..PERIOD,
    ) {
        let now = T0 + offset * PERIOD + within;
        let made = now.checked_add_signed(skew * PERIOD as i64).unwrap();
        let mut v = verifier();
        let code = code_at(made, counter, funding);
        match v.verify(&code, now).unwrap() {
            VerifyOutcome::Valid(valid) => {
                prop_assert_eq!(valid.step, made / PERIOD);
                prop_assert_eq!(valid.counter, counter);
                prop_assert_eq!(valid.funding.index, funding);
            }
            VerifyOutcome::Rejected(r) => prop_assert!(false, "refused: {}", r),
        }
        prop_assert!(is_approved(&charge(&mut v, &code, "0.01", now)));
    }

    #[test]
    fn any_string_is_answered_without_panic(code in ".{0,40}", digits in "[0-9]{0,30}") {
        let mut v = verifier();
        for c in [&code, &digits] {
            let out = charge(&mut v, c, "1", T0);
            prop_assert!(!is_approved(&out));
            let _ = v.verify(c, T0).unwrap();
        }
    }
}

#[test]
fn verifiers_can_move_to_a_server_thread() {
    fn send<T: Send + 'static>() {}
    send::<Verifier<SqliteStore>>();
    send::<Verifier<MemoryStore>>();
    send::<Box<dyn Store>>();
}

#[test]
fn day_boundary_follows_the_configured_offset() {
    use paycode_issuer::allowance::UtcOffset;
    let mut config = VerifierConfig::default();
    config.allowance.offset = UtcOffset::UTC;
    let mut store = MemoryStore::new();
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_card(&card()).unwrap();
    tx.commit().unwrap();
    let mut v = Verifier::new(store, config);
    // 2025-11-26T00:00:00Z: midnight in UTC, 08:00 in Shanghai.
    let midnight = 1_764_115_200;
    for i in 1..=10 {
        let t = midnight - 1 - (11 - i) * PERIOD;
        assert!(is_approved(&charge(&mut v, &code_at(t, 0, 0), "1", t)));
    }
    // Under Shanghai time this would be the 11th charge of one day.
    assert!(is_approved(&charge(
        &mut v,
        &code_at(midnight, 0, 0),
        "1",
        midnight
    )));
}

#[test]
fn threads_with_their_own_connections_approve_a_code_once() {
    let dir = tempfile::tempdir().unwrap();
    #[allow(unused_mut)]
    let mut shared = vec![DbLocation::from(dir.path().join("issuer.db"))];
    #[cfg(feature = "postgres-tests")]
    shared.push(DbLocation::parse(
        &paycode_issuer::store::postgres::scratch::database("verifier_threads"),
    ));
    for path in shared {
        approve_once_across_connections(&path);
    }
}

fn approve_once_across_connections(path: &DbLocation) {
    drop(verifier_with(path.open(test_vault()).unwrap()));
    let code = code_at(T0, 0, 0);
    let approvals: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let store = path.open(test_vault()).unwrap();
                    let mut v = Verifier::new(store, VerifierConfig::default());
                    usize::from(is_approved(&charge(&mut v, &code, "1", T0)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(approvals, 1, "{path}");
}
