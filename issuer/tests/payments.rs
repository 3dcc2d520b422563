//! Issue #14's acceptance at the domain level: the payment service on both
//! stores, with `ledger check` clean after each scenario.

use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::Duration;

use paycode_issuer::bank::{Bank, BankError, CustomerAccount, DemoBank};
use paycode_issuer::ledger::{check::check, topup};
use paycode_issuer::money::Fen;
use paycode_issuer::payments::{
    ErrorCode, FundingKind, PayRequest, Payment, PaymentConfig, PaymentError, PaymentService,
    PaymentStatus, RefundRequest,
};
use paycode_issuer::secret::SecretKey;
use paycode_issuer::store::{
    Account, CardKey, CardRecord, DbLocation, MemoryStore, MerchantRecord, SqliteStore, Store,
    StoreTx, TxMode,
};
use paycode_wallet::core::funding::Funding;

/// 2025-11-25T19:46:40Z = 03:46:40 on 2025-11-26 in Shanghai.
const T0: u64 = 1_764_100_000;
const SHOP_A: &str = "m_aaaaaaaaaaaaaaaa";
const SHOP_B: &str = "m_bbbbbbbbbbbbbbbb";

fn card(token: u32, fall_through: bool) -> CardRecord {
    CardRecord {
        key: CardKey { prefix: 13, token },
        length: 18,
        issuer: "Demo Bank".into(),
        secret: SecretKey::from_slice(&[token as u8; 32]),
        period: 60,
        funding: vec![Funding::Balance, Funding::parse("debit:ICBC:1234").unwrap()],
        created: T0 - 1000,
        fall_through,
        revoked: false,
        key_version: paycode_issuer::custody::KEY_VERSION,
        expires: None,
    }
}

fn bank_account(card: &CardRecord) -> Account {
    card.source_account(1).unwrap()
}

/// A store with merchants A and B and one card: 100.00 on its balance,
/// 500.00 at the demo bank.
fn world(store: &mut dyn Store, card: &CardRecord) {
    let mut tx = store.begin(TxMode::Write).unwrap();
    for id in [SHOP_A, SHOP_B] {
        tx.insert_merchant(&MerchantRecord {
            id: id.into(),
            name: "Shop".into(),
            api_key: SecretKey::generate(),
            created: T0,
        })
        .unwrap();
    }
    tx.insert_card(card).unwrap();
    topup(
        tx.as_mut(),
        Account::Card(card.key),
        Fen::from_yuan(100, 0),
        T0,
    )
    .unwrap();
    topup(tx.as_mut(), bank_account(card), Fen::from_yuan(500, 0), T0).unwrap();
    tx.commit().unwrap();
}

fn service(bank: Arc<dyn Bank>) -> PaymentService {
    PaymentService::new(PaymentConfig::default(), bank)
}

fn code(card: &CardRecord, at: u64, swipe: u8, funding: u8) -> String {
    card.to_card()
        .code_at(at, swipe, funding)
        .unwrap()
        .as_str()
        .to_owned()
}

fn request(out_trade_no: &str, auth_code: &str, yuan: u64) -> PayRequest {
    PayRequest {
        out_trade_no: out_trade_no.into(),
        auth_code: auth_code.into(),
        amount: Fen::from_yuan(yuan, 0),
        currency: "CNY".into(),
        description: None,
    }
}

/// Runs `f` in one write transaction and commits it.
fn write<T>(store: &mut dyn Store, f: impl FnOnce(&mut dyn StoreTx) -> T) -> T {
    let mut tx = store.begin(TxMode::Write).unwrap();
    let out = f(tx.as_mut());
    tx.commit().unwrap();
    out
}

fn balance(store: &mut dyn Store, account: &Account) -> i64 {
    store.begin(TxMode::Read).unwrap().balance(account).unwrap()
}

fn assert_clean(store: &mut dyn Store) {
    let mut tx = store.begin(TxMode::Read).unwrap();
    let found = check(tx.as_mut()).unwrap();
    assert!(found.is_empty(), "ledger check: {found:?}");
}

fn payment_postings(store: &mut dyn Store) -> usize {
    let mut tx = store.begin(TxMode::Read).unwrap();
    let all = tx.postings().unwrap();
    all.iter()
        .filter(|p| p.kind == paycode_issuer::store::JournalKind::Payment)
        .count()
}

/// Every store; PostgreSQL too with the `postgres-tests` feature.
/// One KEK for every store this test process opens, so that a database
/// opened twice (threads, nodes) opens its keys both times.
fn test_vault() -> Arc<paycode_issuer::custody::Vault> {
    static VAULT: std::sync::OnceLock<Arc<paycode_issuer::custody::Vault>> =
        std::sync::OnceLock::new();
    Arc::clone(VAULT.get_or_init(|| Arc::new(paycode_issuer::custody::Vault::ephemeral())))
}

fn stores() -> Vec<Box<dyn Store>> {
    #[allow(unused_mut)]
    let mut all: Vec<Box<dyn Store>> = vec![
        Box::new(MemoryStore::new()),
        Box::new(SqliteStore::open_in_memory().unwrap()),
    ];
    #[cfg(feature = "postgres-tests")]
    all.push(Box::new(
        paycode_issuer::store::PgStore::open(&scratch::database("payments"), test_vault()).unwrap(),
    ));
    all
}

#[cfg(feature = "postgres-tests")]
use paycode_issuer::store::postgres::scratch;

/// A database that several connections open at once: an SQLite file and,
/// with the `postgres-tests` feature, a PostgreSQL database. The folder
/// lives as long as the location is used.
fn shared_databases(label: &str) -> Vec<(Option<tempfile::TempDir>, DbLocation)> {
    let dir = tempfile::tempdir().unwrap();
    let file = DbLocation::from(dir.path().join("issuer.db"));
    #[allow(unused_mut)]
    let mut all = vec![(Some(dir), file)];
    #[cfg(feature = "postgres-tests")]
    all.push((None, DbLocation::parse(&scratch::database(label))));
    let _ = label;
    all
}

#[test]
fn a_retry_of_the_same_request_answers_the_same_payment_and_debits_once() {
    for mut store in stores() {
        let c = card(1, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let req = request("T1", &code(&c, T0, 0, 0), 12);
        let first = write(store.as_mut(), |tx| svc.pay(tx, SHOP_A, &req, T0)).unwrap();
        assert_eq!(first.status, PaymentStatus::Success);
        let again = write(store.as_mut(), |tx| svc.pay(tx, SHOP_A, &req, T0 + 5)).unwrap();
        assert_eq!(
            again, first,
            "the retry sees the payment, not AUTH_CODE_USED"
        );
        assert_eq!(balance(store.as_mut(), &Account::Card(c.key)), 8800);
        assert_eq!(
            balance(store.as_mut(), &Account::Merchant(SHOP_A.into())),
            1200
        );
        assert_eq!(payment_postings(store.as_mut()), 2);
        let seen = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "T1", T0 + 9)).unwrap();
        assert_eq!(seen, first);
        // Another merchant never sees it.
        let theirs = write(store.as_mut(), |tx| svc.query(tx, SHOP_B, "T1", T0 + 9));
        assert_eq!(theirs, Err(PaymentError::Refused(ErrorCode::NotFound)));
        assert_clean(store.as_mut());
    }
}

#[test]
fn the_same_out_trade_no_with_another_amount_or_code_is_a_conflict() {
    for mut store in stores() {
        let c = card(2, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let auth = code(&c, T0, 0, 0);
        write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("T1", &auth, 12), T0)
        })
        .unwrap();
        for other in [
            request("T1", &auth, 13),
            request("T1", &code(&c, T0, 1, 0), 12),
        ] {
            let got = write(store.as_mut(), |tx| svc.pay(tx, SHOP_A, &other, T0));
            assert_eq!(
                got,
                Err(PaymentError::Refused(ErrorCode::OutTradeNoConflict))
            );
        }
        let mut usd = request("T1", &auth, 12);
        usd.currency = "USD".into();
        let got = write(store.as_mut(), |tx| svc.pay(tx, SHOP_A, &usd, T0));
        assert_eq!(
            got,
            Err(PaymentError::Refused(ErrorCode::OutTradeNoConflict))
        );
        assert_eq!(payment_postings(store.as_mut()), 2);
        assert_clean(store.as_mut());
    }
}

#[test]
fn reversing_a_success_gives_money_and_allowance_back() {
    for mut store in stores() {
        let c = card(3, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let day = svc.config().verifier.allowance.offset.day_of(T0);
        let paid = write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 0), 30), T0)
        })
        .unwrap();
        assert_eq!(paid.status, PaymentStatus::Success);
        let approvals = |store: &mut dyn Store| {
            store
                .begin(TxMode::Read)
                .unwrap()
                .approvals_on(c.key, day)
                .unwrap()
        };
        assert_eq!(approvals(store.as_mut()), 1);
        let back = write(store.as_mut(), |tx| svc.reverse(tx, SHOP_A, "T1", T0 + 20)).unwrap();
        assert_eq!(back.status, PaymentStatus::Reversed);
        assert_eq!(back.payment_id, paid.payment_id);
        assert_eq!(balance(store.as_mut(), &Account::Card(c.key)), 10_000);
        assert_eq!(
            balance(store.as_mut(), &Account::Merchant(SHOP_A.into())),
            0
        );
        assert_eq!(approvals(store.as_mut()), 0);
        // Idempotent: a second reverse changes nothing.
        let twice = write(store.as_mut(), |tx| svc.reverse(tx, SHOP_A, "T1", T0 + 21)).unwrap();
        assert_eq!(twice, back);
        assert_eq!(balance(store.as_mut(), &Account::Card(c.key)), 10_000);
        // A retry of the original request answers REVERSED, and pays nothing.
        let retry = write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 0), 30), T0 + 22)
        })
        .unwrap();
        assert_eq!(retry.status, PaymentStatus::Reversed);
        assert_clean(store.as_mut());
    }
}

#[test]
fn a_reverse_before_the_payment_refuses_the_late_payment() {
    for mut store in stores() {
        let c = card(4, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let closed = write(store.as_mut(), |tx| svc.reverse(tx, SHOP_A, "LATE", T0)).unwrap();
        assert_eq!(closed.status, PaymentStatus::Closed);
        let late = write(store.as_mut(), |tx| {
            svc.pay(
                tx,
                SHOP_A,
                &request("LATE", &code(&c, T0, 0, 0), 12),
                T0 + 1,
            )
        })
        .unwrap();
        assert_eq!(late.status, PaymentStatus::Closed);
        assert_eq!(late.payment_id, closed.payment_id);
        assert_eq!(balance(store.as_mut(), &Account::Card(c.key)), 10_000);
        assert_eq!(payment_postings(store.as_mut()), 0);
        // The code was not used up: it still pays under a fresh number.
        let fresh = write(store.as_mut(), |tx| {
            svc.pay(
                tx,
                SHOP_A,
                &request("FRESH", &code(&c, T0, 0, 0), 12),
                T0 + 2,
            )
        })
        .unwrap();
        assert_eq!(fresh.status, PaymentStatus::Success);
        assert_clean(store.as_mut());
    }
}

#[test]
fn two_partial_refunds_make_refunded_a_third_is_refused_and_a_repeat_is_one_refund() {
    for mut store in stores() {
        let c = card(5, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 0), 30), T0)
        })
        .unwrap();
        let refund = |no: &str, yuan: u64| RefundRequest {
            out_trade_no: "T1".into(),
            out_refund_no: no.into(),
            amount: Fen::from_yuan(yuan, 0),
        };
        let r1 = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R1", 10), T0)
        })
        .unwrap();
        assert_eq!(r1.payment_status, PaymentStatus::PartiallyRefunded);
        let again = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R1", 10), T0)
        })
        .unwrap();
        assert_eq!(again.refund_id, r1.refund_id);
        let conflict = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R1", 11), T0)
        });
        assert_eq!(
            conflict,
            Err(PaymentError::Refused(ErrorCode::OutRefundNoConflict))
        );
        let half = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "T1", T0)).unwrap();
        assert_eq!(half.refunded, Some(Fen::from_yuan(10, 0)));
        // Too much: refused, nothing recorded.
        let over = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R2", 21), T0)
        });
        assert_eq!(
            over,
            Err(PaymentError::Refused(ErrorCode::RefundExceedsPayment))
        );
        let r2 = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R2", 20), T0)
        })
        .unwrap();
        assert_eq!(r2.payment_status, PaymentStatus::Refunded);
        let third = write(store.as_mut(), |tx| {
            svc.refund(tx, SHOP_A, &refund("R3", 1), T0)
        });
        assert_eq!(
            third,
            Err(PaymentError::Refused(ErrorCode::PaymentNotRefundable))
        );
        let reversed = write(store.as_mut(), |tx| svc.reverse(tx, SHOP_A, "T1", T0));
        assert_eq!(
            reversed,
            Err(PaymentError::Refused(ErrorCode::PaymentRefunded))
        );
        assert_eq!(balance(store.as_mut(), &Account::Card(c.key)), 10_000);
        assert_eq!(
            balance(store.as_mut(), &Account::Merchant(SHOP_A.into())),
            0
        );
        let done = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "T1", T0)).unwrap();
        assert_eq!(done.status, PaymentStatus::Refunded);
        assert_eq!(done.refunded, Some(Fen::from_yuan(30, 0)));
        let refunds = store.begin(TxMode::Read).unwrap().refunds().unwrap();
        assert_eq!(refunds.len(), 2);
        assert_clean(store.as_mut());
    }
}

#[test]
fn an_empty_balance_fails_unless_fall_through_lets_the_debit_card_pay() {
    for fall_through in [false, true] {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let c = card(6, fall_through);
        world(&mut store, &c);
        let svc = service(Arc::new(DemoBank::new()));
        // 120.00 from a balance of 100.00.
        let p = write(&mut store, |tx| {
            svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 0), 120), T0)
        })
        .unwrap();
        if fall_through {
            assert_eq!(p.status, PaymentStatus::Success);
            let f = p.funding.clone().unwrap();
            assert_eq!(
                (f.kind, f.label.as_str()),
                (FundingKind::Debit, "ICBC ••1234")
            );
            assert_eq!(balance(&mut store, &bank_account(&c)), 38_000);
            assert_eq!(balance(&mut store, &Account::Card(c.key)), 10_000);
            // A refund goes back to the source that paid.
            let r = RefundRequest {
                out_trade_no: "T1".into(),
                out_refund_no: "R1".into(),
                amount: Fen::from_yuan(20, 0),
            };
            write(&mut store, |tx| svc.refund(tx, SHOP_A, &r, T0)).unwrap();
            assert_eq!(balance(&mut store, &bank_account(&c)), 40_000);
        } else {
            assert_eq!(p.status, PaymentStatus::Failed);
            assert_eq!(p.error.clone().unwrap().code, ErrorCode::InsufficientFunds);
            assert_eq!(p.funding.clone().unwrap().kind, FundingKind::Balance);
            assert_eq!(payment_postings(&mut store), 0);
            assert_eq!(balance(&mut store, &Account::Card(c.key)), 10_000);
            // Recorded: the retry gets the same answer.
            let again = write(&mut store, |tx| {
                svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 0), 120), T0)
            })
            .unwrap();
            assert_eq!(again, p);
        }
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["amount"], "120.00");
        assert_clean(&mut store);
    }
}

#[test]
fn a_declining_bank_answers_bank_declined_and_posts_nothing() {
    let mut store = MemoryStore::new();
    let c = card(7, false);
    world(&mut store, &c);
    let bank = Arc::new(DemoBank::new());
    bank.set_declining(true);
    let svc = service(bank);
    let p = write(&mut store, |tx| {
        svc.pay(tx, SHOP_A, &request("T1", &code(&c, T0, 0, 1), 12), T0)
    })
    .unwrap();
    assert_eq!(p.status, PaymentStatus::Failed);
    assert_eq!(p.error.unwrap().code, ErrorCode::BankDeclined);
    assert_eq!(payment_postings(&mut store), 0);
    assert_clean(&mut store);
}

#[test]
fn eight_tills_paying_one_code_get_one_success_and_seven_auth_code_used() {
    for (_dir, path) in shared_databases("eight_tills") {
        let c = card(8, false);
        world(&mut path.open(test_vault()).unwrap(), &c);
        let auth = code(&c, T0, 0, 0);
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (path, auth, barrier) = (path.clone(), auth.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let mut store = path.open(test_vault()).unwrap();
                    let svc = service(Arc::new(DemoBank::new()));
                    barrier.wait();
                    write(&mut store, |tx| {
                        svc.pay(tx, SHOP_A, &request(&format!("TILL{i}"), &auth, 12), T0)
                    })
                    .unwrap()
                })
            })
            .collect();
        let answers: Vec<Payment> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let success = answers
            .iter()
            .filter(|p| p.status == PaymentStatus::Success)
            .count();
        let used = answers
            .iter()
            .filter(|p| p.error.as_ref().map(|e| e.code) == Some(ErrorCode::AuthCodeUsed))
            .count();
        assert_eq!((success, used), (1, 7), "{path}: {answers:?}");
        let mut store = path.open(test_vault()).unwrap();
        assert_eq!(balance(&mut store, &Account::Card(c.key)), 8800);
        assert_clean(&mut store);
    }
}

/// A bank that tells the test when a debit has begun, then takes its time:
/// the transaction holding the write lock is still open.
struct SlowBank {
    inner: DemoBank,
    started: Mutex<mpsc::Sender<()>>,
}

impl Bank for SlowBank {
    fn debit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError> {
        let _ = self.started.lock().unwrap().send(());
        self.inner.debit(tx, account, amount, reference)
    }

    fn credit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError> {
        self.inner.credit(tx, account, amount, reference)
    }
}

#[test]
fn a_retry_while_the_first_request_still_holds_the_lock_gets_its_payment() {
    for (_dir, path) in shared_databases("retry_held") {
        let c = card(9, false);
        world(&mut path.open(test_vault()).unwrap(), &c);
        let req = request("T1", &code(&c, T0, 0, 1), 12);
        let (started, begun) = mpsc::channel();
        let slow = SlowBank {
            inner: DemoBank::new(),
            started: Mutex::new(started),
        };
        // The first request outlives the till's patience.
        slow.inner.set_delay(Duration::from_millis(700));
        let first = {
            let (path, req) = (path.clone(), req.clone());
            std::thread::spawn(move || {
                let mut store = path.open(test_vault()).unwrap();
                let svc = service(Arc::new(slow));
                write(&mut store, |tx| svc.pay(tx, SHOP_A, &req, T0)).unwrap()
            })
        };
        begun.recv().unwrap();
        let mut store = path.open(test_vault()).unwrap();
        let svc = service(Arc::new(DemoBank::new()));
        let retry = write(&mut store, |tx| svc.pay(tx, SHOP_A, &req, T0 + 10)).unwrap();
        let first = first.join().unwrap();
        assert_eq!(first.status, PaymentStatus::Success);
        assert_eq!(retry, first);
        assert_eq!(balance(&mut store, &bank_account(&c)), 48_800);
        assert_eq!(payment_postings(&mut store), 2);
        assert_clean(&mut store);
    }
}

#[test]
fn an_unknown_token_and_a_bad_mac_get_identical_answers() {
    for mut store in stores() {
        let c = card(10, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let good = code(&c, T0, 0, 0);
        let mut bad_mac = good.clone().into_bytes();
        let last = bad_mac.len() - 1;
        bad_mac[last] = if bad_mac[last] == b'0' { b'1' } else { b'0' };
        let bad_mac = String::from_utf8(bad_mac).unwrap();
        let mut stranger = card(11, false);
        stranger.key.token = 999_999;
        let unknown = code(&stranger, T0, 0, 0);
        let answer = |store: &mut dyn Store, shop: &str, auth: &str| {
            let mut p = write(store, |tx| svc.pay(tx, shop, &request("T1", auth, 12), T0)).unwrap();
            p.payment_id.clear();
            serde_json::to_string(&p).unwrap()
        };
        let a = answer(store.as_mut(), SHOP_A, &bad_mac);
        let b = answer(store.as_mut(), SHOP_B, &unknown);
        assert_eq!(a, b);
        assert!(a.contains("AUTH_CODE_INVALID"), "{a}");
        let malformed = write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("T2", "12x", 12), T0)
        })
        .unwrap();
        assert_eq!(malformed.error.unwrap().code, ErrorCode::AuthCodeInvalid);
        assert_clean(store.as_mut());
    }
}

#[test]
fn five_bad_codes_from_merchant_b_do_not_stop_merchant_a() {
    for mut store in stores() {
        let c = card(12, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let good = code(&c, T0, 0, 0);
        let mut forged = good.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        for i in 0..5 {
            write(store.as_mut(), |tx| {
                svc.pay(tx, SHOP_B, &request(&format!("B{i}"), &forged, 12), T0)
            })
            .unwrap();
        }
        let locked = write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_B, &request("B9", &good, 12), T0)
        })
        .unwrap();
        assert_eq!(locked.error.unwrap().code, ErrorCode::CardLocked);
        let paid = write(store.as_mut(), |tx| {
            svc.pay(tx, SHOP_A, &request("A1", &good, 12), T0)
        })
        .unwrap();
        assert_eq!(paid.status, PaymentStatus::Success);
        assert_clean(store.as_mut());
    }
}

#[test]
fn userpaying_closes_unconfirmed_and_succeeds_when_confirmed_in_time() {
    for mut store in stores() {
        let c = card(13, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        // Above the 300.00 no-PIN limit, from the bank (500.00).
        let pay = |store: &mut dyn Store, no: &str, swipe: u8| {
            write(store, |tx| {
                svc.pay(tx, SHOP_A, &request(no, &code(&c, T0, swipe, 1), 301), T0)
            })
            .unwrap()
        };
        let waiting = pay(store.as_mut(), "LATE", 0);
        assert_eq!(waiting.status, PaymentStatus::Userpaying);
        assert_eq!(waiting.deadline, Some(T0 + 60));
        let still = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "LATE", T0 + 59)).unwrap();
        assert_eq!(still.status, PaymentStatus::Userpaying);
        let closed = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "LATE", T0 + 60)).unwrap();
        assert_eq!(closed.status, PaymentStatus::Closed);
        let late = write(store.as_mut(), |tx| {
            svc.confirm(tx, &waiting.payment_id, T0 + 61)
        })
        .unwrap();
        assert_eq!(late.status, PaymentStatus::Closed);
        assert_eq!(payment_postings(store.as_mut()), 0);

        let waiting = pay(store.as_mut(), "OK", 1);
        let done = write(store.as_mut(), |tx| {
            svc.confirm(tx, &waiting.payment_id, T0 + 30)
        })
        .unwrap();
        assert_eq!(done.status, PaymentStatus::Success);
        assert_eq!(balance(store.as_mut(), &bank_account(&c)), 50_000 - 30_100);

        // The sweep closes what nobody asks about.
        let swept = pay(store.as_mut(), "SWEPT", 2);
        assert_eq!(
            write(store.as_mut(), |tx| svc.close_expired(tx, T0 + 59)),
            Ok(0)
        );
        assert_eq!(
            write(store.as_mut(), |tx| svc.close_expired(tx, T0 + 60)),
            Ok(1)
        );
        let after = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "SWEPT", T0 + 61)).unwrap();
        assert_eq!(
            (after.status, after.payment_id),
            (PaymentStatus::Closed, swept.payment_id)
        );
        // Reverse of a USERPAYING closes it.
        pay(store.as_mut(), "REV", 3);
        let rev = write(store.as_mut(), |tx| svc.reverse(tx, SHOP_A, "REV", T0 + 1)).unwrap();
        assert_eq!(rev.status, PaymentStatus::Closed);
        assert_clean(store.as_mut());
    }
}

#[test]
fn other_refusals() {
    let mut store = MemoryStore::new();
    let mut c = card(14, false);
    world(&mut store, &c);
    let svc = service(Arc::new(DemoBank::new()));
    let mut usd = request("U1", &code(&c, T0, 0, 0), 1);
    usd.currency = "USD".into();
    let p = write(&mut store, |tx| svc.pay(tx, SHOP_A, &usd, T0)).unwrap();
    assert_eq!(p.error.unwrap().code, ErrorCode::CurrencyUnsupported);
    let bad_no = write(&mut store, |tx| {
        svc.pay(
            tx,
            SHOP_A,
            &request("no spaces", &code(&c, T0, 0, 0), 1),
            T0,
        )
    });
    assert_eq!(
        bad_no,
        Err(PaymentError::Refused(ErrorCode::InvalidRequest))
    );
    let expired = write(&mut store, |tx| {
        svc.pay(tx, SHOP_A, &request("E1", &code(&c, T0 - 180, 0, 0), 1), T0)
    })
    .unwrap();
    assert_eq!(expired.error.unwrap().code, ErrorCode::AuthCodeExpired);
    write(&mut store, |tx| tx.set_revoked(c.key, true)).unwrap();
    c.revoked = true;
    let revoked = write(&mut store, |tx| {
        svc.pay(tx, SHOP_A, &request("V1", &code(&c, T0, 0, 0), 1), T0)
    })
    .unwrap();
    assert_eq!(revoked.error.unwrap().code, ErrorCode::CardRevoked);
    assert_clean(&mut store);
}

#[test]
fn a_group_commit_rolls_one_payment_back_alone() {
    for mut store in stores() {
        let c = card(15, false);
        world(store.as_mut(), &c);
        let svc = service(Arc::new(DemoBank::new()));
        let mut tx = store.begin(TxMode::Write).unwrap();
        let mut kept = Vec::new();
        for swipe in 0..4u8 {
            let mut one = tx.nested().unwrap();
            let no = format!("G{swipe}");
            let p = svc
                .pay(
                    one.as_mut(),
                    SHOP_A,
                    &request(&no, &code(&c, T0, swipe, 0), 10),
                    T0,
                )
                .unwrap();
            assert_eq!(p.status, PaymentStatus::Success);
            if swipe == 2 {
                drop(one);
            } else {
                one.commit().unwrap();
                kept.push(p);
            }
        }
        tx.commit().unwrap();
        let gone = write(store.as_mut(), |tx| svc.query(tx, SHOP_A, "G2", T0));
        assert_eq!(gone, Err(PaymentError::Refused(ErrorCode::NotFound)));
        for p in &kept {
            let seen = write(store.as_mut(), |tx| {
                svc.query(tx, SHOP_A, &p.out_trade_no, T0)
            });
            assert_eq!(seen.as_ref(), Ok(p));
        }
        assert_eq!(
            balance(store.as_mut(), &Account::Card(c.key)),
            10_000 - 3 * 1000
        );
        assert_eq!(payment_postings(store.as_mut()), 6);
        assert_clean(store.as_mut());
    }
}
