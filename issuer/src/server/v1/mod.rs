//! The merchant API v1 (docs/MERCHANT_API.md): signed payments, queries,
//! reversals and refunds, each run by the payment service in a savepoint
//! of the writer's group commit.

mod auth;
pub(crate) mod error;
mod handlers;
mod wire;

use std::net::IpAddr;
use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;

use super::db::Db;
use super::rate::RateLimiter;
use super::ServerConfig;
use crate::payments::events::PaymentEvents;

pub(crate) struct V1State {
    db: Arc<Db>,
    /// Where committed results go to the payers' phones.
    events: Arc<dyn PaymentEvents>,
    keys: auth::KeyCache,
    merchants: RateLimiter<String>,
    clients: Arc<RateLimiter<IpAddr>>,
    /// 401s per (claimed merchant, address), for the audit trail.
    failures: Arc<crate::server::admin::tally::FailureTally>,
}

/// The `/v1/` routes; `clients` is the per-address limiter shared with the
/// other routes that are not authenticated.
pub(crate) fn router(
    config: &ServerConfig,
    db: Arc<Db>,
    clients: Arc<RateLimiter<IpAddr>>,
    events: Arc<dyn PaymentEvents>,
    failures: Arc<crate::server::admin::tally::FailureTally>,
) -> Router {
    let state = Arc::new(V1State {
        db,
        events,
        keys: auth::KeyCache::default(),
        merchants: RateLimiter::new(config.merchant_rate),
        clients,
        failures,
    });
    // Not nested under "/v1": nesting rewrites the request target, and the
    // signature covers it as received. Other methods and paths under /v1/
    // answer the API's own JSON 404.
    Router::new()
        .route("/v1/payments", post(handlers::pay).fallback(not_found))
        .route(
            "/v1/payments/{out_trade_no}",
            get(handlers::query).fallback(not_found),
        )
        .route(
            "/v1/payments/{out_trade_no}/reverse",
            post(handlers::reverse).fallback(not_found),
        )
        .route("/v1/refunds", post(handlers::refund).fallback(not_found))
        .route("/v1", any(not_found))
        .route("/v1/", any(not_found))
        .route("/v1/{*rest}", any(not_found))
        .with_state(state)
}

async fn not_found() -> error::V1Error {
    error::V1Error::not_found()
}
