//! The server's API in process: signed `/v1/` requests with any body
//! (payments, refunds, reversals, queries of any out_trade_no), unsigned
//! and garbage-signed ones, well-formed payments of genuine codes with
//! edits and odd amounts, history tokens and queries, the demo routes,
//! unknown paths, any content type and bodies over the size limit, sent
//! through the server's real axum router (`server::in_process`, feature
//! `fuzzing`) with `tower::ServiceExt::oneshot`. Routing, the body limit,
//! authentication, the content-type check, the JSON decoding, the payment
//! service and the group-committing SQLite writer all run as they do in
//! `paycode serve`; only the socket and HTTP/1 framing are left out (the
//! `api` target keeps those), which makes this target fast enough for
//! millions of executions.
//!
//! Oracles: those of `common::check`, as in `api` (no 500: the router's
//! panic guard turns a handler panic into one, and a panic outside it
//! aborts the run; every answer a JSON object; every refusal with a
//! message; never a key; nothing unsigned succeeds; SUCCESS only for a
//! code whose MAC is right). And for the decoding itself: a signed request
//! to a JSON endpoint answers a body over the limit with 413, else one
//! that is not `application/json` with 415, and one that is not JSON with
//! 400 `INVALID_REQUEST`.
//!
//! One server serves every input (`common::config`). Input layout: as in
//! `common`, with `Shapes::ROUTER` (any content-type text, bodies over the
//! limit).

#![no_main]

mod common;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use axum::body::Body;
use axum::http::{header, Request};
use common::{Case, ContentType, Shapes, Subject};
use libfuzzer_sys::fuzz_target;
use paycode_issuer::server::{in_process, InProcessServer, BODY_LIMIT};
use serde::de::IgnoredAny;
use serde_json::Value;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: InProcessServer,
    subject: Subject,
    _dir: PathBuf,
}

static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();

/// An answer: status and the whole body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

fn send(
    runtime: &tokio::runtime::Runtime,
    server: &InProcessServer,
    mut request: Request<Body>,
) -> Answer {
    // As a browser or till on loopback names it: the server answers only
    // Hosts on its allowlist.
    request
        .headers_mut()
        .entry(header::HOST)
        .or_insert(header::HeaderValue::from_static("127.0.0.1"));
    runtime.block_on(async {
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

fn fixture() -> &'static Mutex<Fixture> {
    FIXTURE.get_or_init(|| {
        let dir = common::work_dir("paycode-fuzz-api-router-");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(in_process(&common::config(&dir)))
            .expect("server");
        let subject = Subject::new(|path, json| {
            let request = match json {
                Some(json) => Request::post(path)
                    .header("content-type", "application/json")
                    .body(Body::from(json.to_vec())),
                None => Request::post(path).body(Body::empty()),
            }
            .expect("request");
            send(&runtime, &server, request).body
        });
        Mutex::new(Fixture {
            runtime,
            server,
            subject,
            _dir: dir,
        })
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let guard = fixture().lock().unwrap_or_else(|e| e.into_inner());
    let fx = &*guard;
    let (content_type, rest) = common::content_type(Shapes::ROUTER, data[1], &data[2..]);
    let case = common::case(&fx.subject, Shapes::ROUTER, data[0], rest);
    let mut request = Request::builder()
        .method(case.method.clone())
        .uri(&case.path);
    match &content_type {
        ContentType::Json(v) => request = request.header(header::CONTENT_TYPE, *v),
        ContentType::Other(v) => request = request.header(header::CONTENT_TYPE, v.as_slice()),
        ContentType::None => {}
    }
    if let Some(auth) = &case.authorization {
        request = request.header(header::AUTHORIZATION, auth.as_str());
    }
    // A path or header value HTTP cannot carry: not a request.
    let Ok(request) = request.body(Body::from(case.body.clone())) else {
        return;
    };
    let answer = send(&fx.runtime, &fx.server, request);
    let v = common::check(&fx.subject, &case, answer.status, &answer.body);
    check_decoding(&case, &content_type, &answer, &v);
});

/// How a JSON endpoint answers a body it cannot read.
fn check_decoding(case: &Case, content_type: &ContentType, answer: &Answer, v: &Value) {
    if !case.json_endpoint || !case.signed {
        return;
    }
    let path = &case.path;
    let text = String::from_utf8_lossy(&answer.body);
    let is_json = matches!(content_type, ContentType::Json(_))
        || matches!(content_type, ContentType::Other(v) if is_json_essence(v));
    // The body is read (and its size checked) before anything else: the
    // signature covers it.
    if case.body.len() > BODY_LIMIT {
        assert_eq!(
            answer.status, 413,
            "{path}: over the limit, answered {text}"
        );
    } else if !is_json {
        assert_eq!(answer.status, 415, "{path}: not JSON, answered {text}");
    } else if serde_json::from_slice::<IgnoredAny>(&case.body).is_err() {
        let sent = String::from_utf8_lossy(&case.body);
        let kind = (
            answer.status,
            v["error"]["code"].as_str().unwrap_or_default(),
        );
        assert_eq!(
            kind,
            (400, "INVALID_REQUEST"),
            "{path}: {sent:?} is not JSON, answered {text}"
        );
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
