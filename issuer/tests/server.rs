//! `paycode serve` in-process on 127.0.0.1:0: the signed merchant API
//! (authentication, idempotency, retries, reversals, refunds, concurrency,
//! lockout, USERPAYING), the demo and wallet routes, rate limits, group
//! commit and static files. Codes are made by the wallet's own core.

mod server_support;

use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use paycode_issuer::server::RateLimit;
use serde_json::Value;
use server_support::*;

fn db_of(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("issuer.db")
}

/// The payment's fields that are the same for any out_trade_no.
fn without_ids(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("payment_id");
        o.remove("out_trade_no");
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_valid_signature_is_401_and_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let before = balance_fen(&db, &card, 0);
    let code = card.next(0);
    let body = pay_body("T-unsigned", &code, "12.50");

    // No Authorization at all.
    let none = till
        .send_as(Method::POST, "/v1/payments", &body, None)
        .await
        .unwrap();
    assert_v1_error(&none, 401, "UNAUTHORIZED");
    // A bad signature (another body's), a ts 301 s old, an unknown merchant.
    let ts = now();
    let other_body = pay_body("T-other", &code, "12.50");
    let bad_sig = till.sign("POST", "/v1/payments", &other_body, ts, &nonce());
    let old = till.sign("POST", "/v1/payments", &body, ts - 301, &nonce());
    let unknown = bad_sig.replace(&till.merchant, "m_0000000000000000");
    let mut bodies = vec![none.json()];
    for auth in [&bad_sig, &old, &unknown, &"garbage".to_owned()] {
        let reply = till
            .send_as(Method::POST, "/v1/payments", &body, Some(auth))
            .await
            .unwrap();
        assert_v1_error(&reply, 401, "UNAUTHORIZED");
        bodies.push(reply.json());
    }
    // One body for every failure: nothing says which check failed.
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert_eq!(balance_fen(&db, &card, 0), before);
    let reply = till.query("T-unsigned").await;
    assert_v1_error(&reply, 404, "NOT_FOUND");

    // The code is untouched: it still pays, once properly signed.
    let reply = till.pay("T-unsigned", &code, "12.50").await;
    let (status, v) = answer(&reply);
    assert_eq!(
        (status, v["status"].as_str()),
        (200, Some("SUCCESS")),
        "{v}"
    );
    assert_eq!(balance_fen(&db, &card, 0), before - 1250);

    // A reused nonce: the same signed request again is 401, even though
    // the same payment sent anew would answer its state.
    let n = nonce();
    let body2 = pay_body("T-nonce", &card.next(0), "1.00");
    let auth = till.sign("POST", "/v1/payments", &body2, now(), &n);
    let first = till
        .send_as(Method::POST, "/v1/payments", &body2, Some(&auth))
        .await
        .unwrap();
    assert_eq!(first.json()["status"], "SUCCESS", "{}", first.json());
    let again = till
        .send_as(Method::POST, "/v1/payments", &body2, Some(&auth))
        .await
        .unwrap();
    assert_v1_error(&again, 401, "UNAUTHORIZED");
    assert_eq!(again.json(), bodies[0]);
    assert_eq!(balance_fen(&db, &card, 0), before - 1250 - 100);
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_is_whoever_signed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut a = Till::new(server.addr()).await;
    let mut b = Till::new(server.addr()).await;
    let code = card.next(0);
    // A body naming merchant B, signed by A: no body field names a merchant.
    let body = serde_json::json!({
        "out_trade_no": "T-who", "auth_code": code, "amount": "2.00", "currency": "CNY",
        "merchant": b.merchant,
    })
    .to_string();
    let reply = a.send(Method::POST, "/v1/payments", &body).await;
    assert_v1_error(&reply, 400, "INVALID_REQUEST");
    let reply = a.pay("T-who", &code, "2.00").await;
    assert_eq!(reply.json()["status"], "SUCCESS", "{}", reply.json());
    // Recorded as A's: B cannot see it, A can.
    assert_v1_error(&b.query("T-who").await, 404, "NOT_FOUND");
    assert_eq!(a.query("T-who").await.json()["status"], "SUCCESS");
    let (_, v) = cli(&db, &["balance", &a.merchant]);
    assert_eq!(v["balance_fen"], 200, "{v}");
    let (_, v) = cli(&db, &["balance", &b.merchant]);
    assert_eq!(v["balance_fen"], 0, "{v}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_timeout_gets_the_same_payment_and_one_debit() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let cfg = config(&dir);
    let bank = Arc::clone(&cfg.bank);
    let server = serve_with(cfg).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let before = balance_fen(&db, &card, 1);
    // The demo bank takes 2 s per debit: the till gives up after 0.3 s.
    bank.set_delay(Duration::from_secs(2));
    let code = card.next(1);
    let first = tokio::time::timeout(
        Duration::from_millis(300),
        till.pay("T-retry", &code, "12.50"),
    )
    .await;
    assert!(first.is_err(), "the first request was meant to time out");
    till.reconnect();
    // The retry (a new signed request, the same body) waits for the first
    // one's commit and answers its payment.
    let retry = till.pay("T-retry", &code, "12.50").await;
    let (status, v) = answer(&retry);
    assert_eq!(
        (status, v["status"].as_str()),
        (200, Some("SUCCESS")),
        "{v}"
    );
    assert_eq!(v["funding"]["kind"], "debit", "{v}");
    let id = v["payment_id"].as_str().unwrap().to_owned();
    let again = till.pay("T-retry", &code, "12.50").await.json();
    assert_eq!(again["payment_id"], id.as_str());
    assert_eq!(
        till.query("T-retry").await.json()["payment_id"],
        id.as_str()
    );
    assert_eq!(
        balance_fen(&db, &card, 1),
        before - 1250,
        "exactly one debit"
    );
    assert_ledger_clean(&db);

    // The same out_trade_no with another amount: a conflict, nothing moves.
    let reply = till.pay("T-retry", &code, "12.51").await;
    assert_v1_error(&reply, 409, "OUT_TRADE_NO_CONFLICT");
    assert_eq!(balance_fen(&db, &card, 1), before - 1250);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_and_refund_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let before = balance_fen(&db, &card, 0);

    // SUCCESS → REVERSED, the money back.
    let reply = till.pay("T-rev", &card.next(0), "10.00").await;
    assert_eq!(reply.json()["status"], "SUCCESS", "{}", reply.json());
    assert_eq!(balance_fen(&db, &card, 0), before - 1000);
    let reply = till.reverse("T-rev").await;
    assert_eq!(reply.json()["status"], "REVERSED", "{}", reply.json());
    assert_eq!(balance_fen(&db, &card, 0), before);
    // Idempotent; `{}` is accepted as the body too.
    let reply = till
        .send(Method::POST, "/v1/payments/T-rev/reverse", "{}")
        .await;
    assert_eq!(reply.json()["status"], "REVERSED", "{}", reply.json());
    assert_eq!(balance_fen(&db, &card, 0), before);

    // Reverse before the payment arrived: the late payment cannot pay,
    // and its code is not used up.
    let reply = till.reverse("T-late").await;
    assert_eq!(reply.json()["status"], "CLOSED", "{}", reply.json());
    let code = card.next(0);
    let reply = till.pay("T-late", &code, "3.00").await;
    let (status, v) = answer(&reply);
    assert_eq!((status, v["status"].as_str()), (200, Some("CLOSED")), "{v}");
    assert_eq!(balance_fen(&db, &card, 0), before);
    let reply = till.pay("T-late-2", &code, "3.00").await;
    assert_eq!(reply.json()["status"], "SUCCESS", "{}", reply.json());

    // Two partial refunds that add up → REFUNDED; a third is refused; the
    // same out_refund_no twice is one refund.
    let reply = till.pay("T-ref", &card.next(0), "10.00").await;
    assert_eq!(reply.json()["status"], "SUCCESS");
    let r1 = till.refund("T-ref", "R-1", "4.00").await.json();
    assert_eq!(r1["status"], "SUCCESS", "{r1}");
    assert_eq!(r1["payment_status"], "PARTIALLY_REFUNDED", "{r1}");
    assert_eq!(r1["refunded"], "4.00", "{r1}");
    let r1_again = till.refund("T-ref", "R-1", "4.00").await.json();
    assert_eq!(r1_again["refund_id"], r1["refund_id"]);
    assert_eq!(r1_again["refunded"], "4.00", "{r1_again}");
    assert_v1_error(
        &till.refund("T-ref", "R-1", "5.00").await,
        409,
        "OUT_REFUND_NO_CONFLICT",
    );
    assert_v1_error(
        &till.refund("T-ref", "R-big", "6.01").await,
        422,
        "REFUND_EXCEEDS_PAID",
    );
    assert_v1_error(&till.reverse("T-ref").await, 422, "REVERSE_NOT_ALLOWED");
    let r2 = till.refund("T-ref", "R-2", "6.00").await.json();
    assert_eq!(r2["payment_status"], "REFUNDED", "{r2}");
    assert_eq!(r2["refunded"], "10.00", "{r2}");
    assert_v1_error(
        &till.refund("T-ref", "R-3", "0.01").await,
        422,
        "REFUND_NOT_ALLOWED",
    );
    assert_v1_error(
        &till.refund("T-none", "R-4", "1.00").await,
        404,
        "NOT_FOUND",
    );
    assert_v1_error(
        &till.refund("T-ref", "R-5", "1.001").await,
        422,
        "AMOUNT_INVALID",
    );
    let q = till.query("T-ref").await.json();
    assert_eq!(
        (q["status"].as_str(), q["refunded"].as_str()),
        (Some("REFUNDED"), Some("10.00")),
        "{q}"
    );
    assert_eq!(balance_fen(&db, &card, 0), before - 300);
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_tills_paying_one_code_at_once_succeed_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let before = balance_fen(&db, &card, 0);
    let code = card.next(0);
    let mut tills = Vec::new();
    for _ in 0..8 {
        tills.push(Till::new(server.addr()).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = tills
        .into_iter()
        .enumerate()
        .map(|(i, mut till)| {
            let (code, barrier) = (code.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                till.pay(&format!("T-race-{i}"), &code, "5.00").await.json()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        let v = t.await.unwrap();
        outcomes.push(match v["status"].as_str() {
            Some("SUCCESS") => "SUCCESS".to_owned(),
            Some("FAILED") => v["error"]["code"].as_str().unwrap().to_owned(),
            _ => panic!("{v}"),
        });
    }
    outcomes.sort();
    let mut expect = vec!["AUTH_CODE_USED".to_owned(); 7];
    expect.push("SUCCESS".to_owned());
    assert_eq!(outcomes, expect);
    assert_eq!(balance_fen(&db, &card, 0), before - 500);
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_and_bad_macs_get_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    // A card of another issuer database: its token is unknown here.
    let other_dir = tempfile::tempdir().unwrap();
    let other = serve_with(config(&other_dir)).await;
    let mut stranger = new_card(other.addr()).await;
    while stranger.token == card.token {
        stranger = new_card(other.addr()).await;
    }
    let unknown = till.pay("T-unknown", &stranger.next(0), "1.00").await;
    let bad_mac = till
        .pay("T-badmac", &wrong_mac(&card.next(0)), "1.00")
        .await;
    let malformed = till.pay("T-malformed", "12345", "1.00").await;
    let (s1, v1) = answer(&unknown);
    let (s2, v2) = answer(&bad_mac);
    let (s3, v3) = answer(&malformed);
    assert_eq!(v1["error"]["code"], "AUTH_CODE_INVALID", "{v1}");
    assert_eq!((s1, without_ids(v1.clone())), (s2, without_ids(v2)));
    assert_eq!((s1, without_ids(v1)), (s3, without_ids(v3)));
    other.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_codes_from_one_merchant_do_not_lock_out_another() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut a = Till::new(server.addr()).await;
    let mut b = Till::new(server.addr()).await;
    for i in 0..5 {
        let v = b
            .pay(&format!("T-bad-{i}"), &wrong_mac(&card.next(0)), "1.00")
            .await
            .json();
        assert_eq!(v["error"]["code"], "AUTH_CODE_INVALID", "{v}");
    }
    // B is locked out of this card now...
    let v = b.pay("T-b-good", &card.next(0), "1.00").await.json();
    assert_eq!(v["error"]["code"], "CARD_LOCKED", "{v}");
    // ... A is not.
    let v = a.pay("T-a-good", &card.next(0), "1.00").await.json();
    assert_eq!(v["status"], "SUCCESS", "{v}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_userpaying_payment_closes_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let mut cfg = config(&dir);
    cfg.payments.userpaying_seconds = 2;
    let server = serve_with(cfg).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let before = balance_fen(&db, &card, 0);
    // Past the no-PIN allowance (300.00 each): the payer must confirm.
    let v = till.pay("T-wait", &card.next(0), "350.00").await.json();
    assert_eq!(v["status"], "USERPAYING", "{v}");
    let id = v["payment_id"].as_str().unwrap().to_owned();
    // The writer's sweep closes it, with no query asking.
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let status = || -> String {
        conn.query_row("SELECT status FROM payments WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(status(), "USERPAYING");
    assert!(
        eventually(Duration::from_secs(10), || status() == "CLOSED").await,
        "still {}",
        status()
    );
    assert_eq!(till.query("T-wait").await.json()["status"], "CLOSED");
    // Too late to confirm; nothing was posted.
    let (_, v) = cli(&db, &["payment", "confirm", &id]);
    assert_eq!(v["status"], "CLOSED", "{v}");
    assert_eq!(balance_fen(&db, &card, 0), before);
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_userpaying_payment_confirmed_in_time_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;
    let before = balance_fen(&db, &card, 0);
    let v = till.pay("T-pin", &card.next(0), "350.00").await.json();
    assert_eq!(v["status"], "USERPAYING", "{v}");
    assert!(v["deadline"].as_u64().unwrap() >= now() + 50, "{v}");
    let id = v["payment_id"].as_str().unwrap();
    let (code, v) = cli(&db, &["payment", "confirm", id]);
    assert_eq!((code, v["status"].as_str()), (0, Some("SUCCESS")), "{v}");
    assert_eq!(till.query("T-pin").await.json()["status"], "SUCCESS");
    assert_eq!(balance_fen(&db, &card, 0), before - 35_000);
    let (code, v) = cli(&db, &["payment", "confirm", "pay_nope"]);
    assert_eq!((code, v["error"].as_str()), (1, Some("NOT_FOUND")), "{v}");
    assert_eq!(v["message"], "no payment has this payment id", "{v}");
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_demo_the_demo_routes_do_not_exist_and_charge_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.demo = false;
    let server = serve_with(cfg).await;
    let mut c = ApiClient::new(server.addr());
    for path in [
        "/api/cards",
        "/api/demo/till",
        "/api/charge",
        "/api/charge/ch_1/pin",
    ] {
        let reply = c
            .request(Method::POST, path, Some("application/json"), "{}")
            .await
            .unwrap();
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.json()["error"], "not_found", "{path}");
    }
    for (method, path) in [
        (Method::GET, "/v1/nothing"),
        (Method::GET, "/v1/refunds"),
        (Method::DELETE, "/v1/payments/T1"),
    ] {
        let reply = c.request(method, path, None, "").await.unwrap();
        assert_v1_error(&reply, 404, "NOT_FOUND");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_per_merchant_and_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    let slow = RateLimit {
        per_second: 0.2,
        burst: 3,
    };
    cfg.merchant_rate = slow;
    cfg.client_rate = RateLimit {
        per_second: 0.2,
        burst: 5,
    };
    let server = serve_with(cfg).await;
    let mut a = Till::new(server.addr()).await;
    let mut b = Till::new(server.addr()).await;
    for _ in 0..3 {
        assert_v1_error(&a.query("T-x").await, 404, "NOT_FOUND");
    }
    let reply = a.query("T-x").await;
    assert_v1_error(&reply, 429, "RATE_LIMITED");
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    // Another merchant has its own bucket.
    assert_v1_error(&b.query("T-x").await, 404, "NOT_FOUND");
    // Unsigned requests count against the address (two demo tills were
    // made from it, so three failures are left before 429).
    for _ in 0..3 {
        let reply = b
            .send_as(Method::GET, "/v1/payments/T-x", "", None)
            .await
            .unwrap();
        assert_v1_error(&reply, 401, "UNAUTHORIZED");
    }
    let reply = b
        .send_as(Method::GET, "/v1/payments/T-x", "", None)
        .await
        .unwrap();
    assert_v1_error(&reply, 429, "RATE_LIMITED");
    // Signed ones from that address still pass: they are the merchant's.
    assert_v1_error(&b.query("T-x").await, 404, "NOT_FOUND");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_queued_behind_a_slow_one_share_its_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_of(&dir);
    let cfg = config(&dir);
    let bank = Arc::clone(&cfg.bank);
    let server = serve_with(cfg).await;
    let mut slow_card = new_card(server.addr()).await;
    // A card each: a card's later code, accepted first, would supersede
    // an earlier one still queued.
    let mut cards = Vec::new();
    for _ in 0..20 {
        cards.push(new_card(server.addr()).await);
    }
    let mut till = Till::new(server.addr()).await;
    let mut tills = Vec::new();
    for _ in 0..20 {
        tills.push(Till::new(server.addr()).await);
    }
    let start = server.write_stats();
    // One debit holds the writer for 2 s; 20 balance payments queue behind it.
    bank.set_delay(Duration::from_secs(2));
    let code = slow_card.next(1);
    let slow = tokio::spawn(async move { till.pay("T-slow", &code, "1.00").await.json() });
    let mut tasks = Vec::new();
    for (i, mut till) in tills.into_iter().enumerate() {
        let code = cards[i].next(0);
        tasks.push(tokio::spawn(async move {
            till.pay(&format!("T-q{i}"), &code, "1.00").await.json()
        }));
    }
    for t in tasks {
        let v = t.await.unwrap();
        assert_eq!(v["status"], "SUCCESS", "{v}");
    }
    assert_eq!(slow.await.unwrap()["status"], "SUCCESS");
    let end = server.write_stats();
    let jobs = end.jobs - start.jobs;
    let commits = end.commits - start.commits;
    // 21 payments; a commit for the slow one, one or two for those queued
    // behind it, and at most a sweep a second besides.
    assert_eq!(jobs, 21, "{start:?} {end:?}");
    assert!(commits <= 8, "{commits} commits for {jobs} jobs");
    assert_ledger_clean(&db);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_is_stored_only_as_a_salted_hash() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut c = ApiClient::new(server.addr());
    // The PINs the payers chose; the answer never carries them back.
    let pins = ["493817", "493817"];
    for pin in pins {
        let reply = c
            .post_json("/api/cards", &serde_json::json!({ "pin": pin }))
            .await
            .unwrap();
        assert!(reply.json().get("pin").is_none(), "{:?}", reply.body);
    }
    server.shutdown().await.unwrap();
    let conn = rusqlite::Connection::open(db_of(&dir)).unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>, u32)> = conn
        .prepare("SELECT salt, hash, rounds FROM card_pins")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].0, rows[1].0, "salts differ");
    assert_ne!(rows[0].1, rows[1].1, "one PIN, two hashes");
    // rounds 0: Argon2id (server/pin.rs).
    assert!(rows.iter().all(|r| r.1.len() == 32 && r.2 == 0));
    drop(conn);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for pin in &pins {
            assert!(!bytes.windows(6).any(|w| w == pin.as_bytes()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_have_the_right_types_and_caching() {
    let www = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 5] = [
        ("index.html", b"<!doctype html><title>w</title>"),
        ("sw.js", b"self.addEventListener('fetch', () => {});"),
        ("manifest.webmanifest", b"{}"),
        ("pkg/app_bg.wasm", b"\0asm\x01\0\0\0"),
        ("css/a.css", b"body{}"),
    ];
    for (name, bytes) in files {
        let path = www.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.www = www.path().to_owned();
    let server = serve_with(cfg).await;
    let mut c = ApiClient::new(server.addr());
    let expect = [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/sw.js", "javascript"),
        ("/manifest.webmanifest", "application/manifest+json"),
        ("/pkg/app_bg.wasm", "application/wasm"),
        ("/css/a.css", "text/css"),
    ];
    for (path, mime) in expect {
        let reply = c.get(path).await.unwrap();
        assert_eq!(reply.status, 200, "{path}");
        let ct = reply.header("content-type").unwrap_or_default();
        assert!(ct.contains(mime), "{path}: {ct}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    let sw = c.get("/sw.js").await.unwrap();
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    assert_eq!(c.get("/nothing.js").await.unwrap().status, 404);
    for sneaky in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/pkg/../../issuer.db",
    ] {
        let reply = c.get(sneaky).await.unwrap();
        assert_ne!(reply.status, 200, "{sneaky}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_and_till_pages_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut c = ApiClient::new(server.addr());
    for path in [
        "/",
        "/cashier.html",
        "/cashier.js",
        "/css/cashier.css",
        "/js/i18n.js",
    ] {
        let reply = c.get(path).await.unwrap();
        assert_eq!(reply.status, 200, "{path}");
    }
    let addr = server.addr();
    server.shutdown().await.unwrap();
    // Stopped: nothing listens any more.
    assert!(ApiClient::new(addr).get("/").await.is_err());
}
