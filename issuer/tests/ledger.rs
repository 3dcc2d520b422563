//! `paycode merchant add`, `topup`, `balance` and `ledger check`, and each
//! violation `ledger check` names, made on purpose with raw SQL. On SQLite
//! files; with the `postgres-tests` feature on PostgreSQL databases (the
//! CLI's `--db postgres://…`), one fresh database per test.

use paycode_issuer::cli::{run, Output};
use serde_json::Value;

const T0: u64 = 1_764_100_000;

/// A new database for one test: a file in `dir`, or a PostgreSQL URL.
fn new_db(dir: &tempfile::TempDir) -> String {
    #[cfg(feature = "postgres-tests")]
    {
        let _ = dir;
        paycode_issuer::store::postgres::scratch::database("ledger")
    }
    #[cfg(not(feature = "postgres-tests"))]
    dir.path().join("issuer.db").display().to_string()
}

fn cli(db: &str, words: &[&str]) -> (Output, Value) {
    let mut all: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    all.push("--db".into());
    all.push(db.to_owned());
    let out = run(&all, T0);
    let v = serde_json::from_str(&out.stdout).unwrap();
    (out, v)
}

/// A database with one card (balance topped up 100.00) and one merchant.
struct Fixture {
    _dir: tempfile::TempDir,
    db: String,
    card: String,
    merchant: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(&dir);
    let (out, v) = cli(&db, &["provision", "--funding", "balance,debit:ICBC:1234"]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    let card = v["token"].to_string();
    let (out, v) = cli(&db, &["merchant", "add", "Corner Shop"]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    let merchant = v["merchant"].as_str().unwrap().to_owned();
    let (out, _) = cli(&db, &["topup", &card, "100.00"]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    Fixture {
        _dir: dir,
        db,
        card,
        merchant,
    }
}

fn violations(db: &str) -> (i32, Vec<String>) {
    let (out, v) = cli(db, &["ledger", "check"]);
    let kinds = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert!(!x["message"].as_str().unwrap().is_empty());
            x["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    (out.status, kinds)
}

#[test]
fn merchant_topup_and_balance_commands() {
    let f = fixture();
    let (out, v) = cli(&f.db, &["merchant", "add", "Tea House"]);
    assert_eq!(out.status, 0);
    let id = v["merchant"].as_str().unwrap();
    assert!(id.starts_with("m_") && id.len() == 18, "{id}");
    let key = v["api_key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert!(key
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));

    let (_, v) = cli(&f.db, &["balance", &f.card]);
    assert_eq!(v["balance"], "100.00");
    let (_, v) = cli(&f.db, &["balance", &format!("13:{}", f.card)]);
    assert_eq!(v["balance"], "100.00");
    let (out, v) = cli(&f.db, &["topup", &f.card, "20", "--source", "1"]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert_eq!(v["balance"], "20.00");
    let (_, v) = cli(&f.db, &["balance", &f.card, "--source", "1"]);
    assert_eq!(v["balance"], "20.00");
    let (_, v) = cli(&f.db, &["balance", &f.merchant]);
    assert_eq!(v["balance"], "0.00");

    for (words, kind) in [
        (vec!["balance", "999999"], "bad_value"),
        (vec!["balance", "m_nobody"], "bad_value"),
        (vec!["topup", "12x", "1"], "bad_value"),
        (vec!["topup", &f.card, "-1"], "amount_negative"),
        (vec!["topup", &f.merchant, "1"], "bad_value"),
        (vec!["topup", &f.card], "missing_argument"),
        (vec!["merchant", "add"], "missing_argument"),
        (vec!["merchant", "remove", "x"], "unknown_command"),
        (vec!["ledger", "fix"], "unknown_command"),
    ] {
        let (out, v) = cli(&f.db, &words);
        assert_eq!(
            (out.status, v["error"].as_str()),
            (1, Some(kind)),
            "{words:?}"
        );
    }
    assert_eq!(violations(&f.db), (0, vec![]));
}

/// A connection behind the store's back. The statements below are plain
/// SQL both databases read, with the tests' own values written in.
#[cfg(not(feature = "postgres-tests"))]
struct Raw(rusqlite::Connection);

#[cfg(not(feature = "postgres-tests"))]
impl Raw {
    fn exec(&self, sql: &str) {
        self.0.execute_batch(sql).unwrap();
    }
}

#[cfg(not(feature = "postgres-tests"))]
fn raw(db: &str) -> Raw {
    Raw(rusqlite::Connection::open(db).unwrap())
}

#[cfg(feature = "postgres-tests")]
struct Raw {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

#[cfg(feature = "postgres-tests")]
impl Raw {
    fn exec(&self, sql: &str) {
        self.rt.block_on(self.client.batch_execute(sql)).unwrap();
    }
}

#[cfg(feature = "postgres-tests")]
fn raw(db: &str) -> Raw {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
    });
    Raw { rt, client }
}

/// A journal written behind the store's back.
fn journal(conn: &Raw, kind: &str, reference: &str, legs: &[(&str, i64)]) {
    conn.exec(&format!(
        "INSERT INTO journals (kind, reference, at) VALUES ('{kind}', '{reference}', 1)"
    ));
    for (account, amount) in legs {
        conn.exec(&format!(
            "INSERT INTO accounts (id, created) VALUES ('{account}', 1) ON CONFLICT DO NOTHING;
             INSERT INTO postings (journal, account, amount_fen)
             VALUES ((SELECT MAX(id) FROM journals), '{account}', {amount})"
        ));
    }
}

fn payment(conn: &Raw, merchant: &str, id: &str, card: &str, status: &str) {
    let token = card.parse::<u32>().unwrap();
    conn.exec(&format!(
        "INSERT INTO payments (id, merchant, out_trade_no, fingerprint, amount_fen, currency,
             status, prefix, token, funding_index, funding_kind, funding_label, created)
         VALUES ('{id}', '{merchant}', '{id}', 'x', 10000, 'CNY', '{status}', 13, {token}, 0,
                 'balance', 'Balance', 1)"
    ));
}

#[test]
fn an_unbalanced_journal_is_named() {
    let f = fixture();
    journal(
        &raw(&f.db),
        "topup",
        "top_bad",
        &[(&format!("card:13:{}", f.card), 5)],
    );
    let (status, kinds) = violations(&f.db);
    assert_eq!((status, kinds), (4, vec!["unbalanced_journal".to_owned()]));
}

#[test]
fn a_balance_below_zero_is_named_but_not_the_external_one() {
    let f = fixture();
    let card = format!("card:13:{}", f.card);
    let shop = format!("merchant:{}", f.merchant);
    journal(
        &raw(&f.db),
        "topup",
        "top_x",
        &[(&card, -20_000), (&shop, 20_000)],
    );
    let (status, kinds) = violations(&f.db);
    assert_eq!((status, kinds), (4, vec!["negative_balance".to_owned()]));
}

#[test]
fn a_success_payment_without_one_debit_and_one_credit_is_named() {
    let f = fixture();
    let conn = raw(&f.db);
    payment(&conn, &f.merchant, "pay_none", &f.card, "SUCCESS");
    let card = format!("card:13:{}", f.card);
    let shop = format!("merchant:{}", f.merchant);
    payment(&conn, &f.merchant, "pay_split", &f.card, "SUCCESS");
    journal(
        &conn,
        "payment",
        "pay_split",
        &[(&card, -50), (&card, -50), (&shop, 100)],
    );
    let (status, kinds) = violations(&f.db);
    assert_eq!(status, 4);
    assert_eq!(kinds, ["payment_postings", "payment_postings"]);
}

#[test]
fn refunds_above_the_payment_are_named() {
    let f = fixture();
    let conn = raw(&f.db);
    let card = format!("card:13:{}", f.card);
    let shop = format!("merchant:{}", f.merchant);
    payment(&conn, &f.merchant, "pay_1", &f.card, "REFUNDED");
    journal(
        &conn,
        "payment",
        "pay_1",
        &[(&card, -10_000), (&shop, 10_000)],
    );
    for (id, amount) in [("ref_1", 8_000), ("ref_2", 8_000)] {
        conn.exec(&format!(
            "INSERT INTO refunds (id, merchant, out_refund_no, payment, amount_fen, created)
             VALUES ('{id}', '{}', '{id}', 'pay_1', {amount}, 1)",
            f.merchant
        ));
    }
    // The money itself balances: 80.00 went back once, 80.00 more from
    // a top-up of the merchant, so only the refund rule is broken.
    journal(
        &conn,
        "topup",
        "top_m",
        &[("external", -6_000), (&shop, 6_000)],
    );
    journal(&conn, "refund", "ref_1", &[(&shop, -8_000), (&card, 8_000)]);
    journal(&conn, "refund", "ref_2", &[(&shop, -8_000), (&card, 8_000)]);
    let (status, kinds) = violations(&f.db);
    assert_eq!((status, kinds), (4, vec!["over_refunded".to_owned()]));
}

#[test]
fn a_revoked_card_is_refused_until_restored() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_db(&dir);
    let (_, v) = cli(&db, &["provision"]);
    let link = v["link"].as_str().unwrap().to_owned();
    let token = v["token"].to_string();
    // `code` uses no database.
    let code = |swipe: &str| {
        let words = ["code", "--link", &link, "--swipe", swipe].map(String::from);
        let v: Value = serde_json::from_str(&run(&words, T0).stdout).unwrap();
        v["code"].as_str().unwrap().to_owned()
    };
    let (out, v) = cli(&db, &["card", "revoke", &token]);
    assert_eq!((out.status, v["revoked"].as_bool()), (0, Some(true)));
    let (out, v) = cli(&db, &["charge", &code("0"), "--amount", "1"]);
    assert_eq!((out.status, v["reason"].as_str()), (3, Some("revoked")));
    let (out, _) = cli(&db, &["card", "restore", &format!("13:{token}")]);
    assert_eq!(out.status, 0);
    let (out, v) = cli(&db, &["charge", &code("1"), "--amount", "1"]);
    assert_eq!((out.status, v["result"].as_str()), (0, Some("approved")));
    let (out, v) = cli(&db, &["card", "revoke", "424242"]);
    assert_eq!((out.status, v["error"].as_str()), (1, Some("bad_value")));
}
