//! Every refusal of the `/api/` (wallet and demo) routes as JSON `{"error": KIND, "message": TEXT, ...}` with a
//! status code that fits.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

use super::db::NotCommitted;
use crate::store::StoreError;

#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// More fields for the body (a rejected charge's `result`, ...).
    pub extra: Map<String, Value>,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    pub fn invalid(kind: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, kind, message)
    }

    pub fn not_found(kind: &'static str, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, kind, message)
    }

    /// The detail goes to the server's log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        eprintln!("paycode serve: internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the issuer failed to answer; try again",
        )
    }

    pub fn unsupported_media_type() -> ApiError {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if let StoreError::Unavailable(_) = e {
            // The transaction never committed: the same request may come again.
            eprintln!("paycode serve: database unavailable: {e}");
            let mut error = Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                e.kind(),
                "the issuer's database is unavailable; nothing was done: try again shortly",
            );
            error.retry_after = Some(1);
            return error;
        }
        let mut error = ApiError::internal(&e);
        error.kind = e.kind();
        error
    }
}

impl From<NotCommitted> for ApiError {
    fn from(_: NotCommitted) -> ApiError {
        ApiError::internal("the write was not committed")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.extra;
        body.insert("error".into(), Value::from(self.kind));
        body.insert("message".into(), Value::from(self.message));
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_503_with_retry_after_not_500() {
        let down = ApiError::from(StoreError::Unavailable("connection refused".into()));
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(down.kind, "database_unavailable");
        assert!(!down.message.contains("refused"), "detail stays in the log");
        let response = down.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let broken = ApiError::from(StoreError::Corrupt("bad amount".into()));
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
