//! One-time activation (docs/FORMAT.md §8.1, docs/SECURITY.md
//! "Activation"): the demo route and `paycode provision --activation` hand
//! out a link with a code and no key; `POST /v1/activations/redeem` gives
//! the card once, then 410 `ACTIVATION_USED`; after 10 minutes (on an
//! injected clock) 410 `ACTIVATION_EXPIRED`; two redemptions at once give
//! one card; redemption is rate-limited per address; the database keeps
//! only the code's SHA-256.

mod server_support;

use std::sync::atomic::{AtomicU64, Ordering};

use hyper::Method;
use paycode_issuer::server::RateLimit;
use paycode_wallet::core::activation::ActivationLink;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};
use server_support::*;
use sha2::{Digest, Sha256};

/// A new demo card: its activation link, parsed, and the answer.
async fn demo_activation(client: &mut ApiClient) -> (ActivationLink, Value) {
    let reply = client
        .request(Method::POST, "/api/cards", None, "")
        .await
        .unwrap();
    let (status, body) = answer(&reply);
    assert_eq!(status, 200, "{body}");
    let link = ActivationLink::parse(body["activation"].as_str().unwrap()).unwrap();
    (link, body)
}

async fn redeem_code(client: &mut ApiClient, code: &str) -> Reply {
    client
        .post_json("/v1/activations/redeem", &json!({ "code": code }))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_card_comes_once_then_410_used() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut client = ApiClient::new(server.addr());
    let (link, created) = demo_activation(&mut client).await;
    assert_eq!(link.url, format!("http://{}", server.addr()));
    assert_eq!(link.issuer, "Demo Bank");
    assert!(
        created.get("link").is_none(),
        "the demo answer holds no card link: {created}"
    );

    let first = redeem_code(&mut client, &link.code).await;
    let (status, body) = answer(&first);
    assert_eq!(status, 200, "{body}");
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let card = Card::from_link(body["link"].as_str().unwrap()).unwrap();
    assert_eq!(u64::from(card.token), created["token"].as_u64().unwrap());
    // The activation link carried no form of this key.
    let activation_text = created["activation"].as_str().unwrap();
    for form in [
        card.secret.to_base32(),
        card.secret.to_base32().to_lowercase(),
        hex::encode(card.secret.as_bytes()),
    ] {
        assert!(!activation_text.contains(&form));
    }
    assert!(!activation_text.contains("secret"));

    // The card pays: it is the stored card, key and money.
    let mut till = Till::new(server.addr()).await;
    let mut demo = DemoCard {
        card,
        token: created["token"].as_u64().unwrap(),
        prefix: created["prefix"].as_u64().unwrap(),
        last: None,
    };
    let code = demo.next(0);
    let (status, paid) = answer(&till.pay("T-ACT-1", &code, "3.00").await);
    assert_eq!(
        (status, paid["status"].as_str()),
        (200, Some("SUCCESS")),
        "{paid}"
    );

    let second = redeem_code(&mut client, &link.code).await;
    assert_v1_error(&second, 410, "ACTIVATION_USED");
    assert!(second.json()["link"].is_null());
    server.shutdown().await.unwrap();
}

static CLOCK: AtomicU64 = AtomicU64::new(1_764_100_000);

fn test_clock() -> u64 {
    CLOCK.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_dead_after_ten_minutes_on_the_issuer_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&dir);
    config.activation_clock = test_clock;
    let start = test_clock();
    let server = serve_with(config).await;
    let mut client = ApiClient::new(server.addr());
    let (in_time, _) = demo_activation(&mut client).await;
    let (late, _) = demo_activation(&mut client).await;

    CLOCK.store(start + 599, Ordering::SeqCst);
    let reply = redeem_code(&mut client, &in_time.code).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    // The card's link is dated at the hand-over: the wallet's clock offset
    // is measured then, not when the code was made.
    let card = Card::from_link(reply.json()["link"].as_str().unwrap()).unwrap();
    assert_eq!(card.issued_at, start + 599);

    CLOCK.store(start + 600, Ordering::SeqCst);
    assert_v1_error(
        &redeem_code(&mut client, &late.code).await,
        410,
        "ACTIVATION_EXPIRED",
    );
    // Still expired, not "used", and the used one stays used.
    assert_v1_error(
        &redeem_code(&mut client, &late.code).await,
        410,
        "ACTIVATION_EXPIRED",
    );
    assert_v1_error(
        &redeem_code(&mut client, &in_time.code).await,
        410,
        "ACTIVATION_USED",
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redemptions_at_once_deliver_one_card() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut client = ApiClient::new(server.addr());
    let (link, _) = demo_activation(&mut client).await;
    let addr = server.addr();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let code = link.code.clone();
            tokio::spawn(async move {
                let mut client = ApiClient::new(addr);
                redeem_code(&mut client, &code).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        let reply = racer.await.unwrap();
        if reply.status != 200 {
            assert_v1_error(&reply, 410, "ACTIVATION_USED");
        }
        statuses.push(reply.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_codes_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut client = ApiClient::new(server.addr());
    let unknown = redeem_code(&mut client, &"0".repeat(32)).await;
    assert_v1_error(&unknown, 404, "ACTIVATION_UNKNOWN");
    for body in [
        json!({ "code": "zz" }),
        json!({ "code": 5 }),
        json!({}),
        json!({"code": "0", "x": 1}),
    ] {
        let reply = client
            .post_json("/v1/activations/redeem", &body)
            .await
            .unwrap();
        assert_v1_error(&reply, 400, "INVALID_REQUEST");
    }
    let not_json = client
        .request(
            Method::POST,
            "/v1/activations/redeem",
            Some("text/plain"),
            "{}",
        )
        .await
        .unwrap();
    assert_v1_error(&not_json, 400, "INVALID_REQUEST");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redemption_is_rate_limited_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&dir);
    // Three at once, then one per thousand seconds: no refill in this test.
    config.client_rate = RateLimit {
        per_second: 0.001,
        burst: 3,
    };
    let server = serve_with(config).await;
    let mut client = ApiClient::new(server.addr());
    for _ in 0..3 {
        let reply = redeem_code(&mut client, &"1".repeat(32)).await;
        assert_v1_error(&reply, 404, "ACTIVATION_UNKNOWN");
    }
    let limited = redeem_code(&mut client, &"1".repeat(32)).await;
    assert_v1_error(&limited, 429, "RATE_LIMITED");
    assert!(limited.header("retry-after").is_some());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_on_another_origin_may_redeem() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut client = ApiClient::new(server.addr());
    let origin = "https://wallet.example";
    let preflight = client
        .send(
            Method::OPTIONS,
            "/v1/activations/redeem",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            "",
        )
        .await
        .unwrap();
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(preflight
        .header("access-control-allow-credentials")
        .is_none());
    let (link, _) = demo_activation(&mut client).await;
    let body = json!({ "code": link.code }).to_string();
    let reply = client
        .send(
            Method::POST,
            "/v1/activations/redeem",
            &[("origin", origin), ("content-type", "application/json")],
            body,
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_hands_out_an_activation_and_the_store_keeps_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    let server = serve_with(config(&dir)).await;
    let origin = format!("http://{}", server.addr());
    let (status, out) = cli(&db, &["provision", "--activation", &origin]);
    assert_eq!(status, 0, "{out}");
    assert!(out.get("link").is_none(), "{out}");
    let link = ActivationLink::parse(out["activation"].as_str().unwrap()).unwrap();
    assert_eq!(link.url, origin);
    let (status, refused) = cli(&db, &["provision", "--activation", "http://bank.example"]);
    assert_eq!(status, 1, "{refused}");

    // Before and after the redemption: no form of the code at rest, and
    // the stored hash is the code's SHA-256.
    let hash = hex::encode_upper(Sha256::digest(link.code.as_bytes()));
    let look = |when: &str| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let stored: Vec<String> = conn
            .prepare("SELECT hex(code_hash) FROM activations")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, vec![hash.clone()], "{when}");
        drop(conn);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for form in [link.code.clone(), link.code.to_uppercase()] {
                let found = bytes.windows(form.len()).any(|w| w == form.as_bytes());
                assert!(!found, "{when}: the code is in a database file");
            }
        }
    };
    look("issued");
    let mut client = ApiClient::new(server.addr());
    let reply = redeem_code(&mut client, &link.code).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let card = Card::from_link(reply.json()["link"].as_str().unwrap()).unwrap();
    assert_eq!(u64::from(card.token), out["token"].as_u64().unwrap());
    server.shutdown().await.unwrap();
    look("redeemed");
}
