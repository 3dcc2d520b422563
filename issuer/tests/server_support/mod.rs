//! Shared by the server tests: a server on 127.0.0.1:0, demo cards and
//! tills from its demo routes, and signed requests (`signing::authorization`).
#![allow(dead_code)] // Each test file uses its own part.

pub mod api_client;
pub mod wallet_codes;

pub use api_client::{ApiClient, ClientError, Reply};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::Method;
use paycode_issuer::server::{start, RateLimit, RunningServer, ServerConfig};
use paycode_issuer::signing::{authorization, card_authorization, CardSigner, RequestParts};
use paycode_wallet::core::channel::channel_key;
use paycode_wallet::core::link::Card;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};
use tempfile::TempDir;
use wallet_codes::next_code;

pub fn repo_www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../www")
}

/// A demo server without rate limits, on a fresh database.
pub fn config(dir: &TempDir) -> ServerConfig {
    let mut config = ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path().join("issuer.db"),
        repo_www(),
    );
    config.demo = true;
    config.merchant_rate = RateLimit::OFF;
    config.client_rate = RateLimit::OFF;
    config
}

pub async fn serve_with(config: ServerConfig) -> RunningServer {
    let server = start(config).await.unwrap();
    assert!(server.addr().ip().is_loopback());
    server
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn nonce() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

pub struct DemoCard {
    pub card: Card,
    pub token: u64,
    pub prefix: u64,
    /// The newest (step, counter) used.
    pub last: Option<(u64, u8)>,
}

impl DemoCard {
    /// The wallet's next code after the last one used.
    pub fn next(&mut self, funding: u8) -> String {
        let (code, at) = next_code(&self.card, self.last, funding).expect("counter left");
        self.last = Some(at);
        code
    }
}

/// The `PAYCODE-CARD` authorization of one request by `card`, signed now
/// with its channel key and a fresh nonce.
pub fn card_signed(card: &Card, method: &str, target: &str, body: &[u8]) -> String {
    let me = CardSigner {
        prefix: card.layout.prefix,
        token: card.token,
    };
    let parts = RequestParts {
        method,
        path_and_query: target,
        ts: now(),
        nonce: &nonce(),
        body,
    };
    card_authorization(&channel_key(&card.secret)[..], me, &parts)
}

/// Redeems the code of an activation link as the wallet does; the card's
/// provisioning link.
pub async fn redeem(client: &mut ApiClient, activation: &str) -> String {
    let parsed = paycode_wallet::core::activation::ActivationLink::parse(activation).unwrap();
    let reply = client
        .post_json(
            "/v1/activations/redeem",
            &serde_json::json!({ "code": parsed.code }),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.json()["link"].as_str().unwrap().to_owned()
}

pub async fn new_card(addr: SocketAddr) -> DemoCard {
    let mut client = ApiClient::new(addr);
    // Like the wallet page: a bare POST, no body and no content type.
    let reply = client
        .request(Method::POST, "/api/cards", None, "")
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let body = reply.json();
    let link = redeem(&mut client, body["activation"].as_str().unwrap()).await;
    DemoCard {
        card: Card::from_link(&link).unwrap(),
        token: body["token"].as_u64().unwrap(),
        prefix: body["prefix"].as_u64().unwrap(),
        last: None,
    }
}

/// A merchant's till: its id and key, and a keep-alive connection.
pub struct Till {
    pub addr: SocketAddr,
    pub merchant: String,
    pub key: Vec<u8>,
    pub client: ApiClient,
}

impl Till {
    /// A new demo merchant from `POST /api/demo/till`.
    pub async fn new(addr: SocketAddr) -> Till {
        let mut client = ApiClient::new(addr);
        let reply = client
            .request(Method::POST, "/api/demo/till", None, "")
            .await
            .unwrap();
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let body = reply.json();
        Till {
            addr,
            merchant: body["merchant"].as_str().unwrap().to_owned(),
            key: hex::decode(body["key"].as_str().unwrap()).unwrap(),
            client,
        }
    }

    /// A fresh connection (after a request given up half-way).
    pub fn reconnect(&mut self) {
        self.client = ApiClient::new(self.addr);
    }

    /// The `Authorization` value for this request at `ts` with `nonce`.
    pub fn sign(&self, method: &str, target: &str, body: &str, ts: u64, nonce: &str) -> String {
        authorization(
            &self.key,
            &self.merchant,
            &RequestParts {
                method,
                path_and_query: target,
                ts,
                nonce,
                body: body.as_bytes(),
            },
        )
    }

    /// Sends with this `Authorization` value (or none).
    pub async fn send_as(
        &mut self,
        method: Method,
        target: &str,
        body: &str,
        auth: Option<&str>,
    ) -> Result<Reply, ClientError> {
        let mut headers = vec![];
        if !body.is_empty() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        self.client
            .send(method, target, &headers, body.to_owned())
            .await
    }

    /// Signed now with a fresh nonce.
    pub async fn send(&mut self, method: Method, target: &str, body: &str) -> Reply {
        let auth = self.sign(method.as_str(), target, body, now(), &nonce());
        self.send_as(method, target, body, Some(&auth))
            .await
            .unwrap()
    }

    pub async fn pay(&mut self, out_trade_no: &str, code: &str, amount: &str) -> Reply {
        let body = pay_body(out_trade_no, code, amount);
        self.send(Method::POST, "/v1/payments", &body).await
    }

    pub async fn query(&mut self, out_trade_no: &str) -> Reply {
        self.send(Method::GET, &format!("/v1/payments/{out_trade_no}"), "")
            .await
    }

    pub async fn reverse(&mut self, out_trade_no: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/v1/payments/{out_trade_no}/reverse"),
            "",
        )
        .await
    }

    pub async fn refund(&mut self, out_trade_no: &str, out_refund_no: &str, amount: &str) -> Reply {
        let body = json!({
            "out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "amount": amount,
        })
        .to_string();
        self.send(Method::POST, "/v1/refunds", &body).await
    }
}

pub fn pay_body(out_trade_no: &str, code: &str, amount: &str) -> String {
    json!({
        "out_trade_no": out_trade_no, "auth_code": code, "amount": amount, "currency": "CNY",
    })
    .to_string()
}

/// `(status, body)`, asserting the body is JSON.
pub fn answer(reply: &Reply) -> (u16, Value) {
    let v = reply.json();
    assert!(!v.is_null(), "not JSON: {:?}", reply.body);
    (reply.status, v)
}

/// A v1 refusal with this status and code, and a message.
pub fn assert_v1_error(reply: &Reply, status: u16, code: &str) {
    let (got, body) = answer(reply);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// Waits for `f` to hold, checking every 50 ms, at most `limit`.
pub async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

pub const PAYCODE: &str = env!("CARGO_BIN_EXE_paycode");

/// Runs the `paycode` CLI on the server's database; (exit status, JSON).
pub fn cli(db: &Path, args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(PAYCODE)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(text.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), value)
}

/// `paycode ledger check` is clean.
pub fn assert_ledger_clean(db: &Path) {
    let (code, v) = cli(db, &["ledger", "check"]);
    assert_eq!((code, v["result"].as_str()), (0, Some("clean")), "{v}");
}

/// A card source's balance in fen.
pub fn balance_fen(db: &Path, card: &DemoCard, source: u8) -> i64 {
    let name = format!("{}:{}", card.prefix, card.token);
    let (code, v) = cli(db, &["balance", &name, "--source", &source.to_string()]);
    assert_eq!(code, 0, "{v}");
    v["balance_fen"].as_i64().unwrap()
}

/// A code of the card with its last digit changed: same fields, wrong MAC.
pub fn wrong_mac(code: &str) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'9' {
        b'0'
    } else {
        bytes[last] + 1
    };
    String::from_utf8(bytes).unwrap()
}
