//! The demo server's API in process: any body, content type, charge id,
//! history token and query, unknown paths, bodies over the size limit, and
//! well-formed charges of genuine codes with edits and odd amounts, sent
//! through the server's real axum router (`server::in_process`, feature
//! `fuzzing`) with `tower::ServiceExt::oneshot`. Routing, the body limit,
//! the content-type check, the JSON extractors, the handlers' checks of the
//! decoded fields, the verifier and the SQLite writer all run as they do in
//! `paycode serve`; only the socket and HTTP/1 framing are left out (the
//! `api` target keeps those), which makes this target fast enough for
//! millions of executions.
//!
//! Oracles, as in `api`: no answer is a 500 (the router's panic guard turns
//! a handler panic into one, and a panic outside it aborts the run); every
//! answer is a JSON object; every refusal has a message; no answer contains
//! the card's key; a charge is approved only for a code whose MAC is right.
//! And for the decoding itself: a JSON endpoint answers a body that is not
//! `application/json` with 415, a body over the limit with 413, and a body
//! that is not JSON with 400 `malformed_json` (or 422 `invalid_fields`).
//!
//! One server (lockout and rate limit off, so guesses never stop reaching
//! the verifier) serves every input; its database lives in /dev/shm when
//! there is one. Input layout: byte 0 picks the endpoint and body shape,
//! byte 1 the content type, the rest is the body (or path and query); the
//! same layout as `api`, so their seeds fit both.

#![no_main]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, Method, Request};
use libfuzzer_sys::fuzz_target;
use paycode_issuer::lockout::LockoutPolicy;
use paycode_issuer::server::{in_process, InProcessServer, RateLimit, ServerConfig, BODY_LIMIT};
use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;
use serde::de::IgnoredAny;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: InProcessServer,
    card: Card,
    /// The card's key in base32, both cases, as it must never appear.
    key_text: [String; 2],
    /// A charge waiting for the PIN, for the PIN endpoint.
    pending: String,
    _dir: PathBuf,
}

static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An answer: status and the whole body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

fn send(
    fx_runtime: &tokio::runtime::Runtime,
    server: &InProcessServer,
    request: Request<Body>,
) -> Answer {
    fx_runtime.block_on(async {
        let response = match server.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("an answer's body is readable");
        Answer {
            status,
            body: body.to_vec(),
        }
    })
}

fn post_json(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request")
}

fn fixture() -> &'static Mutex<Fixture> {
    FIXTURE.get_or_init(|| {
        // tmpfs when there is one: the store commits with synchronous=FULL.
        let base = ["/dev/shm"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        remove_stale_dirs(&base);
        let dir = base.join(format!("{DIR_PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(dir.join("www")).expect("temp dir");
        let runtime = tokio::runtime::Builder::new_current_thread()
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
        let server = runtime.block_on(in_process(&config)).expect("server");
        let created = send(
            &runtime,
            &server,
            Request::post("/api/cards")
                .body(Body::empty())
                .expect("request"),
        );
        let created: Value = serde_json::from_slice(&created.body).expect("card JSON");
        let card = Card::from_link(created["link"].as_str().expect("link")).expect("card link");
        let code = card.code_at(now(), 0, 0).expect("code").to_string();
        let reply = send(
            &runtime,
            &server,
            post_json(
                "/api/charge",
                json!({ "code": code, "amount": "999.00" }).to_string(),
            ),
        );
        let pending = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["charge_id"].as_str().map(str::to_owned))
            .expect("a large charge waits for the PIN");
        let b32 = card.secret.to_base32();
        Mutex::new(Fixture {
            runtime,
            server,
            key_text: [b32.to_lowercase(), b32],
            card,
            pending,
            _dir: dir,
        })
    })
}

const DIR_PREFIX: &str = "paycode-fuzz-api-router-";

/// libFuzzer ends with `exit`, which runs no destructors: each run's folder
/// stays behind. Those of runs that have ended (no such process) go here.
fn remove_stale_dirs(base: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn encoded(bytes: &[u8]) -> String {
    form_urlencoded::byte_serialize(bytes).collect()
}

/// Which content type the request carries.
enum ContentType {
    Json(&'static str),
    Other(Vec<u8>),
    None,
}

/// The request an input stands for, and what the oracle needs to know.
struct Case {
    method: Method,
    path: String,
    body: Vec<u8>,
    /// Whether the endpoint reads a JSON body (charge and PIN).
    json_endpoint: bool,
}

fn content_type(selector: u8, rest: &[u8]) -> (ContentType, &[u8]) {
    match selector % 8 {
        0 | 1 => (ContentType::Json("application/json"), rest),
        2 => (ContentType::Json("application/json; charset=utf-8"), rest),
        3 => (ContentType::Other(b"text/plain".to_vec()), rest),
        4 => (ContentType::None, rest),
        // Any header text, up to the first newline of the input.
        _ => {
            let cut = rest.iter().position(|b| *b == b'\n').unwrap_or(0);
            let (value, body) = rest.split_at(cut);
            (
                ContentType::Other(value.to_vec()),
                body.get(1..).unwrap_or_default(),
            )
        }
    }
}

fn case(fx: &Fixture, selector: u8, rest: &[u8]) -> Case {
    let post = |path: &str, body: Vec<u8>| Case {
        method: Method::POST,
        path: path.to_owned(),
        body,
        json_endpoint: true,
    };
    match selector % 7 {
        // Raw bytes as the charge body.
        0 | 1 => post("/api/charge", rest.to_vec()),
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
            post("/api/charge", body.to_string().into_bytes())
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
            post(&format!("/api/charge/{id}/pin"), body)
        }
        // History with an arbitrary token and query.
        4 => {
            let cut = rest.iter().position(|b| *b == b'?').unwrap_or(rest.len());
            let token = encoded(&rest[..cut]);
            let query = rest.get(cut + 1..).map(encoded).unwrap_or_default();
            Case {
                method: Method::GET,
                path: format!("/api/cards/{token}/history?{query}"),
                body: Vec::new(),
                json_endpoint: false,
            }
        }
        // Unknown API paths and methods.
        5 => Case {
            method: Method::PUT,
            path: format!("/api/{}", encoded(rest)),
            body: rest.to_vec(),
            json_endpoint: false,
        },
        // A charge body over the limit: the input padded with spaces
        // (still JSON if the input is).
        _ => {
            let mut body = rest.to_vec();
            let over = BODY_LIMIT + 1 + usize::from(rest.first().copied().unwrap_or(0));
            body.resize(over.max(body.len()), b' ');
            post("/api/charge", body)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let guard = fixture().lock().unwrap_or_else(|e| e.into_inner());
    let fx = &*guard;
    let (content_type, rest) = content_type(data[1], &data[2..]);
    let case = case(fx, data[0], rest);
    let mut request = Request::builder()
        .method(case.method.clone())
        .uri(&case.path);
    match &content_type {
        ContentType::Json(v) => request = request.header(header::CONTENT_TYPE, *v),
        ContentType::Other(v) => request = request.header(header::CONTENT_TYPE, v.as_slice()),
        ContentType::None => {}
    }
    // A path or header value HTTP cannot carry: not a request.
    let Ok(request) = request.body(Body::from(case.body.clone())) else {
        return;
    };
    let answer = send(&fx.runtime, &fx.server, request);
    check(fx, &case, &content_type, &answer);
});

fn check(fx: &Fixture, case: &Case, content_type: &ContentType, answer: &Answer) {
    let path = &case.path;
    let text = String::from_utf8_lossy(&answer.body);
    let sent = String::from_utf8_lossy(&case.body);
    assert_ne!(answer.status, 500, "{path} {sent:?}: 500 {text}");
    let v: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("{path}: answer is not JSON ({e}): {text}"));
    assert!(v.is_object(), "{path}: {text}");
    assert!(
        fx.key_text.iter().all(|k| !text.contains(k.as_str())),
        "key in answer"
    );
    if answer.status >= 400 {
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}: refusal without a message: {text}"
        );
    }
    // The routes of JSON endpoints are fixed above, except a PIN request
    // whose id holds a `/` or is empty: that route does not exist (404).
    if case.json_endpoint && answer.status != 404 {
        let is_json = matches!(content_type, ContentType::Json(_))
            || matches!(content_type, ContentType::Other(v)
                if is_json_essence(v));
        if !is_json {
            assert_eq!(answer.status, 415, "{path}: not JSON, answered {text}");
        } else if case.body.len() > BODY_LIMIT {
            assert_eq!(
                answer.status, 413,
                "{path}: over the limit, answered {text}"
            );
        } else if serde_json::from_slice::<IgnoredAny>(&case.body).is_err() {
            // Not JSON: 400, or 422 when serde meets a value of the wrong
            // type before the syntax error (`5 x` for an object).
            let kind = (answer.status, v["error"].as_str().unwrap_or_default());
            assert!(
                matches!(kind, (400, "malformed_json") | (422, "invalid_fields")),
                "{path}: {sent:?} is not JSON, answered {text}"
            );
        }
    }
    if path == "/api/charge" && v["result"] == "approved" {
        let sent: Value = serde_json::from_slice(&case.body).expect("an approved body is JSON");
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

/// `application/json` with any parameters and any case, whitespace around
/// the type allowed — written out here rather than taken from the server,
/// so that the server's reading is checked against it.
fn is_json_essence(value: &[u8]) -> bool {
    // Header text the server can read: visible ASCII, spaces and tabs.
    if !value
        .iter()
        .all(|b| *b == b'\t' || (0x20..0x7f).contains(b))
    {
        return false;
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or_default();
    essence
        .trim_matches(|c: char| c == ' ' || c == '\t')
        .eq_ignore_ascii_case("application/json")
}
