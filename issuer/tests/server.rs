//! `paycode serve` in-process on 127.0.0.1:0: the API from provisioning to
//! history, its refusals, malformed input, concurrency and static files.
//! Codes are made by the wallet's own core (`Card::from_link`, `code_at`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::Method;
use paycode_issuer::server::client::{ApiClient, Reply};
use paycode_issuer::server::load::next_code;
use paycode_issuer::server::{start, RateLimit, RunningServer, ServerConfig};
use paycode_wallet::core::link::Card;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tempfile::TempDir;

fn repo_www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www")
}

async fn serve(rate: RateLimit, www: &Path) -> (RunningServer, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path().join("issuer.db"),
        www,
    );
    config.charge_rate = rate;
    let server = start(config).await.unwrap();
    assert!(server.addr().ip().is_loopback());
    (server, dir)
}

struct DemoCard {
    card: Card,
    pin: String,
    token: u64,
    /// The newest (step, counter) used.
    last: Option<(u64, u8)>,
}

impl DemoCard {
    /// The wallet's next code after the last one used.
    fn next(&mut self, funding: u8) -> String {
        let (code, at) = next_code(&self.card, self.last, funding).expect("counter left");
        self.last = Some(at);
        code
    }
}

async fn new_card(client: &mut ApiClient) -> DemoCard {
    // Like the wallet page: a bare POST, no body and no content type.
    let reply = client
        .request(Method::POST, "/api/cards", None, "")
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    let card = Card::from_link(body["link"].as_str().unwrap()).unwrap();
    assert_eq!(u64::from(card.token), body["token"].as_u64().unwrap());
    let pin = body["pin"].as_str().unwrap().to_owned();
    assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()));
    DemoCard {
        card,
        pin,
        token: body["token"].as_u64().unwrap(),
        last: None,
    }
}

async fn charge(client: &mut ApiClient, code: &str, amount: Value) -> Reply {
    client
        .post_json(
            "/api/charge",
            &json!({ "code": code, "amount": amount, "merchant": "Corner Shop" }),
        )
        .await
        .unwrap()
}

async fn pin(client: &mut ApiClient, charge_id: &str, pin: &str) -> Reply {
    client
        .post_json(
            &format!("/api/charge/{charge_id}/pin"),
            &json!({ "pin": pin }),
        )
        .await
        .unwrap()
}

fn wrong(pin: &str) -> String {
    pin.bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
        .collect()
}

fn assert_refusal(reply: &Reply, status: u16, kind: &str) {
    let body = reply.json();
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(body["error"], kind, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_replay_allowance_pin_and_history() {
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    let mut card = new_card(&mut c).await;

    // First charge, paid from the debit card (funding index 1).
    let code = card.next(1);
    let reply = charge(&mut c, &code, json!("12.50")).await;
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["result"], "approved");
    assert_eq!(body["funding"]["label"], "ICBC ••1234");
    assert_eq!(body["funding"]["index"], 1);
    assert_eq!(body["amount"], "12.50");
    let first_id = body["charge_id"].as_str().unwrap().to_owned();
    assert!(first_id.starts_with("ch_"));

    // The same code again: a replay.
    let reply = charge(&mut c, &code, json!("12.50")).await;
    assert_refusal(&reply, 409, "replayed");
    assert_eq!(reply.json()["result"], "rejected");
    assert_eq!(reply.json()["reason"], "replayed");

    // Spaces as shown on screen, and a JSON number amount, read exactly.
    let spaced: String = card
        .next(0)
        .chars()
        .enumerate()
        .flat_map(|(i, ch)| (i > 0 && i % 4 == 0).then_some(' ').into_iter().chain([ch]))
        .collect();
    let reply = charge(&mut c, &spaced, json!(8.8)).await;
    assert_eq!(reply.json()["result"], "approved", "{}", reply.json());
    assert_eq!(reply.json()["amount"], "8.80");
    assert_eq!(reply.json()["funding"]["label"], "Balance");

    // Eight more: ten approvals without PIN today.
    for i in 0..8 {
        let code = card.next(0);
        let reply = charge(&mut c, &code, json!(format!("{}.00", i + 1))).await;
        assert_eq!(reply.json()["result"], "approved", "{}", reply.json());
    }
    // The eleventh needs the PIN.
    let code = card.next(0);
    let reply = charge(&mut c, &code, json!("20.00")).await;
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["result"], "pin_required");
    assert_eq!(body["reason"], "daily_count");
    let pending = body["charge_id"].as_str().unwrap().to_owned();

    // A malformed PIN is refused without counting; a wrong one counts.
    assert_refusal(&pin(&mut c, &pending, "12ab56").await, 422, "bad_pin");
    let reply = pin(&mut c, &pending, &wrong(&card.pin)).await;
    assert_refusal(&reply, 403, "wrong_pin");
    assert_eq!(reply.json()["result"], "rejected");
    assert_eq!(reply.json()["locked"], false);
    // The right PIN completes it, once.
    let reply = pin(&mut c, &pending, &card.pin).await;
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    assert_eq!(body["result"], "approved");
    assert_eq!(body["charge_id"], pending.as_str());
    assert_eq!(body["amount"], "20.00");
    assert_refusal(&pin(&mut c, &pending, &card.pin).await, 409, "not_pending");
    assert_refusal(&pin(&mut c, &first_id, &card.pin).await, 409, "not_pending");
    assert_refusal(
        &pin(&mut c, "ch_000000000000000000000000", &card.pin).await,
        404,
        "unknown_charge",
    );

    // Above 300.00 the amount alone asks for the PIN.
    let code = card.next(1);
    let reply = charge(&mut c, &code, json!("300.01")).await;
    assert_eq!(reply.json()["result"], "pin_required");
    assert_eq!(reply.json()["reason"], "amount_limit");

    // History: 12 recorded charges, newest first.
    let reply = c
        .get(&format!("/api/cards/{}/history?limit=100", card.token))
        .await
        .unwrap();
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}");
    let charges = body["charges"].as_array().unwrap();
    assert_eq!(charges.len(), 12, "{body}");
    let times: Vec<u64> = charges
        .iter()
        .map(|c| c["time"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(charges[0]["result"], "pin_required");
    assert_eq!(charges[0]["amount"], "300.01");
    assert_eq!(charges[0]["funding"]["label"], "ICBC ••1234");
    let by_id = |id: &str| charges.iter().find(|c| c["charge_id"] == id).unwrap();
    assert_eq!(by_id(&pending)["result"], "approved");
    assert_eq!(by_id(&pending)["pin"], true);
    assert_eq!(by_id(&first_id)["result"], "approved");
    assert_eq!(by_id(&first_id)["pin"], false);
    assert_eq!(by_id(&first_id)["amount"], "12.50");
    assert_eq!(by_id(&first_id)["merchant"], "Corner Shop");
    let approved = charges.iter().filter(|c| c["result"] == "approved").count();
    assert_eq!(approved, 11);

    let reply = c
        .get(&format!("/api/cards/{}/history?limit=5", card.token))
        .await
        .unwrap();
    assert_eq!(reply.json()["charges"].as_array().unwrap().len(), 5);
    let unknown = (card.token + 1) % (1 << 20);
    assert_refusal(
        &c.get(&format!("/api/cards/{unknown}/history"))
            .await
            .unwrap(),
        404,
        "unknown_card",
    );
    assert_refusal(
        &c.get(&format!("/api/cards/{}/history?limit=0", card.token))
            .await
            .unwrap(),
        422,
        "bad_limit",
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_lock_the_card() {
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    let mut card = new_card(&mut c).await;
    let code = card.next(0);
    let reply = charge(&mut c, &code, json!("999.00")).await;
    assert_eq!(reply.json()["reason"], "amount_limit");
    let pending = reply.json()["charge_id"].as_str().unwrap().to_owned();
    for i in 0..5 {
        let reply = pin(&mut c, &pending, &wrong(&card.pin)).await;
        assert_refusal(&reply, 403, "wrong_pin");
        assert_eq!(reply.json()["locked"], i == 4, "attempt {i}");
    }
    // Locked: even the right PIN and a fresh genuine code wait.
    let reply = pin(&mut c, &pending, &card.pin).await;
    assert_refusal(&reply, 429, "locked");
    assert!(reply.header("retry-after").is_some());
    let code = card.next(0);
    let reply = charge(&mut c, &code, json!("1.00")).await;
    assert_refusal(&reply, 429, "locked");
    assert_eq!(reply.json()["result"], "rejected");
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((800..=900).contains(&wait), "{wait}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_is_stored_only_as_a_salted_hash() {
    let (server, dir) = serve(RateLimit::OFF, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    let a = new_card(&mut c).await;
    let b = new_card(&mut c).await;
    server.shutdown().await.unwrap();

    let conn = rusqlite::Connection::open(dir.path().join("issuer.db")).unwrap();
    let rows: Vec<(Vec<u8>, Vec<u8>, u32)> = conn
        .prepare("SELECT salt, hash, rounds FROM card_pins")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].0, rows[1].0, "salts differ");
    assert!(rows.iter().all(|r| r.1.len() == 32 && r.2 >= 10_000));
    drop(conn);
    // Neither PIN appears anywhere in the database files.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for pin in [&a.pin, &b.pin] {
            assert!(!bytes.windows(6).any(|w| w == pin.as_bytes()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_connections_charging_one_code_approve_it_once() {
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
    let addr = server.addr();
    let mut setup = ApiClient::new(addr);
    for round in 0..4 {
        // A fresh card each round: the seven replays count as failures.
        let mut card = new_card(&mut setup).await;
        let code = card.next(0);
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (barrier, code) = (Arc::clone(&barrier), code.clone());
            tasks.push(tokio::spawn(async move {
                let mut client = ApiClient::new(addr);
                // Connect first so the eight requests leave together.
                client.get("/api/none").await.unwrap();
                barrier.wait().await;
                charge(&mut client, &code, json!("5.00")).await
            }));
        }
        let mut approved = 0;
        for t in tasks {
            let reply = t.await.unwrap();
            match reply.status {
                200 => {
                    assert_eq!(reply.json()["result"], "approved");
                    approved += 1;
                }
                // The fifth replay in a row locks the card.
                409 => assert_eq!(reply.json()["reason"], "replayed"),
                429 => assert_eq!(reply.json()["reason"], "locked"),
                other => panic!("round {round}: unexpected {other}: {}", reply.json()),
            }
        }
        assert_eq!(approved, 1, "round {round}");
    }
    server.shutdown().await.unwrap();
}

/// One malformed request of many kinds, chosen by `i` and `rng`.
fn malformed(i: usize, rng: &mut StdRng) -> (Method, String, Option<&'static str>, Vec<u8>) {
    let json_ct = Some("application/json");
    let charge = "/api/charge".to_owned();
    let text = |v: Value| v.to_string().into_bytes();
    match i % 10 {
        0 => {
            let n = rng.random_range(0..300);
            let bytes = (0..n).map(|_| rng.random::<u8>()).collect();
            (Method::POST, charge, json_ct, bytes)
        }
        1 => {
            let wrong_types = [
                json!({"code": 131234567890123456u64, "amount": "1.00"}),
                json!({"code": ["13"], "amount": "1.00"}),
                json!({"code": null, "amount": "1.00"}),
                json!({"code": "131234567890123456", "amount": {"yuan": 1}}),
                json!({"code": "131234567890123456", "amount": [1]}),
                json!({"code": "131234567890123456", "amount": "1", "merchant": 7}),
                json!([1, 2, 3]),
                json!("a string"),
                json!(42),
                json!(null),
            ];
            let v = wrong_types[rng.random_range(0..wrong_types.len())].clone();
            (Method::POST, charge, json_ct, text(v))
        }
        2 => {
            let missing = [
                json!({}),
                json!({"code": "131234567890123456"}),
                json!({"amount": "1.00"}),
                json!({"merchant": "x"}),
                json!({"Code": "131234567890123456", "Amount": "1"}),
            ];
            let v = missing[rng.random_range(0..missing.len())].clone();
            (Method::POST, charge, json_ct, text(v))
        }
        3 => {
            let n = rng.random_range(4097..=256 * 1024);
            let mut body = br#"{"code":"131234567890123456","amount":"1.00","merchant":""#.to_vec();
            body.resize(n, b'x');
            let path = if rng.random_bool(0.5) {
                charge
            } else {
                "/api/cards".into()
            };
            (Method::POST, path, json_ct, body)
        }
        4 => {
            let bad = [
                r#"{"code": "13", "amount": "1.00""#,
                r#"{"code": "13", "amount": "1.00",}"#,
                r#"{code: "13", amount: "1.00"}"#,
                r#"{'code': '13'}"#,
                r#"{"code": "13\"#,
                "{",
                "",
                "nul",
                r#"{"code": "\ud800", "amount": 1}"#,
            ];
            let b = bad[rng.random_range(0..bad.len())];
            let deep = "[".repeat(rng.random_range(200..2000));
            let body = if rng.random_bool(0.2) {
                deep
            } else {
                b.to_owned()
            };
            (Method::POST, charge, json_ct, body.into_bytes())
        }
        5 => {
            let amounts = [
                json!("-1"),
                json!("abc"),
                json!("1.234"),
                json!("0"),
                json!(""),
                json!(1e30),
                json!(-5),
                json!(0.001),
                json!(true),
                json!(null),
                json!("1e9"),
                json!(" 12"),
                json!("1,000"),
                json!("99999999999"),
            ];
            let a = amounts[rng.random_range(0..amounts.len())].clone();
            let v = json!({"code": "131234567890123456", "amount": a});
            (Method::POST, charge, json_ct, text(v))
        }
        6 => {
            let len = rng.random_range(0..40);
            let digits: String = (0..len)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect();
            let codes = [
                digits,
                "abc".into(),
                "".into(),
                "1".repeat(100),
                "281234567890123456".into(),
                "621234567890123456".into(),
                "13123456789012345x".into(),
                "１３１２３４５６７８９０１２３４５６".into(),
            ];
            let code = codes[rng.random_range(0..codes.len())].clone();
            let mut v = json!({"code": code, "amount": "1.00"});
            if rng.random_bool(0.3) {
                v["merchant"] = json!("\u{7}bell");
            }
            (Method::POST, charge, json_ct, text(v))
        }
        7 => {
            let types = [
                None,
                Some("text/plain"),
                Some("application/x-www-form-urlencoded"),
                Some("multipart/form-data"),
                Some("application/jsonx"),
            ];
            let ct = types[rng.random_range(0..types.len())];
            let v = json!({"code": "131234567890123456", "amount": "1.00"});
            (Method::POST, charge, ct, text(v))
        }
        8 => {
            let ids = [
                "ch_000000000000000000000000".to_owned(),
                "nope".into(),
                "ch_ZZZ".into(),
                "%00".into(),
                "ch_".to_owned() + &"f".repeat(200),
            ];
            let pins = [
                json!("12"),
                json!(123456),
                json!(null),
                json!("abcdef"),
                json!("1234567"),
                json!("123456"),
            ];
            let id = &ids[rng.random_range(0..ids.len())];
            let p = pins[rng.random_range(0..pins.len())].clone();
            let body = if rng.random_bool(0.2) {
                b"{".to_vec()
            } else {
                text(json!({ "pin": p }))
            };
            (Method::POST, format!("/api/charge/{id}/pin"), json_ct, body)
        }
        _ => {
            let requests = [
                (Method::GET, "/api/charge"),
                (Method::PUT, "/api/charge"),
                (Method::DELETE, "/api/cards"),
                (Method::GET, "/api/cards"),
                (Method::POST, "/api/nope"),
                (Method::GET, "/api"),
                (Method::GET, "/api/"),
                (Method::POST, "/api/"),
                (Method::GET, "/api/cards/xyz/history"),
                (Method::GET, "/api/cards/99999999999/history"),
                (Method::GET, "/api/cards/1048576/history"),
                (Method::GET, "/api/cards/1/history?limit=abc"),
                (Method::GET, "/api/cards/1/history?prefix=99"),
                (Method::POST, "/api/cards/1/history"),
                (Method::POST, "/index.html"),
                (Method::GET, "/no-such-file.html"),
            ];
            let (m, p) = requests[rng.random_range(0..requests.len())].clone();
            (m, p.to_owned(), json_ct, b"{}".to_vec())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_requests_each_get_a_4xx() {
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    // A real card, so that random codes sometimes hit a known token.
    let mut card = new_card(&mut c).await;
    let mut rng = StdRng::seed_from_u64(0x5eed_0006);
    let mut seen = std::collections::BTreeMap::<(u16, String), usize>::new();
    for i in 0..1000 {
        let (method, path, ct, body) = malformed(i, &mut rng);
        // The server answers an oversized body at once and then closes
        // that connection (it will not read the rest): send those on a
        // connection of their own.
        let mut own = ApiClient::new(server.addr());
        let client = if body.len() > 4096 { &mut own } else { &mut c };
        let reply = client
            .request(method.clone(), &path, ct, body.clone())
            .await
            .unwrap_or_else(|e| panic!("#{i} {method} {path}: no answer: {e}"));
        assert!(
            (400..500).contains(&reply.status),
            "#{i} {method} {path} {:?}: status {} {:?}",
            String::from_utf8_lossy(&body[..body.len().min(200)]),
            reply.status,
            reply.body
        );
        let kind = if path.starts_with("/api") {
            let v = reply.json();
            assert!(v["error"].is_string(), "#{i} {path}: {:?}", reply.body);
            assert!(v["message"].is_string(), "#{i} {path}: {:?}", reply.body);
            v["error"].as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        };
        *seen.entry((reply.status, kind)).or_insert(0) += 1;
    }
    // Every family of refusal was met.
    for status in [400, 404, 405, 413, 415, 422] {
        assert!(
            seen.keys().any(|(s, _)| *s == status),
            "no {status} in {seen:?}"
        );
    }
    assert!(
        seen.contains_key(&(400, "malformed_json".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains_key(&(422, "invalid_fields".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains_key(&(413, "body_too_large".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains_key(&(422, "amount_negative".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains_key(&(422, "unknown_prefix".into())),
        "{seen:?}"
    );

    // Still answering, and still right. (Random codes may have locked the
    // first card with bad MACs, so a new one.)
    let _ = card.next(0);
    let mut fresh = new_card(&mut c).await;
    let code = fresh.next(0);
    let reply = charge(&mut c, &code, json!("3.00")).await;
    assert_eq!(reply.json()["result"], "approved", "{}", reply.json());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_of_other_schemes_are_not_ours() {
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    for code in [
        "281234567890123456",
        "621234567890123456",
        "991234567890123456",
    ] {
        let reply = charge(&mut c, code, json!("1.00")).await;
        assert_refusal(&reply, 422, "unknown_prefix");
    }
    // Prefix 14 is this issuer's range but no card uses it.
    let reply = charge(&mut c, "141234567890123456", json!("1.00")).await;
    assert_eq!(reply.json()["reason"], "unknown_prefix");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_are_rate_limited_per_client() {
    let limit = RateLimit {
        per_second: 0.2,
        burst: 3,
    };
    let (server, _dir) = serve(limit, &repo_www()).await;
    let mut c = ApiClient::new(server.addr());
    for _ in 0..3 {
        let reply = charge(&mut c, "281234567890123456", json!("1.00")).await;
        assert_eq!(reply.status, 422);
    }
    let reply = charge(&mut c, "281234567890123456", json!("1.00")).await;
    assert_refusal(&reply, 429, "rate_limited");
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    // The PIN endpoint shares the bucket; other endpoints are not limited.
    let reply = pin(&mut c, "ch_000000000000000000000000", "123456").await;
    assert_refusal(&reply, 429, "rate_limited");
    let card = new_card(&mut c).await;
    let reply = c
        .get(&format!("/api/cards/{}/history", card.token))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    server.shutdown().await.unwrap();
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
    let (server, _dir) = serve(RateLimit::OFF, www.path()).await;
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
    let (server, _dir) = serve(RateLimit::OFF, &repo_www()).await;
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
