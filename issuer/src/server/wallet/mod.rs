//! The wallet's routes, signed by the card (docs/FORMAT.md §11): the
//! card's history, its live results, the PIN and the payer's funding
//! order. Same error shape and the same uniform 401 as the merchant API
//! under `/v1/`. Open to pages of any origin (`cors.rs`): the signature is
//! what authorises.

mod auth;
pub(super) mod cors;
mod events;
mod funding_order;
mod history;
mod pin;

pub(crate) use history::charge_json;

use std::net::IpAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;

use super::db::Db;
use super::rate::RateLimiter;
use crate::payments::events::PaymentEvents;

pub(crate) struct WalletState {
    db: Arc<Db>,
    /// The per-address limiter of failed signatures, shared with `/v1/`.
    clients: Arc<RateLimiter<IpAddr>>,
    events: Arc<dyn PaymentEvents>,
    /// Turns true when the server stops: open event streams end.
    closing: watch::Receiver<bool>,
    /// 401s per address, for the audit trail.
    pub(crate) failures: Arc<crate::server::admin::tally::FailureTally>,
}

pub(crate) fn router(
    db: Arc<Db>,
    clients: Arc<RateLimiter<IpAddr>>,
    events: Arc<dyn PaymentEvents>,
    closing: watch::Receiver<bool>,
    failures: Arc<crate::server::admin::tally::FailureTally>,
) -> Router {
    let state = Arc::new(WalletState {
        db,
        clients,
        events,
        closing,
        failures,
    });
    // Not nested, as on /v1/: the signature covers the target as received.
    Router::new()
        .route(
            "/v1/wallet/history",
            get(history::history).fallback(not_found),
        )
        .route("/v1/wallet/events", get(events::events).fallback(not_found))
        .route("/v1/wallet/pin", post(pin::set_pin).fallback(not_found))
        .route(
            "/v1/wallet/funding-order",
            get(funding_order::get_order)
                .put(funding_order::set_order)
                .fallback(not_found),
        )
        .route(
            "/v1/wallet/payments/{payment_id}/confirm",
            post(pin::confirm).fallback(not_found),
        )
        .route(
            "/v1/wallet/payments/{payment_id}/decline",
            post(pin::decline).fallback(not_found),
        )
        // Outside the routes' own fallbacks, so a preflight (OPTIONS) is
        // answered here without a signature.
        .layer(cors::layer())
        .with_state(state)
}

async fn not_found() -> super::v1::error::V1Error {
    super::v1::error::V1Error::not_found()
}
