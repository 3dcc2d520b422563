//! The static files (wallet and till pages) and the content types
//! browsers insist on. Their security headers are in [`super::headers`].

use std::path::Path;

use axum::http::header::{HeaderValue, CONTENT_TYPE};
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

/// Sets the strict type of a successful answer for `path`, if it has one.
pub(crate) fn strict_type(path: &str, response: &mut Response) {
    if !response.status().is_success() {
        return;
    }
    if let Some((_, mime)) = STRICT_TYPES.iter().find(|(ext, _)| path.ends_with(ext)) {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(mime));
    }
}
