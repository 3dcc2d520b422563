//! The router: the merchant API, the wallet's and demo routes, static
//! files, and the layers around them.

use std::any::Any;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

use super::admin::{self, tally::FailureTally};
use super::db::Db;
use super::error::ApiError;
use super::headers::{self, SecurityHeaders};
use super::rate::{self, RateLimiter};
use super::{activation, demo, handlers, log, statics, v1, wallet, ServerConfig, BODY_LIMIT};
use crate::payments::events::PaymentEvents;

/// `events` carries the phones' live results; `closing` turns true when
/// the server stops (open event streams end); `failures` counts 401s for
/// the audit trail.
pub(crate) fn router(
    config: &ServerConfig,
    db: Arc<Db>,
    events: Arc<dyn PaymentEvents>,
    closing: watch::Receiver<bool>,
    failures: Arc<FailureTally>,
) -> Router {
    // One bucket per address for everything not authenticated: failed
    // signatures on /v1/ and the demo routes.
    let clients = Arc::new(RateLimiter::new(config.client_rate));
    let demo_state = Arc::new(demo::DemoState {
        db: Arc::clone(&db),
        public: config.public_url.as_ref().map(|p| p.origin().to_string()),
        clock: config.activation_clock,
    });
    let mut api = Router::new();
    if config.demo {
        let mut demo_api = Router::new()
            .route("/cards", post(demo::create_card))
            .route("/demo/till", post(demo::create_till))
            .route_layer(middleware::from_fn_with_state(
                Arc::clone(&clients),
                rate::limit,
            ));
        if config.request_log {
            demo_api = demo_api.route_layer(middleware::from_fn(log::requests));
        }
        api = api.merge(demo_api);
    }
    let mut wallet_api = wallet::router(
        Arc::clone(&db),
        Arc::clone(&clients),
        Arc::clone(&events),
        closing,
        Arc::clone(&failures),
    );
    let admin_api = admin::router(
        Arc::clone(&db),
        config.admin_key.clone(),
        Arc::clone(&clients),
        Arc::clone(&failures),
    );
    let mut activation_api = activation::router(
        Arc::clone(&db),
        Arc::clone(&clients),
        config.activation_clock,
    );
    let mut merchant_api =
        v1::router(config, Arc::clone(&db), clients, events, failures).merge(admin_api);
    if config.request_log {
        activation_api = activation_api.route_layer(middleware::from_fn(log::requests));
        wallet_api = wallet_api.route_layer(middleware::from_fn(log::requests));
        merchant_api = merchant_api.route_layer(middleware::from_fn(log::requests));
    }
    // Without --demo, /api/ has no routes left (the card history moved to
    // /v1/wallet/): only its JSON 404 and 405.
    let api = api
        .fallback(handlers::api_not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(demo_state);
    guard(
        Arc::new(SecurityHeaders::new(config)),
        Router::new()
            .nest("/api", api)
            // `/api/` is not inside the nest: without this it reached the
            // static files and got an empty 404/405 instead of JSON.
            .route("/api/", axum::routing::any(handlers::api_not_found))
            .merge(merchant_api)
            .merge(wallet_api)
            .merge(activation_api)
            .fallback_service(statics::service(&config.www)),
    )
}

/// The layers every route sits in: body limit, a panic turned into a 500
/// answer as the last resort (in builds that unwind), and outermost the
/// Host check and security headers, so that the 500 carries them too.
fn guard(security: Arc<SecurityHeaders>, router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(security, headers::secure))
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use hyper::client::conn::http1::{self, SendRequest};
    use hyper_util::rt::TokioIo;

    async fn boom() -> &'static str {
        panic!("handler bug")
    }

    /// A GET on an open connection: status, headers and whole body.
    async fn fetch(
        sender: &mut SendRequest<Empty<Bytes>>,
        path: &str,
    ) -> (u16, hyper::HeaderMap, Bytes) {
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, "127.0.0.1")
            .body(Empty::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }

    // `guard` is private and a panicking handler cannot be routed from
    // outside, so this stays here with a bare hyper connection.
    #[tokio::test]
    async fn a_panicking_handler_becomes_a_json_500_and_the_server_goes_on() {
        let config = ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            std::path::PathBuf::from("unused.db"),
            "www",
        );
        let app = guard(
            Arc::new(SecurityHeaders::new(&config)),
            Router::new()
                .route("/boom", get(boom))
                .route("/ok", get(|| async { "fine" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);

        let (status, headers, body) = fetch(&mut sender, "/boom").await;
        assert_eq!(status, 500);
        // The panic's answer carries the security headers as any other.
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("content-security-policy"));
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "internal");
        // The same keep-alive connection is still served.
        let (status, _, body) = fetch(&mut sender, "/ok").await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], b"fine");
        server.abort();
    }
}
