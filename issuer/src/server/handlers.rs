//! What the `/api/` routes share: funding sources as answers show them,
//! and the JSON 404 and 405. The demo routes are in [`super::demo`], the
//! card-signed wallet routes in [`super::wallet`], the merchant API in
//! [`super::v1`].

use axum::http::StatusCode;
use paycode_wallet::core::funding::Funding;
use serde_json::{json, Value};

use super::error::ApiError;

/// A stored funding source as shown in answers.
pub(crate) fn stored_funding(sources: &[Funding], index: u8) -> Value {
    match sources.get(usize::from(index)) {
        Some(source) => {
            json!({ "index": index, "source": source.to_link_value(), "label": source.label() })
        }
        None => json!({ "index": index, "source": null, "label": null }),
    }
}

/// Unknown `/api/...` paths.
pub(crate) async fn api_not_found() -> ApiError {
    ApiError::not_found("not_found", "there is no such API endpoint")
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method",
    )
}
