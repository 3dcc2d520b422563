//! The router: API routes, static files, and the layers around them.

use std::any::Any;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use super::db::Db;
use super::error::ApiError;
use super::rate::{self, RateLimiter};
use super::{handlers, statics, ServerConfig, BODY_LIMIT};

pub(crate) fn router(config: &ServerConfig, db: Arc<Db>) -> Router {
    let limiter = Arc::new(RateLimiter::new(config.charge_rate));
    let charges = Router::new()
        .route("/charge", post(handlers::charge))
        .route("/charge/{id}/pin", post(handlers::complete_with_pin))
        .route_layer(middleware::from_fn_with_state(limiter, rate::limit));
    let api = Router::new()
        .route("/cards", post(handlers::create_card))
        .route("/cards/{token}/history", get(handlers::history))
        .merge(charges)
        .fallback(handlers::api_not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(db);
    guard(
        Router::new()
            .nest("/api", api)
            // `/api/` is not inside the nest: without this it reached the
            // static files and got an empty 404/405 instead of JSON.
            .route("/api/", axum::routing::any(handlers::api_not_found))
            .fallback_service(statics::service(&config.www)),
    )
}

/// The layers every route sits in: body limit, common headers, and a panic
/// turned into a 500 answer as the last resort (in builds that unwind).
fn guard(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(statics::headers))
        .layer(CatchPanicLayer::custom(panic_response))
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::client::ApiClient;

    async fn boom() -> &'static str {
        panic!("handler bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_json_500_and_the_server_goes_on() {
        let app = guard(
            Router::new()
                .route("/boom", get(boom))
                .route("/ok", get(|| async { "fine" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut client = ApiClient::new(addr);
        let reply = client.get("/boom").await.unwrap();
        assert_eq!(reply.status, 500);
        assert_eq!(reply.json()["error"], "internal");
        let reply = client.get("/ok").await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body[..], b"fine");
        server.abort();
    }
}
