//! The demo server's HTTP API (`paycode serve`) with arbitrary request
//! bodies, content types and paths: JSON decoding, the handlers, the
//! verifier and the SQLite writer, through a real loopback socket and the
//! public `start` function, so the server's code is fuzzed as it runs.
//!
//! Oracles: no answer is a 500 (a handler panic is caught and answered as
//! 500, so this also catches panics); every answer is a JSON object with a
//! plain-words message or a result; no answer contains the card's key; a
//! charge is approved only for a code whose MAC is right for the card.
//!
//! One server (lockout and rate limit off, so guesses never stop reaching
//! the verifier) serves every input; its database lives in a temporary
//! folder. Input layout: byte 0 picks the endpoint and body shape, byte 1
//! the content type, the rest is the body (or path and query).

#![no_main]

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use paycode_issuer::lockout::LockoutPolicy;
use paycode_issuer::server::client::{ApiClient, Reply};
use paycode_issuer::server::{start, RateLimit, RunningServer, ServerConfig};
use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: ApiClient,
    card: Card,
    /// A charge waiting for the PIN, for the PIN endpoint.
    pending: String,
    _server: RunningServer,
    _dir: std::path::PathBuf,
}

static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn fixture() -> &'static Mutex<Fixture> {
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("paycode-fuzz-api-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("www")).expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = ServerConfig::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            dir.join("fuzz.db"),
            dir.join("www"),
        );
        config.charge_rate = RateLimit::OFF;
        config.verifier.lockout = LockoutPolicy {
            max_failures: u32::MAX,
            cooldown_seconds: 0,
        };
        let server = runtime.block_on(start(config)).expect("server starts");
        let mut client = ApiClient::new(server.addr());
        let created = runtime
            .block_on(client.request(hyper::Method::POST, "/api/cards", None, Vec::new()))
            .expect("card")
            .json();
        let card = Card::from_link(created["link"].as_str().expect("link")).expect("card link");
        let code = card.code_at(now(), 0, 0).expect("code").to_string();
        let body = json!({ "code": code, "amount": "999.00" }).to_string();
        let reply = runtime
            .block_on(client.request(
                hyper::Method::POST,
                "/api/charge",
                Some("application/json"),
                body,
            ))
            .expect("charge");
        let pending = reply.json()["charge_id"]
            .as_str()
            .unwrap_or("ch_")
            .to_owned();
        Mutex::new(Fixture {
            runtime,
            client,
            card,
            pending,
            _server: server,
            _dir: dir,
        })
    })
}

fn encoded(bytes: &[u8]) -> String {
    form_urlencoded::byte_serialize(bytes).collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut guard = fixture().lock().unwrap_or_else(|e| e.into_inner());
    let fx = &mut *guard;
    let content_type = match data[1] % 5 {
        0 | 1 => Some("application/json"),
        2 => Some("application/json; charset=utf-8"),
        3 => Some("text/plain"),
        _ => None,
    };
    let rest = &data[2..];
    let (method, path, body): (hyper::Method, String, Vec<u8>) = match data[0] % 6 {
        // Raw bytes as the charge body.
        0 | 1 => (hyper::Method::POST, "/api/charge".into(), rest.to_vec()),
        // A well-formed body around a genuine code, edited by the input.
        2 => {
            let get = |i: usize| rest.get(i).copied().unwrap_or(0);
            let made = now().saturating_sub(u64::from(get(0)));
            let mut code = fx
                .card
                .code_at(made, get(1) % 16, get(2) % 2)
                .map(|c| c.to_string())
                .unwrap_or_default();
            if get(3) & 1 == 1 && !code.is_empty() {
                let at = usize::from(get(4)) % code.len();
                code.replace_range(at..=at, &(get(5) % 10).to_string());
            }
            let amount = String::from_utf8_lossy(rest.get(6..).unwrap_or_default()).into_owned();
            let amount = match get(3) >> 1 & 3 {
                0 => json!(amount),
                1 => serde_json::from_str::<Value>(&amount).unwrap_or(Value::Null),
                2 => json!(f64::from(get(6)) / 100.0),
                _ => json!("1.00"),
            };
            let body = json!({ "code": code, "amount": amount, "merchant": "fuzz" });
            (
                hyper::Method::POST,
                "/api/charge".into(),
                body.to_string().into_bytes(),
            )
        }
        // The PIN endpoint, for the pending charge or an arbitrary id.
        3 => {
            let (id, body) = match rest.split_first() {
                Some((0, body)) => (fx.pending.clone(), body.to_vec()),
                Some((n, body)) => {
                    let cut = usize::from(*n).min(body.len());
                    (encoded(&body[..cut]), body[cut..].to_vec())
                }
                None => (fx.pending.clone(), Vec::new()),
            };
            (hyper::Method::POST, format!("/api/charge/{id}/pin"), body)
        }
        // History with an arbitrary token and query.
        4 => {
            let cut = rest.iter().position(|b| *b == b'?').unwrap_or(rest.len());
            let token = encoded(&rest[..cut]);
            let query = rest.get(cut + 1..).map(encoded).unwrap_or_default();
            (
                hyper::Method::GET,
                format!("/api/cards/{token}/history?{query}"),
                Vec::new(),
            )
        }
        // Unknown API paths and methods.
        _ => (
            hyper::Method::PUT,
            format!("/api/{}", encoded(rest)),
            rest.to_vec(),
        ),
    };
    let Ok(reply) =
        fx.runtime
            .block_on(fx.client.request(method, &path, content_type, body.clone()))
    else {
        // The client refused to build the request (not a server answer).
        return;
    };
    check(fx, &path, &body, &reply);
});

fn check(fx: &Fixture, path: &str, body: &[u8], reply: &Reply) {
    let text = String::from_utf8_lossy(&reply.body);
    assert_ne!(
        reply.status,
        500,
        "{path} {:?}: 500 {text}",
        String::from_utf8_lossy(body)
    );
    assert!(reply.status < 600);
    let v: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{path}: answer is not JSON ({e}): {text}"));
    assert!(v.is_object(), "{path}: {text}");
    let b32 = fx.card.secret.to_base32();
    assert!(
        !text.contains(&b32) && !text.contains(&b32.to_lowercase()),
        "key in answer"
    );
    if reply.status >= 400 {
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}: refusal without a message: {text}"
        );
    }
    if path == "/api/charge" && v["result"] == "approved" {
        let sent: Value = serde_json::from_slice(body).expect("an approved body is JSON");
        let code = sent["code"].as_str().expect("an approved code is a string");
        let parsed = ParsedCode::parse(code).expect("an approved code parses");
        let step = fx.card.step_at(now());
        let genuine = [
            step.saturating_sub(1),
            step,
            step + 1,
            step.saturating_sub(2),
        ]
        .iter()
        .any(|s| parsed.mac_matches(fx.card.secret.as_bytes(), *s));
        assert!(genuine, "approved a code whose MAC is wrong: {code}");
    }
}
