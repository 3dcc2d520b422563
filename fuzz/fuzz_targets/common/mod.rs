//! What the two API targets share: the server's set-up, how an input becomes
//! a request, and the oracles every answer must pass. `api` sends the
//! request over a loopback socket, `api_router` through the router in
//! process; each cargo-fuzz target is a binary of its own, so each includes
//! this file as its module `common`.
//!
//! Input layout: byte 0 picks the endpoint and body shape (signed `/v1/`
//! requests with fuzzed bodies, unsigned and garbage-signed ones, the
//! card-signed wallet routes, the demo routes), byte 1 the content type, the rest is the body (or
//! path and query). `api_router`
//! reads more values of both bytes than `api` (see [`Shapes`]); the values
//! they share mean the same request, so their seeds fit both.
//!
//! Oracles ([`check`]): no answer is a 500 (a handler panic is caught and
//! answered as 500, so this also catches panics); every answer is a JSON
//! object; every refusal has a plain-words message; no answer contains the
//! card's key, its channel key or the merchant's key; an unsigned `/v1/` request (the admin API's
//! included) never succeeds;
//! a payment is SUCCESS only for a code whose MAC is right for the card.

// Each target uses only part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::Method;
use paycode_issuer::lockout::LockoutPolicy;
use paycode_issuer::server::admin::AdminKey;
use paycode_issuer::server::{RateLimit, ServerConfig, BODY_LIMIT};
use paycode_issuer::signing::{authorization, card_authorization, CardSigner, RequestParts};
use paycode_wallet::core::activation::ActivationLink;
use paycode_wallet::core::channel::channel_key;
use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;
use serde_json::{json, Value};

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The server both targets run: demo routes on, lockout and rate limits
/// off, so guesses never stop reaching the payment service.
pub fn config(dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.join("fuzz.db"),
        dir.join("www"),
    );
    config.demo = true;
    config.merchant_rate = RateLimit::OFF;
    config.client_rate = RateLimit::OFF;
    config.payments.verifier.lockout = LockoutPolicy {
        max_failures: u32::MAX,
        cooldown_seconds: 0,
    };
    // An admin key nobody else has: every admin request of the input is
    // refused (the oracle: an unsigned /v1/ request never succeeds).
    let admin = dir.join("admin.key");
    let key = AdminKey::create(&admin)
        .or_else(|_| AdminKey::load(&admin))
        .expect("the fuzz admin key");
    config.admin_key = Some(std::sync::Arc::new(key));
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

/// The card every input is about, and the merchant whose till signs.
pub struct Subject {
    pub card: Card,
    pub merchant: String,
    key: Vec<u8>,
    /// The card's key for the wallet routes (derived from its secret).
    channel: Vec<u8>,
    /// Secrets as they must never appear: the card's key in base32 (both
    /// cases), its channel key and the merchant's key in hex.
    secrets: [String; 4],
}

impl Subject {
    /// Makes the card and the till through `post(path, json)`, which posts
    /// `json` as application/json (or, given none, an empty body without a
    /// type) and gives back the answer's body. The card comes as the wallet
    /// gets it: an activation link, redeemed.
    pub fn new(mut post: impl FnMut(&str, Option<&[u8]>) -> Vec<u8>) -> Subject {
        let created: Value = serde_json::from_slice(&post("/api/cards", None)).expect("card JSON");
        let activation = ActivationLink::parse(created["activation"].as_str().expect("activation"))
            .expect("activation link");
        let redeem = serde_json::json!({ "code": activation.code }).to_string();
        let redeemed: Value =
            serde_json::from_slice(&post("/v1/activations/redeem", Some(redeem.as_bytes())))
                .expect("redeemed JSON");
        let card = Card::from_link(redeemed["link"].as_str().expect("link")).expect("card link");
        let till: Value = serde_json::from_slice(&post("/api/demo/till", None)).expect("till JSON");
        let key_hex = till["key"].as_str().expect("key").to_owned();
        let b32 = card.secret.to_base32();
        let channel = channel_key(&card.secret).to_vec();
        Subject {
            secrets: [
                b32.to_lowercase(),
                b32,
                hex::encode(&channel),
                key_hex.clone(),
            ],
            channel,
            card,
            merchant: till["merchant"].as_str().expect("merchant").to_owned(),
            key: hex::decode(key_hex).expect("hex key"),
        }
    }

    /// The `Authorization` of a till's request signed now with a nonce
    /// never used.
    pub fn sign(&self, method: &Method, target: &str, body: &[u8]) -> String {
        let nonce = fresh_nonce();
        authorization(
            &self.key,
            &self.merchant,
            &parts(method, target, &nonce, body),
        )
    }

    /// The same for the card's own request to a wallet route.
    pub fn sign_card(&self, method: &Method, target: &str, body: &[u8]) -> String {
        let nonce = fresh_nonce();
        let card = CardSigner {
            prefix: self.card.layout.prefix,
            token: self.card.token,
        };
        card_authorization(&self.channel, card, &parts(method, target, &nonce, body))
    }
}

fn fresh_nonce() -> String {
    static NONCES: AtomicU64 = AtomicU64::new(0);
    format!("fuzz-{:016}", NONCES.fetch_add(1, Ordering::Relaxed))
}

fn parts<'a>(
    method: &'a Method,
    target: &'a str,
    nonce: &'a str,
    body: &'a [u8],
) -> RequestParts<'a> {
    RequestParts {
        method: method.as_str(),
        path_and_query: target,
        ts: now(),
        nonce,
        body,
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
    /// Byte 0 may also give a payment body over the limit.
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
    /// The `Authorization` value sent, if any.
    pub authorization: Option<String>,
    /// Correctly signed: the request reaches its handler.
    pub signed: bool,
    /// Whether the endpoint reads a JSON body (payments and refunds).
    pub json_endpoint: bool,
}

/// The request byte 0 picks, built from the rest of the input.
pub fn case(subject: &Subject, shapes: Shapes, selector: u8, rest: &[u8]) -> Case {
    let signed = |method: Method, path: String, body: Vec<u8>, json_endpoint: bool| Case {
        authorization: Some(subject.sign(&method, &path, &body)),
        method,
        path,
        body,
        signed: true,
        json_endpoint,
    };
    let choices = if shapes.over_limit { 8 } else { 7 };
    match selector % choices {
        // Raw bytes as a payment body: signed (the JSON handler reads
        // them) and unsigned (refused before).
        0 => signed(Method::POST, "/v1/payments".into(), rest.to_vec(), true),
        1 => Case {
            method: Method::POST,
            path: "/v1/payments".into(),
            body: rest.to_vec(),
            authorization: rest
                .split_first()
                .map(|(_, r)| String::from_utf8_lossy(r).into_owned()),
            signed: false,
            json_endpoint: false,
        },
        // A well-formed payment of a genuine code, edited by the input.
        2 => signed(
            Method::POST,
            "/v1/payments".into(),
            genuine_payment(&subject.card, rest),
            true,
        ),
        // Raw bytes as a refund body.
        3 => signed(Method::POST, "/v1/refunds".into(), rest.to_vec(), true),
        // Query or reverse of any out_trade_no (the path as the input
        // spells it, encoded), with any body.
        4 => {
            let cut = rest.iter().position(|b| *b == b'/').unwrap_or(rest.len());
            let no = encoded(&rest[..cut]);
            let body = rest.get(cut + 1..).unwrap_or_default().to_vec();
            if rest.first().is_some_and(|b| b & 1 == 1) {
                signed(
                    Method::POST,
                    format!("/v1/payments/{no}/reverse"),
                    body,
                    false,
                )
            } else {
                signed(Method::GET, format!("/v1/payments/{no}"), Vec::new(), false)
            }
        }
        // The card-signed wallet routes.
        5 => wallet_case(subject, rest),
        // The demo routes with any body, unknown paths and methods, and
        // the admin API with any body and the input as its signature.
        6 => {
            let pick = rest.first().copied().unwrap_or(0);
            let (method, path) = match pick % 6 {
                0 => (Method::POST, "/api/demo/till".to_owned()),
                1 => (Method::POST, "/api/cards".to_owned()),
                2 => (Method::PUT, format!("/v1/{}", encoded(rest))),
                3 => (Method::PUT, format!("/api/{}", encoded(rest))),
                4 => (Method::POST, "/v1/admin/cards/revoke".to_owned()),
                _ => (Method::POST, "/v1/activations/redeem".to_owned()),
            };
            let body = rest.get(1..).unwrap_or_default().to_vec();
            let authorization = (pick % 5 == 4).then(|| {
                format!("PAYCODE-ADMIN {}", String::from_utf8_lossy(&body))
            });
            Case {
                method,
                path,
                body,
                authorization,
                signed: false,
                json_endpoint: false,
            }
        }
        // A payment body over the limit: the input padded with spaces
        // (still JSON if the input is).
        _ => {
            let mut body = rest.to_vec();
            let over = BODY_LIMIT + 1 + usize::from(rest.first().copied().unwrap_or(0));
            body.resize(over.max(body.len()), b' ');
            signed(Method::POST, "/v1/payments".into(), body, true)
        }
    }
}

/// A wallet route picked by the first byte: history with any query, the
/// payer's PIN, a confirm or decline of any payment id, the funding order
/// (set or read), each with any body;
/// signed with the card's channel key, or (high bit set) carrying the
/// input as its signature. The event stream is sent only unsigned: signed,
/// it is an answer that never ends. Their bodies are not held to the
/// decoding oracle of the merchant API's JSON endpoints.
fn wallet_case(subject: &Subject, rest: &[u8]) -> Case {
    let pick = rest.first().copied().unwrap_or(0);
    let rest = rest.get(1..).unwrap_or_default();
    let cut = rest.iter().position(|b| *b == b'/').unwrap_or(rest.len());
    let head = encoded(&rest[..cut]);
    let tail = rest.get(cut + 1..).unwrap_or_default().to_vec();
    let (method, path, body) = match pick % 7 {
        0 => (
            Method::GET,
            format!("/v1/wallet/history?{head}"),
            Vec::new(),
        ),
        1 => (Method::POST, "/v1/wallet/pin".to_owned(), rest.to_vec()),
        2 => (
            Method::POST,
            format!("/v1/wallet/payments/{head}/confirm"),
            tail,
        ),
        3 => (
            Method::POST,
            format!("/v1/wallet/payments/{head}/decline"),
            tail,
        ),
        4 => (
            Method::PUT,
            "/v1/wallet/funding-order".to_owned(),
            rest.to_vec(),
        ),
        5 => (Method::GET, "/v1/wallet/funding-order".to_owned(), Vec::new()),
        _ => (Method::GET, "/v1/wallet/events".to_owned(), Vec::new()),
    };
    let signed = pick & 0x80 == 0 && pick % 7 != 6;
    let authorization = if signed {
        subject.sign_card(&method, &path, &body)
    } else {
        format!("PAYCODE-CARD {}", String::from_utf8_lossy(rest))
    };
    Case {
        method,
        path,
        body,
        authorization: Some(authorization),
        signed,
        json_endpoint: false,
    }
}

/// A payment of a code the card made up to 255 s ago, a digit perhaps
/// changed, with an amount of any text or JSON value, under an
/// out_trade_no from the input.
fn genuine_payment(card: &Card, rest: &[u8]) -> Vec<u8> {
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
    let amount = String::from_utf8_lossy(rest.get(7..).unwrap_or_default()).into_owned();
    let amount = match get(3) >> 1 & 3 {
        0 => json!(amount),
        1 => serde_json::from_str::<Value>(&amount).unwrap_or(Value::Null),
        2 => json!(format!("{}.{:02}", get(6), get(7) % 100)),
        _ => json!("1.00"),
    };
    json!({
        "out_trade_no": format!("F{}-{}", now(), get(6)),
        "auth_code": code,
        "amount": amount,
        "currency": if get(3) & 8 == 0 { "CNY" } else { "USD" },
    })
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
        subject.secrets.iter().all(|k| !text.contains(k.as_str())),
        "a key in the answer"
    );
    if status >= 400 {
        // `/v1/` refusals are {"error": {"code", "message"}}, `/api/` ones
        // {"error": KIND, "message"}.
        let message = v["error"]["message"].as_str().or(v["message"].as_str());
        assert!(
            message.is_some_and(|m| !m.is_empty()),
            "{path}: refusal without a message: {text}"
        );
    }
    if path.starts_with("/v1/") && !case.signed {
        assert!(
            status >= 400,
            "{path}: unsigned but answered {status} {text}"
        );
    }
    if path == "/v1/payments" && v["status"] == "SUCCESS" {
        let sent: Value = serde_json::from_slice(&case.body).expect("a paid body is JSON");
        let code = sent["auth_code"].as_str().expect("a paid code is a string");
        let parsed = ParsedCode::parse(code).expect("a paid code parses");
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
        assert!(genuine, "paid a code whose MAC is wrong: {code}");
    }
    v
}
