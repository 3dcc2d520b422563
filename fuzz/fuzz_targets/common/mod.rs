//! What the two API targets share: the server's set-up, how an input becomes
//! a request, and the oracles every answer must pass. `api` sends the
//! request over a loopback socket, `api_router` through the router in
//! process; each cargo-fuzz target is a binary of its own, so each includes
//! this file as its module `common`.
//!
//! Input layout: byte 0 picks the endpoint and body shape, byte 1 the
//! content type, the rest is the body (or path and query). `api_router`
//! reads more values of both bytes than `api` (see [`Shapes`]); the values
//! they share mean the same request, so their seeds fit both.
//!
//! Oracles ([`check`]): no answer is a 500 (a handler panic is caught and
//! answered as 500, so this also catches panics); every answer is a JSON
//! object; every refusal has a plain-words message; no answer contains the
//! card's key; a charge is approved only for a code whose MAC is right for
//! the card.

// Each target uses only part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::Method;
use paycode_issuer::lockout::LockoutPolicy;
use paycode_issuer::server::{RateLimit, ServerConfig, BODY_LIMIT};
use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The server both targets run: lockout and rate limit off, so guesses
/// never stop reaching the verifier.
pub fn config(dir: &Path) -> ServerConfig {
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
    config
}

/// A fresh folder for the database (and an empty `www`), named `prefix` and
/// the process id; on tmpfs when there is one, as the store commits with
/// synchronous=FULL.
pub fn work_dir(prefix: &str) -> PathBuf {
    let base = [Path::new("/dev/shm")]
        .iter()
        .map(|p| p.to_path_buf())
        .find(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    remove_stale_dirs(&base, prefix);
    let dir = base.join(format!("{prefix}{}", std::process::id()));
    std::fs::create_dir_all(dir.join("www")).expect("temp dir");
    dir
}

/// libFuzzer ends with `exit`, which runs no destructors: each run's folder
/// stays behind. Those of runs that have ended (no such process) go here.
fn remove_stale_dirs(base: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The card every input is about, and a charge of it waiting for the PIN.
pub struct Subject {
    pub card: Card,
    /// The card's key in base32, both cases, as it must never appear.
    key_text: [String; 2],
    /// A charge waiting for the PIN, for the PIN endpoint.
    pub pending: String,
}

impl Subject {
    /// Makes the card and the pending charge through `post(path, json)`,
    /// which posts `json` as `application/json` (or, for `None`, an empty
    /// body without a type) and gives back the answer's body.
    pub fn new(mut post: impl FnMut(&str, Option<String>) -> Vec<u8>) -> Subject {
        let created: Value = serde_json::from_slice(&post("/api/cards", None)).expect("card JSON");
        let card = Card::from_link(created["link"].as_str().expect("link")).expect("card link");
        let code = card.code_at(now(), 0, 0).expect("code").to_string();
        let body = json!({ "code": code, "amount": "999.00" }).to_string();
        let pending = serde_json::from_slice::<Value>(&post("/api/charge", Some(body)))
            .ok()
            .and_then(|v| v["charge_id"].as_str().map(str::to_owned))
            .expect("a large charge waits for the PIN");
        let b32 = card.secret.to_base32();
        Subject {
            key_text: [b32.to_lowercase(), b32],
            card,
            pending,
        }
    }
}

pub fn encoded(bytes: &[u8]) -> String {
    form_urlencoded::byte_serialize(bytes).collect()
}

/// Which inputs a target reads beyond those both read. Over a socket the
/// client sends only content types it knows as text, and a body over the
/// limit would cost a connection each (the server stops reading and
/// closes it); in process both are cheap.
#[derive(Clone, Copy)]
pub struct Shapes {
    /// Byte 1 may also give any header text, up to the input's first
    /// newline.
    pub any_content_type: bool,
    /// Byte 0 may also give a charge body over the limit.
    pub over_limit: bool,
}

impl Shapes {
    pub const SOCKET: Shapes = Shapes {
        any_content_type: false,
        over_limit: false,
    };
    pub const ROUTER: Shapes = Shapes {
        any_content_type: true,
        over_limit: true,
    };
}

/// Which content type the request carries.
pub enum ContentType {
    Json(&'static str),
    Other(Vec<u8>),
    None,
}

/// The content type byte 1 picks, and the rest of the input after any
/// header text taken from it.
pub fn content_type(shapes: Shapes, selector: u8, rest: &[u8]) -> (ContentType, &[u8]) {
    let choices = if shapes.any_content_type { 8 } else { 5 };
    match selector % choices {
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

/// The request an input stands for, and what the oracles need to know.
pub struct Case {
    pub method: Method,
    pub path: String,
    pub body: Vec<u8>,
    /// Whether the endpoint reads a JSON body (charge and PIN).
    pub json_endpoint: bool,
}

/// The request byte 0 picks, built from the rest of the input.
pub fn case(subject: &Subject, shapes: Shapes, selector: u8, rest: &[u8]) -> Case {
    let post = |path: &str, body: Vec<u8>| Case {
        method: Method::POST,
        path: path.to_owned(),
        body,
        json_endpoint: true,
    };
    let choices = if shapes.over_limit { 7 } else { 6 };
    match selector % choices {
        // Raw bytes as the charge body.
        0 | 1 => post("/api/charge", rest.to_vec()),
        // A well-formed body around a genuine code, edited by the input.
        2 => post("/api/charge", genuine_charge(&subject.card, rest)),
        // The PIN endpoint, for the pending charge or an arbitrary id.
        3 => {
            let (id, body) = match rest.split_first() {
                Some((0, body)) => (subject.pending.clone(), body.to_vec()),
                Some((n, body)) => {
                    let cut = usize::from(*n).min(body.len());
                    (encoded(&body[..cut]), body[cut..].to_vec())
                }
                None => (subject.pending.clone(), Vec::new()),
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

/// A charge of a code the card made up to 255 s ago, a digit perhaps
/// changed, with an amount of any text, JSON value or number.
fn genuine_charge(card: &Card, rest: &[u8]) -> Vec<u8> {
    let get = |i: usize| rest.get(i).copied().unwrap_or(0);
    let made = now().saturating_sub(u64::from(get(0)));
    let mut code = card
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
    json!({ "code": code, "amount": amount, "merchant": "fuzz" })
        .to_string()
        .into_bytes()
}

/// The oracles every answer must pass (see the module's head); gives back
/// the answer as JSON for a target's own oracles.
pub fn check(subject: &Subject, case: &Case, status: u16, answer: &[u8]) -> Value {
    let path = &case.path;
    let text = String::from_utf8_lossy(answer);
    let sent = String::from_utf8_lossy(&case.body);
    assert_ne!(status, 500, "{path} {sent:?}: 500 {text}");
    let v: Value = serde_json::from_slice(answer)
        .unwrap_or_else(|e| panic!("{path}: answer is not JSON ({e}): {text}"));
    assert!(v.is_object(), "{path}: {text}");
    assert!(
        subject.key_text.iter().all(|k| !text.contains(k.as_str())),
        "key in answer"
    );
    if status >= 400 {
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}: refusal without a message: {text}"
        );
    }
    if path == "/api/charge" && v["result"] == "approved" {
        let sent: Value = serde_json::from_slice(&case.body).expect("an approved body is JSON");
        let code = sent["code"].as_str().expect("an approved code is a string");
        let parsed = ParsedCode::parse(code).expect("an approved code parses");
        let card = &subject.card;
        let step = card.step_at(now());
        let genuine = [
            step.saturating_sub(1),
            step,
            step + 1,
            step.saturating_sub(2),
        ]
        .iter()
        .any(|s| parsed.mac_matches(card.secret.as_bytes(), *s));
        assert!(genuine, "approved a code whose MAC is wrong: {code}");
    }
    v
}
