//! Cross-origin access to the wallet routes: a wallet page served from
//! another origin (a card whose link names this issuer's `api` origin,
//! docs/FORMAT.md §8) reads its card's answers here.
//!
//! Any origin may ask, because the request's signature is the only
//! authority these routes accept: no cookie or other ambient credential
//! works here, and `Access-Control-Allow-Credentials` is never sent, so a
//! foreign page learns nothing it could not sign for with the card's key.

use std::time::Duration;

use axum::http::{header, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight answer (Chromium caps it at 2 h).
const PREFLIGHT_CACHE: Duration = Duration::from_secs(600);

pub(in crate::server) fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(PREFLIGHT_CACHE)
}
