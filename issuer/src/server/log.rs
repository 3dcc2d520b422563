//! One log line per request: method, route, status and milliseconds.
//! Never a body, a key, a code or a header value; the route is the matched
//! pattern (`/v1/payments/{out_trade_no}`), so not even order numbers or
//! card tokens reach the log. Sits in `route_layer`s, after routing, where
//! the matched pattern is known.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub(crate) async fn requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("?", |p| p.as_str())
        .to_owned();
    let response = next.run(request).await;
    eprintln!(
        "paycode serve: {method} {route} {} {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}
