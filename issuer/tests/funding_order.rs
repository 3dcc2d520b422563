//! The payer's order of funding sources (issue #16, part 5): with
//! fall-through, the source a code names is tried first and then the
//! others in the payer's order; without an order, the later sources in
//! index order; without fall-through, only the named one. Money moves
//! once, and a declining bank stops the fall-through. Then the signed
//! route that sets and reads the order: a permutation of the card's
//! indices or a 400 `INVALID_FUNDING_ORDER`, and the uniform 401 for
//! anything not signed by the card.

mod server_support;

use std::sync::Arc;

use hyper::Method;
use paycode_issuer::bank::{Bank, BankError, CustomerAccount, DemoBank};
use paycode_issuer::ledger::{check::check, topup};
use paycode_issuer::money::Fen;
use paycode_issuer::payments::{
    ErrorCode, PayRequest, Payment, PaymentConfig, PaymentService, PaymentStatus,
};
use paycode_issuer::secret::SecretKey;
use paycode_issuer::store::{
    Account, CardKey, CardRecord, JournalKind, MemoryStore, MerchantRecord, SqliteStore, Store,
    StoreTx, TxMode,
};
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};
use server_support::*;

const T0: u64 = 1_764_100_000;
const SHOP: &str = "m_aaaaaaaaaaaaaaaa";
const ROUTE: &str = "/v1/wallet/funding-order";

/// Balance, ICBC ••1234 and CMB ••5678.
fn three_sources(token: u32, fall_through: bool) -> CardRecord {
    CardRecord {
        key: CardKey { prefix: 13, token },
        length: 18,
        issuer: "Demo Bank".into(),
        secret: SecretKey::from_slice(&[token as u8; 32]),
        period: 60,
        funding: vec![
            Funding::Balance,
            Funding::parse("debit:ICBC:1234").unwrap(),
            Funding::parse("debit:CMB:5678").unwrap(),
        ],
        created: T0 - 1000,
        fall_through,
        revoked: false,
        key_version: paycode_issuer::custody::KEY_VERSION,
        expires: None,
    }
}

/// The balance is empty; ICBC holds 50.00 and CMB 500.00.
fn world(store: &mut dyn Store, card: &CardRecord) {
    let mut tx = store.begin(TxMode::Write).unwrap();
    tx.insert_merchant(&MerchantRecord {
        id: SHOP.into(),
        name: "Shop".into(),
        api_key: SecretKey::generate(),
        created: T0,
    })
    .unwrap();
    tx.insert_card(card).unwrap();
    for (source, yuan) in [(1, 50), (2, 500)] {
        let account = card.source_account(source).unwrap();
        topup(tx.as_mut(), account, Fen::from_yuan(yuan, 0), T0).unwrap();
    }
    tx.commit().unwrap();
}

fn stores() -> Vec<Box<dyn Store>> {
    #[allow(unused_mut)]
    let mut all: Vec<Box<dyn Store>> = vec![
        Box::new(MemoryStore::new()),
        Box::new(SqliteStore::open_in_memory().unwrap()),
    ];
    #[cfg(feature = "postgres-tests")]
    all.push(Box::new(
        paycode_issuer::store::PgStore::open(
            &paycode_issuer::store::postgres::scratch::database("funding_order"),
            Arc::new(paycode_issuer::custody::Vault::ephemeral()),
        )
        .unwrap(),
    ));
    all
}

/// One store and card, and the codes of that card in one time step.
struct Payer {
    store: Box<dyn Store>,
    card: CardRecord,
    service: PaymentService,
    swipes: u8,
}

impl Payer {
    fn new(mut store: Box<dyn Store>, fall_through: bool, bank: Arc<dyn Bank>) -> Payer {
        let card = three_sources(7, fall_through);
        world(store.as_mut(), &card);
        Payer {
            store,
            card,
            service: PaymentService::new(PaymentConfig::default(), bank),
            swipes: 0,
        }
    }

    fn set_order(&mut self, order: &[u8]) {
        let mut tx = self.store.begin(TxMode::Write).unwrap();
        assert!(tx.set_funding_order(self.card.key, order).unwrap());
        tx.commit().unwrap();
    }

    /// Pays `yuan` with a fresh code naming source `named`.
    fn pay(&mut self, named: u8, yuan: u64) -> Payment {
        let code = self
            .card
            .to_card()
            .code_at(T0, self.swipes, named)
            .unwrap()
            .as_str()
            .to_owned();
        self.swipes += 1;
        let request = PayRequest {
            out_trade_no: format!("T{}", self.swipes),
            auth_code: code,
            amount: Fen::from_yuan(yuan, 0),
            currency: "CNY".into(),
            description: None,
        };
        let mut tx = self.store.begin(TxMode::Write).unwrap();
        let paid = self.service.pay(tx.as_mut(), SHOP, &request, T0).unwrap();
        tx.commit().unwrap();
        paid
    }

    /// Each source's balance in fen.
    fn balances(&mut self) -> [i64; 3] {
        let mut tx = self.store.begin(TxMode::Read).unwrap();
        [0, 1, 2].map(|i| tx.balance(&self.card.source_account(i).unwrap()).unwrap())
    }

    fn payment_postings(&mut self) -> usize {
        let mut tx = self.store.begin(TxMode::Read).unwrap();
        let all = tx.postings().unwrap();
        all.iter()
            .filter(|p| p.kind == JournalKind::Payment)
            .count()
    }

    fn assert_clean(&mut self) {
        let mut tx = self.store.begin(TxMode::Read).unwrap();
        let found = check(tx.as_mut()).unwrap();
        assert!(found.is_empty(), "ledger check: {found:?}");
    }
}

fn paid_from(p: &Payment) -> u8 {
    assert_eq!(p.status, PaymentStatus::Success, "{p:?}");
    p.funding.as_ref().unwrap().index
}

fn refusal(p: &Payment) -> ErrorCode {
    assert_eq!(p.status, PaymentStatus::Failed, "{p:?}");
    p.error.as_ref().unwrap().code
}

#[test]
fn with_fall_through_the_named_source_comes_first_then_the_payers_order() {
    for store in stores() {
        let mut payer = Payer::new(store, true, Arc::new(DemoBank::new()));
        // No order yet: index order after the named source, as before.
        assert_eq!(paid_from(&payer.pay(0, 100)), 2, "0 empty, 1 short: 2");
        assert_eq!(payer.balances(), [0, 5_000, 40_000]);

        payer.set_order(&[2, 0, 1]);
        // The named source still comes first, and pays when it can.
        assert_eq!(paid_from(&payer.pay(1, 10)), 1);
        assert_eq!(payer.balances(), [0, 4_000, 40_000]);
        // Source 0 is empty: the payer's first choice pays.
        assert_eq!(paid_from(&payer.pay(0, 20)), 2);
        assert_eq!(payer.balances(), [0, 4_000, 38_000]);

        // [1, 2, 0]: named 0 is empty, 1 is tried next (it holds 40.00,
        // short of 100.00), then 2; 0 is not tried twice.
        payer.set_order(&[1, 2, 0]);
        assert_eq!(paid_from(&payer.pay(0, 100)), 2);
        // ... and with 30.00 source 1 pays, not 2, though 2 holds more.
        assert_eq!(paid_from(&payer.pay(0, 30)), 1);
        assert_eq!(payer.balances(), [0, 1_000, 28_000]);

        // Nothing holds 290.00: the named source's refusal, nothing moves.
        let before = payer.payment_postings();
        assert_eq!(refusal(&payer.pay(2, 290)), ErrorCode::InsufficientFunds);
        assert_eq!(payer.payment_postings(), before);
        assert_eq!(payer.balances(), [0, 1_000, 28_000]);

        // Each success moved its amount once: two postings per payment.
        assert_eq!(payer.payment_postings(), 5 * 2);
        payer.assert_clean();
    }
}

#[test]
fn without_fall_through_the_order_changes_nothing() {
    for store in stores() {
        let mut payer = Payer::new(store, false, Arc::new(DemoBank::new()));
        payer.set_order(&[2, 0, 1]);
        let p = payer.pay(0, 20);
        assert_eq!(refusal(&p), ErrorCode::InsufficientFunds);
        assert_eq!(p.funding.as_ref().unwrap().index, 0);
        assert_eq!(paid_from(&payer.pay(1, 20)), 1);
        assert_eq!(payer.balances(), [0, 3_000, 50_000]);
        assert_eq!(payer.payment_postings(), 2);
        payer.assert_clean();
    }
}

/// Declines every debit from ICBC; the others as the demo bank.
struct IcbcDeclines(DemoBank);

impl Bank for IcbcDeclines {
    fn debit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError> {
        match account {
            Account::Bank { bank, .. } if bank == "ICBC" => Err(BankError::Declined),
            _ => self.0.debit(tx, account, amount, reference),
        }
    }

    fn credit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError> {
        self.0.credit(tx, account, amount, reference)
    }
}

#[test]
fn a_declining_bank_in_the_order_stops_the_fall_through() {
    for store in stores() {
        let mut payer = Payer::new(store, true, Arc::new(IcbcDeclines(DemoBank::new())));
        // 0 is empty, then ICBC declines: CMB, which could pay, is not asked.
        payer.set_order(&[1, 2, 0]);
        assert_eq!(refusal(&payer.pay(0, 20)), ErrorCode::InsufficientFunds);
        assert_eq!(payer.balances(), [0, 5_000, 50_000]);
        assert_eq!(payer.payment_postings(), 0);
        // A code naming the declining bank is its answer, whatever the order.
        assert_eq!(refusal(&payer.pay(1, 20)), ErrorCode::BankDeclined);
        // With ICBC last, CMB pays after the empty balance.
        payer.set_order(&[2, 1, 0]);
        assert_eq!(paid_from(&payer.pay(0, 20)), 2);
        assert_eq!(payer.balances(), [0, 5_000, 48_000]);
        payer.assert_clean();
    }
}

// The signed route.

async fn send(c: &mut ApiClient, card: &Card, method: Method, body: &str) -> Reply {
    let auth = card_signed(card, method.as_str(), ROUTE, body.as_bytes());
    send_with(c, method, body, Some(&auth)).await
}

async fn send_with(c: &mut ApiClient, method: Method, body: &str, auth: Option<&str>) -> Reply {
    let mut headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    if !body.is_empty() {
        headers.push(("content-type", "application/json"));
    }
    c.send(method, ROUTE, &headers, body.to_owned())
        .await
        .unwrap()
}

fn assert_order(reply: &Reply, order: Value, chosen: bool) {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let v = reply.json();
    assert_eq!(v["order"], order, "{v}");
    assert_eq!(v["chosen"], chosen, "{v}");
    assert!(v["fall_through"].is_boolean(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_sets_and_reads_its_order_and_nothing_else_can() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let card = new_card(server.addr()).await;
    let other = new_card(server.addr()).await;
    let mut c = ApiClient::new(server.addr());
    let me = &card.card;

    // Never set: index order.
    assert_order(
        &send(&mut c, me, Method::GET, "").await,
        json!([0, 1]),
        false,
    );
    let set = send(&mut c, me, Method::PUT, r#"{"order":[1,0]}"#).await;
    assert_order(&set, json!([1, 0]), true);
    assert_eq!(set.json()["fall_through"], false, "the demo card");
    assert_order(
        &send(&mut c, me, Method::GET, "").await,
        json!([1, 0]),
        true,
    );
    // Another card's order is its own.
    assert_order(
        &send(&mut c, &other.card, Method::GET, "").await,
        json!([0, 1]),
        false,
    );

    // Not a permutation of this card's two sources: 400, nothing changes.
    for (body, says) in [
        (r#"{"order":[0]}"#, "has 1 entries"),
        (r#"{"order":[]}"#, "has 0 entries"),
        (r#"{"order":[0,1,2]}"#, "has 3 entries"),
        (r#"{"order":[0,0]}"#, "source 0 twice"),
        (r#"{"order":[0,2]}"#, "names source 2"),
        (r#"{"order":[1,99999999999]}"#, "names source 99999999999"),
        (r#"{"order":[-1,0]}"#, "each funding index once"),
        (r#"{"order":[0.5,1]}"#, "each funding index once"),
        (r#"{"order":"1,0"}"#, "each funding index once"),
        (r#"{"order":[1,0],"extra":1}"#, "each funding index once"),
        (r#"[1,0]"#, "each funding index once"),
        ("not json", "each funding index once"),
    ] {
        let reply = send(&mut c, me, Method::PUT, body).await;
        assert_v1_error(&reply, 400, "INVALID_FUNDING_ORDER");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(says), "{body}: {message}");
    }
    // Signed, but not sent as JSON.
    let body = r#"{"order":[0,1]}"#;
    let auth = card_signed(me, "PUT", ROUTE, body.as_bytes());
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "text/plain"),
    ];
    let reply = c
        .send(Method::PUT, ROUTE, &headers, body.to_owned())
        .await
        .unwrap();
    assert_v1_error(&reply, 400, "INVALID_FUNDING_ORDER");
    assert_order(
        &send(&mut c, me, Method::GET, "").await,
        json!([1, 0]),
        true,
    );

    // Unsigned, badly signed, replayed or signed with another card's key:
    // the uniform 401, and the order stays.
    let body = r#"{"order":[0,1]}"#;
    assert_v1_error(
        &send_with(&mut c, Method::PUT, body, None).await,
        401,
        "UNAUTHORIZED",
    );
    assert_v1_error(
        &send_with(&mut c, Method::GET, "", None).await,
        401,
        "UNAUTHORIZED",
    );
    let good = card_signed(me, "PUT", ROUTE, body.as_bytes());
    let flipped = match good.chars().last() {
        Some('0') => format!("{}1", &good[..good.len() - 1]),
        _ => format!("{}0", &good[..good.len() - 1]),
    };
    assert_v1_error(
        &send_with(&mut c, Method::PUT, body, Some(&flipped)).await,
        401,
        "UNAUTHORIZED",
    );
    // Signed over another body than the one sent.
    let elsewhere = card_signed(me, "PUT", ROUTE, br#"{"order":[1,0]}"#);
    assert_v1_error(
        &send_with(&mut c, Method::PUT, body, Some(&elsewhere)).await,
        401,
        "UNAUTHORIZED",
    );
    // The other card's key, claiming to be this card.
    let forged = card_signed(&other.card, "PUT", ROUTE, body.as_bytes()).replace(
        &format!("token={}", other.token),
        &format!("token={}", card.token),
    );
    assert!(forged.contains(&format!("token={}", card.token)));
    assert_v1_error(
        &send_with(&mut c, Method::PUT, body, Some(&forged)).await,
        401,
        "UNAUTHORIZED",
    );
    assert_order(
        &send(&mut c, me, Method::GET, "").await,
        json!([1, 0]),
        true,
    );
    // The good one once, then its replay.
    assert_order(
        &send_with(&mut c, Method::PUT, body, Some(&good)).await,
        json!([0, 1]),
        true,
    );
    assert_v1_error(
        &send_with(&mut c, Method::PUT, body, Some(&good)).await,
        401,
        "UNAUTHORIZED",
    );
    // Other methods are not routes.
    assert_v1_error(
        &send(&mut c, me, Method::POST, body).await,
        404,
        "NOT_FOUND",
    );
}

/// A card of three sources provisioned with fall-through, and a till: the
/// payer's order decides which source pays when the named one is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_payment_falls_through_in_the_order_the_payer_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let (status, v) = cli(
        &db,
        &[
            "provision",
            "--funding",
            "balance,debit:ICBC:1234,debit:CMB:5678",
            "--fall-through",
            "yes",
        ],
    );
    assert_eq!(status, 0, "{v}");
    let card = Card::from_link(v["link"].as_str().unwrap()).unwrap();
    let name = format!("{}:{}", card.layout.prefix, card.token);
    for source in ["1", "2"] {
        let (status, v) = cli(&db, &["topup", &name, "100.00", "--source", source]);
        assert_eq!(status, 0, "{v}");
    }
    let server = serve_with(config(&dir)).await;
    let mut till = Till::new(server.addr()).await;
    let mut c = ApiClient::new(server.addr());
    let mut last = None;
    let mut code = |funding: u8| {
        let (code, at) = wallet_codes::next_code(&card, last, funding).expect("counter left");
        last = Some(at);
        code
    };

    // No order: after the empty balance, ICBC (index order).
    let paid = till.pay("T-f1", &code(0), "1.00").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    assert_eq!(paid["funding"]["label"], "ICBC ••1234", "{paid}");

    let set = send(&mut c, &card, Method::PUT, r#"{"order":[0,2,1]}"#).await;
    assert_order(&set, json!([0, 2, 1]), true);
    assert_eq!(set.json()["fall_through"], true);
    let paid = till.pay("T-f2", &code(0), "2.00").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    assert_eq!(paid["funding"]["label"], "CMB ••5678", "{paid}");

    let fen = |source: &str| {
        let (status, v) = cli(&db, &["balance", &name, "--source", source]);
        assert_eq!(status, 0, "{v}");
        v["balance_fen"].as_i64().unwrap()
    };
    assert_eq!((fen("0"), fen("1"), fen("2")), (0, 9_900, 9_800));
    assert_ledger_clean(&db);
}
