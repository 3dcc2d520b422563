//! A throw-away merchant API for the till tests: every request is checked
//! with the real `signing::authenticate` and recorded, and a script says
//! what each one gets back (an answer, or no answer at all). The real
//! routes live in the issuer's server; this only plays their part.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use paycode_issuer::signing::{authenticate, CheckError, MemoryNonceLog, Request};
use serde_json::{json, Value};

pub const MERCHANT: &str = "m_0123456789abcdef";
pub const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: Value,
    pub nonce: String,
    /// The signer, or why the signature was refused.
    pub auth: Result<String, String>,
}

impl Seen {
    pub fn route(&self) -> (&str, &str) {
        (&self.method, &self.target)
    }
}

pub enum Action {
    Answer(u16, Value),
    /// Never answer: the client's timeout is what ends the exchange.
    Hang,
}

pub type Script = Box<dyn Fn(usize, &Seen) -> Action + Send + Sync>;

struct Shared {
    seen: Mutex<Vec<Seen>>,
    nonces: Mutex<MemoryNonceLog>,
    script: Script,
}

pub struct TestServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Serves on a free loopback port in the current tokio runtime; the
    /// script gets each request's index (0 = first) and the request.
    pub async fn start(script: Script) -> TestServer {
        let shared = Arc::new(Shared {
            seen: Mutex::new(Vec::new()),
            nonces: Mutex::new(MemoryNonceLog::new()),
            script,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Every request was signed by MERCHANT, each with its own nonce.
    pub fn assert_all_verified(&self) {
        let seen = self.seen();
        for s in &seen {
            assert_eq!(s.auth.as_deref(), Ok(MERCHANT), "{s:?}");
        }
        let mut nonces: Vec<_> = seen.iter().map(|s| s.nonce.clone()).collect();
        nonces.sort();
        nonces.dedup();
        assert_eq!(nonces.len(), seen.len(), "a nonce was used twice");
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request = Request {
        method: method.as_str(),
        path_and_query: &target,
        body: &body,
    };
    let key = hex::decode(KEY_HEX).unwrap();
    let auth = {
        let mut nonces = shared.nonces.lock().unwrap();
        authenticate(
            authorization.as_deref(),
            &request,
            now(),
            |id| Ok((id == MERCHANT).then(|| key.clone())),
            &mut *nonces,
        )
    };
    let nonce = authorization
        .as_deref()
        .and_then(|a| a.split("nonce=").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or("").to_owned())
        .unwrap_or_default();
    let seen = Seen {
        method: method.to_string(),
        target,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        nonce,
        auth: auth.clone().map_err(|e| match e {
            CheckError::Auth(a) => a.kind().to_owned(),
            CheckError::Log(never) => match never {},
        }),
    };
    let index = {
        let mut all = shared.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    if let Err(e) = auth {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": "UNAUTHORIZED", "message": e.to_string()}})),
        )
            .into_response();
    }
    match (shared.script)(index, &seen) {
        Action::Answer(status, value) => {
            (StatusCode::from_u16(status).unwrap(), axum::Json(value)).into_response()
        }
        Action::Hang => std::future::pending().await,
    }
}

/// A payment answer as the doc shows it.
pub fn payment(status: &str, out_trade_no: &str) -> Value {
    let mut p = json!({
        "status": status, "payment_id": "p_1", "out_trade_no": out_trade_no,
        "amount": "12.50", "currency": "CNY",
    });
    if matches!(status, "SUCCESS" | "REVERSED") {
        p["funding"] = json!({"kind": "balance", "label": "Balance"});
    }
    p
}

pub fn error(code: &str) -> Value {
    json!({"error": {"code": code, "message": format!("test server says {code}")}})
}
