//! The wallet routes open to a page of another origin (a card whose link
//! names this issuer's `api` origin): the preflight is answered without a
//! signature, answers carry `Access-Control-Allow-Origin: *` and never
//! `Allow-Credentials`, and a signature is still required. The merchant API
//! and the demo routes stay closed to other origins.

mod server_support;

use hyper::Method;
use server_support::*;

const PAGE: &str = "http://127.0.0.1:9";

async fn preflight(c: &mut ApiClient, target: &str, method: &str) -> Reply {
    let headers = [
        ("origin", PAGE),
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "authorization,content-type",
        ),
    ];
    c.send(Method::OPTIONS, target, &headers, "").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_routes_answer_other_origins_and_still_need_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let card = new_card(server.addr()).await;
    let mut c = ApiClient::new(server.addr());

    for (target, method) in [
        ("/v1/wallet/history?limit=10", "GET"),
        ("/v1/wallet/events", "GET"),
        ("/v1/wallet/pin", "POST"),
        ("/v1/wallet/payments/pay_x/confirm", "POST"),
        ("/v1/wallet/funding-order", "PUT"),
    ] {
        let reply = preflight(&mut c, target, method).await;
        assert!(reply.status < 300, "{target}: {}", reply.status);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("*"),
            "{target}"
        );
        let methods = reply.header("access-control-allow-methods").unwrap_or("");
        assert!(methods.contains(method), "{target}: {methods}");
        let allowed = reply.header("access-control-allow-headers").unwrap_or("");
        assert!(allowed.contains("authorization") && allowed.contains("content-type"));
        assert_eq!(reply.header("access-control-allow-credentials"), None);
        assert_eq!(reply.header("access-control-max-age"), Some("600"));
    }

    // Unsigned from another origin: the uniform 401, readable by the page.
    let target = "/v1/wallet/history?limit=10";
    let reply = c
        .send(Method::GET, target, &[("origin", PAGE)], "")
        .await
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));

    // Signed: the card's history, with the same header.
    let auth = card_signed(&card.card, "GET", target, b"");
    let headers = [("origin", PAGE), ("authorization", auth.as_str())];
    let reply = c.send(Method::GET, target, &headers, "").await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);

    // Nothing else is opened: merchant API, demo routes, static files.
    for (target, method) in [
        ("/v1/payments", "POST"),
        ("/api/cards", "POST"),
        ("/index.html", "GET"),
    ] {
        let reply = preflight(&mut c, target, method).await;
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "{target}"
        );
        let reply = c
            .send(Method::GET, target, &[("origin", PAGE)], "")
            .await
            .unwrap();
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "{target}"
        );
    }
    server.shutdown().await.unwrap();
}
