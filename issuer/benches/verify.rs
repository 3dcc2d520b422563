//! Verifier speed with each store: `cargo bench -p paycode-issuer`.
//!
//! Every store holds 10,000 cards so that lookups are not into a table of one.
//!
//! While the workspace's release profile says `panic = "abort"`, cargo
//! builds the wallet library twice for this bench (abort for the `paycode`
//! binary, unwind for the harness) under one file name, because the wallet
//! is also a cdylib; run it as
//! `CARGO_PROFILE_RELEASE_PANIC=unwind cargo bench -p paycode-issuer`.
//! The bench profile inherits the release `opt-level = "z"`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use paycode_issuer::money::Fen;
use paycode_issuer::secret::SecretKey;
use paycode_issuer::store::{CardKey, CardRecord, MemoryStore, SqliteStore, Store, TxMode};
use paycode_issuer::verifier::{
    ChargeOutcome, ChargeRequest, Verifier, VerifierConfig, VerifyOutcome,
};
use paycode_wallet::core::code::{encode, Fields, Layout};

const CARDS: u32 = 10_000;
const TOKEN: u32 = 4_321;
const T0: u64 = 1_764_100_000;
const PERIOD: u64 = 60;

fn key_of(token: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..4].copy_from_slice(&token.to_be_bytes());
    key[31] = 0x5a;
    key
}

fn fill<S: Store>(mut store: S) -> Verifier<S> {
    let mut tx = store.begin(TxMode::Write).unwrap();
    for i in 0..CARDS {
        // Spread tokens over the id space like random provisioning does.
        let token = if i == 0 {
            TOKEN
        } else {
            (i * 104_729) % (1 << 20)
        };
        tx.insert_card(&CardRecord {
            key: CardKey { prefix: 13, token },
            length: 18,
            issuer: "Bench Bank".into(),
            secret: SecretKey::from_slice(&key_of(token)),
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
        })
        .unwrap();
    }
    tx.commit().unwrap();
    Verifier::new(store, VerifierConfig::default())
}

fn code_at(t: u64, counter: u8) -> String {
    let fields = Fields {
        token: TOKEN,
        step: t / PERIOD,
        counter,
        funding: 1,
    };
    encode(Layout::DEFAULT, &key_of(TOKEN), &fields)
        .unwrap()
        .to_string()
}

fn bench_verify<S: Store>(c: &mut Criterion, name: &str, mut v: Verifier<S>) {
    let good = code_at(T0, 0);
    let forged = {
        // Same token, wrong key: costs the extra MAC checks of a failure.
        let fields = Fields {
            token: TOKEN,
            step: T0 / PERIOD,
            counter: 0,
            funding: 1,
        };
        encode(Layout::DEFAULT, &[0x77; 32], &fields)
            .unwrap()
            .to_string()
    };
    c.bench_function(&format!("verify/{name}/valid"), |b| {
        b.iter(|| {
            let out = v.verify(black_box(&good), T0).unwrap();
            debug_assert!(matches!(out, VerifyOutcome::Valid(_)));
            out
        })
    });
    c.bench_function(&format!("verify/{name}/bad_mac"), |b| {
        b.iter(|| v.verify(black_box(&forged), T0).unwrap())
    });
}

fn bench_charge<S: Store>(c: &mut Criterion, name: &str, mut v: Verifier<S>) {
    // Each charge consumes its code, so every iteration uses the next step.
    let mut t = T0;
    c.bench_function(&format!("charge/{name}"), |b| {
        b.iter_batched(
            || {
                t += PERIOD;
                (t, code_at(t, 0))
            },
            |(now, code)| {
                let out = v
                    .charge(&ChargeRequest {
                        code: &code,
                        amount: Fen::from_yuan(9, 99),
                        now,
                        merchant: None,
                    })
                    .unwrap();
                assert!(!matches!(out, ChargeOutcome::Rejected(_)), "{out:?}");
                out
            },
            BatchSize::SmallInput,
        )
    });
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    bench_verify(c, "memory", fill(MemoryStore::new()));
    bench_verify(
        c,
        "sqlite_file",
        fill(
            SqliteStore::open(
                dir.path().join("verify.db"),
                std::sync::Arc::new(paycode_issuer::custody::Vault::ephemeral()),
            )
            .unwrap(),
        ),
    );
    bench_charge(c, "memory", fill(MemoryStore::new()));
    bench_charge(
        c,
        "sqlite_file",
        fill(
            SqliteStore::open(
                dir.path().join("charge.db"),
                std::sync::Arc::new(paycode_issuer::custody::Vault::ephemeral()),
            )
            .unwrap(),
        ),
    );
}

criterion_group!(verify, benches);
criterion_main!(verify);
