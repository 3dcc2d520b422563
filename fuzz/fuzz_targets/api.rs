//! The server's HTTP API (`paycode serve --demo`) with arbitrary request
//! bodies, content types, paths and `Authorization` values, and correctly
//! signed `/v1/` requests with fuzzed bodies: authentication, JSON
//! decoding, the handlers, the payment service and the SQLite writer,
//! through a real loopback socket and the public `start` function, so the
//! server's code is fuzzed as it runs.
//!
//! Oracles: those of `common::check` (no 500, which also catches panics;
//! every answer a JSON object, every refusal with a message; never a key;
//! nothing unsigned succeeds; SUCCESS only for a code whose MAC is right),
//! and no status beyond 599.
//!
//! One server serves every input (`common::config`). Input layout: as in
//! `common`, with `Shapes::SOCKET`.

#![no_main]

// The server tests' client, the one copy (issuer/tests/server_support/).
#[path = "../../issuer/tests/server_support/api_client.rs"]
mod api_client;
mod common;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use api_client::ApiClient;
use common::{ContentType, Shapes, Subject};
use libfuzzer_sys::fuzz_target;
use paycode_issuer::server::{start, RunningServer};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: ApiClient,
    subject: Subject,
    _server: RunningServer,
    _dir: PathBuf,
}

static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();

fn fixture() -> &'static Mutex<Fixture> {
    FIXTURE.get_or_init(|| {
        let dir = common::work_dir("paycode-fuzz-api-");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(start(common::config(&dir)))
            .expect("server starts");
        let mut client = ApiClient::new(server.addr());
        let subject = Subject::new(|path, json| {
            let body = json.map(<[u8]>::to_vec).unwrap_or_default();
            let kind = json.map(|_| "application/json");
            runtime
                .block_on(client.request(hyper::Method::POST, path, kind, body))
                .expect("the set-up's request is answered")
                .body
                .to_vec()
        });
        Mutex::new(Fixture {
            runtime,
            client,
            subject,
            _server: server,
            _dir: dir,
        })
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let mut guard = fixture().lock().unwrap_or_else(|e| e.into_inner());
    let fx = &mut *guard;
    let (content_type, rest) = common::content_type(Shapes::SOCKET, data[1], &data[2..]);
    let content_type = match &content_type {
        ContentType::Json(v) => Some(*v),
        // Only the named types of this layout: text.
        ContentType::Other(v) => Some(std::str::from_utf8(v).expect("a named type")),
        ContentType::None => None,
    };
    let case = common::case(&fx.subject, Shapes::SOCKET, data[0], rest);
    let mut headers = Vec::new();
    if let Some(t) = content_type {
        headers.push(("content-type", t));
    }
    if let Some(auth) = &case.authorization {
        headers.push(("authorization", auth.as_str()));
    }
    let Ok(reply) = fx.runtime.block_on(fx.client.send(
        case.method.clone(),
        &case.path,
        &headers,
        case.body.clone(),
    )) else {
        // The client refused to build the request (not a server answer).
        return;
    };
    assert!(reply.status < 600);
    common::check(&fx.subject, &case, reply.status, &reply.body);
});
