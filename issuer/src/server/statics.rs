//! The static files (wallet and till pages) and the headers every answer
//! carries.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::{
    HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

pub(crate) fn service(www: &Path) -> ServeDir {
    ServeDir::new(www).append_index_html_on_directories(true)
}

/// Types browsers insist on: `WebAssembly.instantiateStreaming` needs
/// application/wasm, and manifests are application/manifest+json. Set here
/// whatever the MIME table of the static file server says.
const STRICT_TYPES: [(&str, &str); 2] = [
    (".wasm", "application/wasm"),
    (".webmanifest", "application/manifest+json"),
];

fn set(response: &mut Response, name: HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

/// Middleware for every answer: no MIME sniffing, no referrer; API answers
/// (a card's link among them) never cached; the service worker always
/// revalidated so a new version reaches the wallet.
pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    set(&mut response, X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(&mut response, REFERRER_POLICY, "no-referrer");
    if path == "/api" || path.starts_with("/api/") {
        set(&mut response, CACHE_CONTROL, "no-store");
    } else if path == "/sw.js" {
        set(&mut response, CACHE_CONTROL, "no-cache");
    }
    if response.status().is_success() {
        if let Some((_, mime)) = STRICT_TYPES.iter().find(|(ext, _)| path.ends_with(ext)) {
            set(&mut response, CONTENT_TYPE, mime);
        }
    }
    response
}
