//! The security headers on every answer of `paycode serve`: each route of
//! the router (the list below is checked against the `.route(` and
//! `.nest(` calls in src/server/, so a new route without its line here
//! fails), static files, 404s, 405s and refusals; the per-page CSP and
//! framing rules; HSTS; and the Host allowlist.
//!
//! axum's Router cannot list its routes, hence the source scan.

mod server_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::HeaderMap;
use hyper::Method;
use hyper_util::rt::TokioIo;
use paycode_issuer::server::{
    cashier_csp, wallet_csp, Origin, PublicUrl, ServerConfig, API_CSP, CASHIER_META_CSP,
    CASHIER_PERMISSIONS, HSTS, WALLET_META_CSP, WALLET_PERMISSIONS,
};
use serde_json::Value;
use server_support::{config, serve_with};

/// Which policy an answer must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Api,
    Wallet,
    Cashier,
}

/// One route as declared: the file under src/server/, the literal given
/// to `.route(` or `.nest(`, and the requests that reach it (the right
/// method and a wrong one).
struct Declared {
    file: &'static str,
    literal: &'static str,
    requests: &'static [(Method, &'static str)],
}

const DECLARED: &[Declared] = &[
    Declared {
        file: "routes.rs",
        literal: "/api",
        requests: &[(Method::GET, "/api/nothing"), (Method::PUT, "/api")],
    },
    Declared {
        file: "routes.rs",
        literal: "/api/",
        requests: &[(Method::GET, "/api/"), (Method::DELETE, "/api/")],
    },
    Declared {
        file: "routes.rs",
        literal: "/cards",
        requests: &[(Method::POST, "/api/cards"), (Method::GET, "/api/cards")],
    },
    Declared {
        file: "routes.rs",
        literal: "/demo/till",
        requests: &[
            (Method::POST, "/api/demo/till"),
            (Method::PATCH, "/api/demo/till"),
        ],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/payments",
        requests: &[
            (Method::POST, "/v1/payments"),
            (Method::GET, "/v1/payments"),
        ],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/payments/{out_trade_no}",
        requests: &[
            (Method::GET, "/v1/payments/T-1"),
            (Method::POST, "/v1/payments/T-1"),
        ],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/payments/{out_trade_no}/reverse",
        requests: &[
            (Method::POST, "/v1/payments/T-1/reverse"),
            (Method::GET, "/v1/payments/T-1/reverse"),
        ],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/refunds",
        requests: &[(Method::POST, "/v1/refunds"), (Method::GET, "/v1/refunds")],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1",
        requests: &[(Method::GET, "/v1")],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/",
        requests: &[(Method::POST, "/v1/")],
    },
    Declared {
        file: "v1/mod.rs",
        literal: "/v1/{*rest}",
        requests: &[(Method::GET, "/v1/no/such/route")],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/history",
        requests: &[
            (Method::GET, "/v1/wallet/history"),
            (Method::POST, "/v1/wallet/history"),
        ],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/events",
        requests: &[
            (Method::GET, "/v1/wallet/events"),
            (Method::DELETE, "/v1/wallet/events"),
        ],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/pin",
        requests: &[
            (Method::POST, "/v1/wallet/pin"),
            (Method::GET, "/v1/wallet/pin"),
        ],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/funding-order",
        requests: &[
            (Method::GET, "/v1/wallet/funding-order"),
            (Method::PUT, "/v1/wallet/funding-order"),
            (Method::POST, "/v1/wallet/funding-order"),
        ],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/payments/{payment_id}/confirm",
        requests: &[
            (Method::POST, "/v1/wallet/payments/p_1/confirm"),
            (Method::GET, "/v1/wallet/payments/p_1/confirm"),
        ],
    },
    Declared {
        file: "wallet/mod.rs",
        literal: "/v1/wallet/payments/{payment_id}/decline",
        requests: &[
            (Method::POST, "/v1/wallet/payments/p_1/decline"),
            (Method::GET, "/v1/wallet/payments/p_1/decline"),
        ],
    },
    Declared {
        file: "admin/mod.rs",
        literal: "/v1/admin/cards/revoke",
        requests: &[
            (Method::POST, "/v1/admin/cards/revoke"),
            (Method::GET, "/v1/admin/cards/revoke"),
        ],
    },
    Declared {
        file: "admin/mod.rs",
        literal: "/v1/admin",
        requests: &[(Method::GET, "/v1/admin")],
    },
    Declared {
        file: "admin/mod.rs",
        literal: "/v1/admin/{*rest}",
        requests: &[(Method::POST, "/v1/admin/cards/nothing")],
    },
    Declared {
        file: "activation.rs",
        literal: "/v1/activations/redeem",
        requests: &[
            (Method::POST, "/v1/activations/redeem"),
            (Method::GET, "/v1/activations/redeem"),
        ],
    },
];

/// The static side (the router's fallback service): pages, files, a
/// missing file and a method it does not take.
const STATIC: &[(Method, &str, Page)] = &[
    (Method::GET, "/", Page::Wallet),
    (Method::GET, "/index.html", Page::Wallet),
    (Method::GET, "/?x=1", Page::Wallet),
    (Method::GET, "/sw.js", Page::Wallet),
    (Method::GET, "/css/wallet.css", Page::Wallet),
    (Method::GET, "/embed-example.html", Page::Wallet),
    (Method::GET, "/no-such-file.html", Page::Wallet),
    (Method::POST, "/index.html", Page::Wallet),
    (Method::HEAD, "/", Page::Wallet),
    (Method::GET, "/cashier.html", Page::Cashier),
    (Method::POST, "/cashier.html", Page::Cashier),
];

fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server")
}

/// Every `.rs` file under `dir`, relative to it, with `/` separators.
fn sources(dir: &Path, base: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, base, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.strip_prefix(base).unwrap().to_string_lossy();
            found.push((
                name.replace('\\', "/"),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The string literal that opens each call of `call` in `text`; a call
/// whose first argument is not a literal is reported as `<not a literal>`,
/// so that it cannot slip past the list.
fn first_literals(text: &str, call: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(call) {
        rest = &rest[at + call.len()..];
        let arg = rest.trim_start();
        match arg.strip_prefix('"').and_then(|a| a.split_once('"')) {
            Some((literal, _)) => found.push(literal.to_owned()),
            None => found.push("<not a literal>".to_owned()),
        }
    }
    found
}

#[test]
fn every_route_declared_in_the_router_is_walked() {
    let mut files = Vec::new();
    sources(&server_dir(), &server_dir(), &mut files);
    let mut declared = BTreeSet::new();
    for (name, text) in &files {
        // Unit tests build routers of their own.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for call in [".route(", ".nest(", ".route_service(", ".nest_service("] {
            for literal in first_literals(code, call) {
                declared.insert((name.clone(), literal));
            }
        }
    }
    let walked: BTreeSet<(String, String)> = DECLARED
        .iter()
        .map(|d| (d.file.to_owned(), d.literal.to_owned()))
        .collect();
    assert!(
        declared.len() >= 16,
        "the scan found too few routes: premise broken"
    );
    assert_eq!(
        declared, walked,
        "a route was added or removed in src/server/: add its requests to DECLARED"
    );
}

/// One request on its own connection, with exactly this Host (or none).
async fn send(addr: SocketAddr, method: Method, path: &str, host: Option<&str>) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut builder = hyper::Request::builder().method(method).uri(path);
    if let Some(host) = host {
        builder = builder.header(hyper::header::HOST, host);
    }
    let response = sender
        .send_request(builder.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// What every answer of a server without flags carries, by page.
fn assert_default_headers(what: &str, reply: &Reply, page: Page) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        reply.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        reply.header("strict-transport-security"),
        None,
        "{what}: HSTS without https"
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    let (csp, permissions) = match page {
        Page::Api => (API_CSP.to_owned(), WALLET_PERMISSIONS),
        Page::Wallet => (wallet_csp(&[], &[]), WALLET_PERMISSIONS),
        Page::Cashier => (cashier_csp(), CASHIER_PERMISSIONS),
    };
    assert_eq!(
        reply.header("content-security-policy"),
        Some(csp.as_str()),
        "{what}"
    );
    assert_eq!(
        reply.header("permissions-policy"),
        Some(permissions),
        "{what}"
    );
    if page == Page::Api {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_static_file_and_error_answers_with_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let addr = server.addr();
    let host = addr.to_string();
    let mut statuses = BTreeSet::new();
    for declared in DECLARED {
        for (method, path) in declared.requests {
            let reply = send(addr, method.clone(), path, Some(&host)).await;
            statuses.insert(reply.status);
            let what = format!("{method} {path} ({})", declared.literal);
            assert_default_headers(&what, &reply, Page::Api);
        }
    }
    for (method, path, page) in STATIC {
        let reply = send(addr, method.clone(), path, Some(&host)).await;
        statuses.insert(reply.status);
        assert_default_headers(&format!("{method} {path}"), &reply, *page);
    }
    // The walk reached handlers' successes and refusals, 404s and 405s.
    for status in [200, 401, 404, 405] {
        assert!(
            statuses.contains(&status),
            "no {status} in the walk: {statuses:?}"
        );
    }
    let sw = send(addr, Method::GET, "/sw.js", Some(&host)).await;
    assert_eq!(sw.status, 200);
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    let css = send(addr, Method::GET, "/css/wallet.css", Some(&host)).await;
    assert_eq!(css.header("cache-control"), None);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_demo_the_api_404s_carry_the_headers_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut plain = config(&dir);
    plain.demo = false;
    let server = serve_with(plain).await;
    let host = server.addr().to_string();
    for (method, path) in [
        (Method::POST, "/api/cards"),
        (Method::GET, "/api/demo/till"),
    ] {
        let reply = send(server.addr(), method.clone(), path, Some(&host)).await;
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_default_headers(&format!("{method} {path}"), &reply, Page::Api);
    }
    server.shutdown().await.unwrap();
}

/// The `content` of the page's `<meta http-equiv="Content-Security-Policy">`,
/// its whitespace collapsed.
fn meta_csp(page: &str) -> String {
    let html = std::fs::read_to_string(server_support::repo_www().join(page)).unwrap();
    let at = html
        .find("http-equiv=\"Content-Security-Policy\"")
        .unwrap_or_else(|| panic!("{page} has no CSP meta tag"));
    let content = &html[at..];
    let start = content.find("content=\"").unwrap() + "content=\"".len();
    let end = start + content[start..].find('"').unwrap();
    content[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A policy's directives: name → its sources as written.
fn directives(policy: &str) -> BTreeMap<String, String> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_owned();
            Some((name, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

#[test]
fn the_headers_state_the_pages_meta_policies_and_add_frame_ancestors() {
    assert_eq!(meta_csp("index.html"), WALLET_META_CSP);
    assert_eq!(meta_csp("cashier.html"), CASHIER_META_CSP);
    // The wallet's header: every directive of its tag as it is, except
    // connect-src, which is this origin alone (the tag may allow more, for
    // static hosts), and frame-ancestors besides.
    let meta = directives(WALLET_META_CSP);
    let header = directives(&wallet_csp(&[], &[]));
    assert!(meta["connect-src"].split(' ').any(|s| s == "'self'"));
    for (name, sources) in &meta {
        let expected = if name == "connect-src" {
            "'self'"
        } else {
            sources
        };
        assert_eq!(
            header.get(name).map(String::as_str),
            Some(expected),
            "{name}"
        );
    }
    assert_eq!(header["frame-ancestors"], "'none'");
    assert_eq!(header.len(), meta.len() + 1);
    assert_eq!(
        cashier_csp(),
        format!("{CASHIER_META_CSP}; frame-ancestors 'none'")
    );
}

fn flagged(dir: &tempfile::TempDir) -> ServerConfig {
    let mut c = config(dir);
    c.embed_origins = vec![Origin::parse("https://shop.example").unwrap()];
    c.connect_origins = vec![Origin::parse("https://issuer-b.example").unwrap()];
    c.public_url = Some(PublicUrl::parse("https://pay.example/").unwrap());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_is_framed_by_the_embed_origins_only_and_the_cashier_page_never() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(flagged(&dir)).await;
    let addr = server.addr();
    let wallet = send(addr, Method::GET, "/", Some("pay.example")).await;
    assert_eq!(wallet.status, 200);
    let csp = wallet.header("content-security-policy").unwrap();
    assert!(
        csp.ends_with("; frame-ancestors https://shop.example"),
        "{csp}"
    );
    assert!(
        csp.contains("; connect-src 'self' https://issuer-b.example; "),
        "{csp}"
    );
    // X-Frame-Options cannot name an origin: left out, not contradicting.
    assert_eq!(wallet.header("x-frame-options"), None);
    let cashier = send(addr, Method::GET, "/cashier.html", Some("pay.example")).await;
    assert_eq!(
        cashier.header("content-security-policy"),
        Some(cashier_csp().as_str())
    );
    assert_eq!(cashier.header("x-frame-options"), Some("DENY"));
    let api = send(addr, Method::GET, "/v1/payments/T-1", Some("pay.example")).await;
    assert_eq!(api.header("content-security-policy"), Some(API_CSP));
    assert_eq!(api.header("x-frame-options"), Some("DENY"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_comes_with_an_https_public_url_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(flagged(&dir)).await;
    for path in [
        "/",
        "/cashier.html",
        "/v1/refunds",
        "/api/cards",
        "/missing",
    ] {
        let reply = send(server.addr(), Method::GET, path, Some("pay.example")).await;
        assert_eq!(
            reply.header("strict-transport-security"),
            Some(HSTS),
            "{path}"
        );
    }
    server.shutdown().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut plain = config(&dir);
    plain.public_url = Some(PublicUrl::parse("http://pay.example").unwrap());
    let server = serve_with(plain).await;
    let reply = send(server.addr(), Method::GET, "/", Some("pay.example")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("strict-transport-security"), None);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_not_on_the_allowlist_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(flagged(&dir)).await;
    let addr = server.addr();
    let port = addr.port();
    for host in [
        addr.to_string(),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "pay.example".to_owned(),
    ] {
        let reply = send(addr, Method::GET, "/", Some(&host)).await;
        assert_eq!(reply.status, 200, "{host}");
    }
    // A rebinding page's own name: refused everywhere, in each part's shape.
    let rebinding = format!("rebind.example:{port}");
    let page = send(addr, Method::GET, "/", Some(&rebinding)).await;
    assert_eq!(page.status, 421);
    let body: Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(body["error"], "misdirected_request");
    assert!(body["message"].as_str().unwrap().contains("--public-url"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let api = send(addr, Method::POST, "/api/cards", Some(&rebinding)).await;
    assert_eq!(api.status, 421);
    assert_eq!(api.header("cache-control"), Some("no-store"));
    let v1 = send(addr, Method::GET, "/v1/payments/T-1", Some(&rebinding)).await;
    assert_eq!(v1.status, 421);
    let body: Value = serde_json::from_slice(&v1.body).unwrap();
    assert_eq!(body["error"]["code"], "MISDIRECTED_REQUEST");
    let none = send(addr, Method::GET, "/", None).await;
    assert_eq!(none.status, 400);
    let body: Value = serde_json::from_slice(&none.body).unwrap();
    assert_eq!(body["error"], "invalid_host");
    server.shutdown().await.unwrap();
}
