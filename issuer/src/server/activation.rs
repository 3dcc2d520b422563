//! `POST /v1/activations/redeem {"code"}`: the wallet trades a one-time
//! activation code (crate::activation) for its card, exactly once.
//!
//! | answer | when |
//! |---|---|
//! | 200 `{"link", "issuer", "token", "prefix", "length", "period", "issued_at", "funding"}` | the first redemption within 10 minutes; `link` is the card's provisioning link (with its key) |
//! | 400 `INVALID_REQUEST` | not a JSON `{"code"}` of 32 lowercase hex digits |
//! | 404 `ACTIVATION_UNKNOWN` | no activation has this code |
//! | 410 `ACTIVATION_USED` / `ACTIVATION_EXPIRED` | redeemed before / past its 10 minutes |
//! | 410 `CARD_REVOKED` | the card was revoked after the code was handed out |
//! | 429 `RATE_LIMITED` | the address's bucket (shared with the other unauthenticated routes) is empty |
//!
//! Open to pages of any origin, as the wallet routes (a wallet served
//! elsewhere redeems a card of this issuer): the code is the only
//! authority, no cookie counts. Answers are `no-store` as all of `/v1/`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::db::Db;
use super::handlers::stored_funding;
use super::rate::{self, RateLimiter};
use super::request::{is_json, RawBody};
use super::v1::error::V1Error;
use crate::activation::{self, RedeemError};
use crate::store::CardRecord;

pub(crate) struct ActivationState {
    db: Arc<Db>,
    /// The per-address limiter of the unauthenticated routes.
    clients: Arc<RateLimiter<IpAddr>>,
    /// Issuer unix seconds (the server's clock, or a test's).
    clock: fn() -> u64,
}

pub(crate) fn router(db: Arc<Db>, clients: Arc<RateLimiter<IpAddr>>, clock: fn() -> u64) -> Router {
    let state = Arc::new(ActivationState { db, clients, clock });
    Router::new()
        // The same path as core::activation::REDEEM_PATH (checked below);
        // a literal, so that the route list in tests/headers.rs sees it.
        .route(
            "/v1/activations/redeem",
            post(redeem).fallback(|| async { V1Error::not_found() }),
        )
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), limit))
        // Outside the rate limit: a preflight (OPTIONS) costs no token.
        .layer(super::wallet::cors::layer())
        .with_state(state)
}

/// 429 in the `/v1/` shape when the address's bucket is empty.
async fn limit(
    State(state): State<Arc<ActivationState>>,
    request: Request,
    next: Next,
) -> Response {
    match state
        .clients
        .take(rate::client_of(&request), Instant::now())
    {
        Ok(()) => next.run(request).await,
        Err(wait) => V1Error::rate_limited(rate::retry_secs(wait), "address").into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeemBody {
    code: String,
}

async fn redeem(
    State(state): State<Arc<ActivationState>>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, V1Error> {
    const SHAPE: &str = "the body must be application/json {\"code\": \"32 hex digits\"}";
    if !is_json(&headers) {
        return Err(V1Error::invalid(SHAPE));
    }
    let body: RedeemBody = serde_json::from_slice(&body.0).map_err(|_| V1Error::invalid(SHAPE))?;
    let code = Zeroizing::new(body.code);
    let now = (state.clock)();
    let card = state
        .db
        .write(move |tx, _| activation::redeem(tx, &code, now).map_err(Refusal))
        .await
        .map_err(|Refusal(e)| refusal(e))?;
    Ok(Json(card_json(&card, now)))
}

/// A [`RedeemError`] that can also say the write was not committed.
struct Refusal(RedeemError);

impl From<super::db::NotCommitted> for Refusal {
    fn from(e: super::db::NotCommitted) -> Self {
        Refusal(RedeemError::Store(if e.never_ran {
            crate::store::StoreError::Unavailable("the write transaction could not begin".into())
        } else {
            crate::store::StoreError::Database("the redemption was not committed".into())
        }))
    }
}

fn refusal(e: RedeemError) -> V1Error {
    let status = match e {
        RedeemError::Malformed => StatusCode::BAD_REQUEST,
        RedeemError::Unknown => StatusCode::NOT_FOUND,
        RedeemError::Used | RedeemError::Expired | RedeemError::Revoked => StatusCode::GONE,
        RedeemError::Store(e) => return V1Error::from(e),
    };
    V1Error::new(status, e.code(), e.to_string())
}

/// The card as the redemption hands it over; its link's time is now, so
/// the wallet measures its clock offset at the hand-over, not at issue.
pub(crate) fn card_json(card: &CardRecord, now: u64) -> Value {
    let mut link = card.to_card();
    link.issued_at = now;
    json!({
        "link": link.to_link(),
        "issuer": card.issuer,
        "token": card.key.token,
        "prefix": card.key.prefix,
        "length": card.length,
        "period": card.period,
        "issued_at": now,
        "funding": (0..card.funding.len())
            .map(|i| stored_funding(&card.funding, i as u8))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_route_is_where_links_send_the_wallet() {
        assert_eq!(
            paycode_wallet::core::activation::REDEEM_PATH,
            "/v1/activations/redeem"
        );
    }
}
