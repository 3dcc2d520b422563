//! The code parser and the reference verifier on arbitrary and on edited
//! genuine codes. Beyond "never panics", each input is checked against an
//! oracle: a code is accepted only if it is exactly what the wallet's
//! encoder writes for the card at the resolved step; `verify` and `charge`
//! agree; an accepted code is refused as a replay the second time; and
//! parse + `mac_matches` agree with `encode` digit for digit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_issuer::money::Fen;
use paycode_issuer::secret::SecretKey;
use paycode_issuer::store::{CardKey, CardRecord, MemoryStore, Store, TxMode};
use paycode_issuer::verifier::{
    ChargeOutcome, ChargeRequest, RejectReason, Verifier, VerifierConfig, VerifyOutcome,
};
use paycode_wallet::core::code::{encode, Fields, Layout, ParsedCode};

const T0: u64 = 1_764_100_000;
const PERIOD: u32 = 60;
const KEY: &[u8; 32] = b"fuzzing key: 32 bytes, not real!";
/// Two cards under prefix 13: 18-digit codes with two funding sources, and
/// 16-digit codes with one (so "known token, other length" is reachable).
const CARDS: [(u32, u8, usize); 2] = [(482_913, 18, 2), (7, 16, 1)];

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let now = clock(&data[1..9]);
    let code = if data[0] & 1 == 0 {
        String::from_utf8_lossy(&data[9..]).into_owned()
    } else {
        edited_genuine_code(&data[9..])
    };
    check_parser(&code, now);
    check_verifier(&code, now);
});

/// Mostly near T0 (where codes resolve), sometimes anywhere in u64.
fn clock(bytes: &[u8]) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(bytes);
    let raw = u64::from_le_bytes(raw);
    if raw >> 63 == 1 {
        raw << 1
    } else {
        // ±~18 hours around T0.
        T0 + (raw % 131_072) - 65_536
    }
}

/// A code the wallet would write for one of the cards, then edited:
/// input bytes pick the card, counter, funding, time and digit edits.
fn edited_genuine_code(bytes: &[u8]) -> String {
    let get = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let (token, length, _) = CARDS[usize::from(get(0) & 1)];
    let made_at = T0 + u64::from(get(1)) * 7;
    let fields = Fields {
        token,
        step: made_at / u64::from(PERIOD),
        counter: get(2) % 18,
        funding: get(3) % 9,
    };
    let layout = Layout::new(13, length).expect("valid layout");
    let Ok(code) = encode(layout, KEY, &fields) else {
        return String::new();
    };
    let mut digits = code.as_str().as_bytes().to_vec();
    for pair in bytes[4.min(bytes.len())..].chunks(2) {
        let (at, with) = (usize::from(pair[0]), pair.get(1).copied().unwrap_or(b'0'));
        match digits.len() {
            0 => break,
            n if at < n * 2 => digits[at % n] = b'0' + with % 10,
            n if at < n * 3 => {
                digits.remove(at % n);
            }
            n => digits.insert(at % (n + 1), b'0' + with % 10),
        }
    }
    String::from_utf8(digits).expect("ASCII digits")
}

fn check_parser(code: &str, now: u64) {
    let Ok(parsed) = ParsedCode::parse(code) else {
        return;
    };
    let layout = parsed.layout;
    assert_eq!(usize::from(layout.length), code.len());
    assert!(Layout::new(layout.prefix, layout.length).is_ok());
    assert!(parsed.token < 1 << 20 && parsed.step_residue < 8);
    assert!(parsed.counter < 16 && parsed.funding < 8);
    assert!(parsed.mac < layout.mac_modulus());
    // Differential: the MAC matches at a step exactly when the encoder
    // writes these very digits for these fields at that step.
    let now_step = now / u64::from(PERIOD);
    for window in 0..=3 {
        if let Some(step) = parsed.step_near(now_step, window) {
            assert_eq!(step % 8, u64::from(parsed.step_residue));
            assert!(step.abs_diff(now_step) <= window);
            let written = encode(layout, KEY, &parsed.fields(step)).expect("fields in range");
            assert_eq!(parsed.mac_matches(KEY, step), written.as_str() == code);
        }
    }
}

fn verifier() -> Verifier<MemoryStore> {
    let mut store = MemoryStore::new();
    {
        let mut tx = store.begin(TxMode::Write).expect("memory store");
        for (token, length, sources) in CARDS {
            let funding = ["balance", "debit:ICBC:1234"][..sources]
                .iter()
                .map(|s| paycode_wallet::core::funding::Funding::parse(s).expect("demo source"))
                .collect();
            tx.insert_card(&CardRecord {
                key: CardKey { prefix: 13, token },
                length,
                issuer: "Fuzz Bank".into(),
                secret: SecretKey::from_slice(KEY),
                period: PERIOD,
                funding,
                created: T0,
                fall_through: false,
                revoked: false,
                key_version: paycode_issuer::custody::KEY_VERSION,
                expires: None,
            })
            .expect("new card");
        }
        tx.commit().expect("commit");
    }
    Verifier::new(store, VerifierConfig::default())
}

fn check_verifier(code: &str, now: u64) {
    let mut v = verifier();
    let verified = v.verify(code, now).expect("memory store never fails");
    let request = ChargeRequest {
        code,
        amount: Fen::from_yuan(1, 0),
        now,
        merchant: Some("fuzz"),
    };
    let charged = v.charge(&request).expect("memory store never fails");
    match (&verified, &charged) {
        (VerifyOutcome::Valid(valid), ChargeOutcome::Approved { code: c, .. }) => {
            assert_eq!(valid, c);
            let (token, length, sources) = CARDS
                .into_iter()
                .find(|(t, _, _)| *t == valid.card.token)
                .expect("accepted for a known card");
            assert_eq!(valid.card.prefix, 13);
            assert!(usize::from(valid.funding.index) < sources);
            assert!(valid.step.abs_diff(now / u64::from(PERIOD)) <= 1);
            let genuine = encode(
                Layout::new(13, length).expect("valid layout"),
                KEY,
                &Fields {
                    token,
                    step: valid.step,
                    counter: valid.counter,
                    funding: valid.funding.index,
                },
            )
            .expect("fields in range");
            assert_eq!(
                genuine.as_str(),
                code,
                "accepted a code the wallet never writes"
            );
            let again = v.charge(&request).expect("memory store never fails");
            assert!(
                matches!(&again, ChargeOutcome::Rejected(r) if r.reason == RejectReason::Replayed),
                "second use of a code: {again:?}"
            );
        }
        (VerifyOutcome::Rejected(a), ChargeOutcome::Rejected(b)) => {
            assert_eq!(a.reason, b.reason);
            assert!(!a.message.is_empty());
        }
        other => panic!("verify and charge disagree: {other:?}"),
    }
}
