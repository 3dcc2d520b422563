//! Refusals of the merchant API as `{"error": {"code", "message"}}` with
//! the HTTP status the doc gives each code (docs/MERCHANT_API.md).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::payments::{ErrorCode, PaymentError};
use crate::server::db::NotCommitted;
use crate::store::StoreError;

/// The one message of every 401: which check failed goes to the server's
/// log only, so a caller learns nothing (not even which merchant ids exist).
pub(crate) const UNAUTHORIZED_MESSAGE: &str =
    "the request is not signed by a known merchant or card, or its signature, ts or nonce is not accepted";

#[derive(Debug)]
pub(crate) struct V1Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// Wrong-PIN answers of the wallet routes: tries left.
    pub attempts_left: Option<u32>,
}

impl V1Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> V1Error {
        V1Error {
            status,
            code,
            message: message.into(),
            retry_after: None,
            attempts_left: None,
        }
    }

    pub fn unauthorized() -> V1Error {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            UNAUTHORIZED_MESSAGE,
        )
    }

    pub fn invalid(message: impl Into<String>) -> V1Error {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }

    pub fn not_found() -> V1Error {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "there is no such route in the merchant API",
        )
    }

    pub fn rate_limited(seconds: u64, who: &str) -> V1Error {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("too many requests from this {who}; wait {seconds} s"),
        );
        e.retry_after = Some(seconds.max(1));
        e
    }

    /// The database cannot be reached: nothing was done, send the same
    /// request again in a second. The detail goes to the server's log.
    pub fn unavailable(detail: impl std::fmt::Display) -> V1Error {
        eprintln!("paycode serve: database unavailable: {detail}");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SYSTEMERROR",
            "the issuer's database is unavailable; nothing was done: retry the same request",
        );
        e.retry_after = Some(1);
        e
    }

    /// The detail goes to the server's log, not to the client.
    pub fn system(detail: impl std::fmt::Display) -> V1Error {
        eprintln!("paycode serve: internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEMERROR",
            "the issuer failed; the outcome is unknown: query, then reverse",
        )
    }

    /// A refusal of the payment service, under the doc's name for it.
    pub fn refused(code: ErrorCode) -> V1Error {
        let (status, wire) = match code {
            ErrorCode::OutTradeNoConflict => (StatusCode::CONFLICT, "OUT_TRADE_NO_CONFLICT"),
            ErrorCode::OutRefundNoConflict => (StatusCode::CONFLICT, "OUT_REFUND_NO_CONFLICT"),
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ErrorCode::InvalidRequest => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
            ErrorCode::PaymentRefunded => (StatusCode::UNPROCESSABLE_ENTITY, "REVERSE_NOT_ALLOWED"),
            ErrorCode::PaymentNotRefundable => {
                (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_NOT_ALLOWED")
            }
            ErrorCode::RefundExceedsPayment => {
                (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_EXCEEDS_PAID")
            }
            other => (StatusCode::UNPROCESSABLE_ENTITY, other.as_str()),
        };
        Self::new(status, wire, code.message())
    }
}

impl From<PaymentError> for V1Error {
    fn from(e: PaymentError) -> V1Error {
        match e {
            PaymentError::Refused(code) => V1Error::refused(code),
            // A store that went away mid-payment rolled it back: 503.
            PaymentError::Store(e) => V1Error::from(e),
        }
    }
}

impl From<StoreError> for V1Error {
    fn from(e: StoreError) -> V1Error {
        match e {
            StoreError::Unavailable(_) => V1Error::unavailable(e),
            other => V1Error::system(other),
        }
    }
}

impl From<NotCommitted> for V1Error {
    fn from(e: NotCommitted) -> V1Error {
        if e.never_ran {
            V1Error::unavailable("the write transaction could not begin")
        } else {
            V1Error::system("the write was not committed")
        }
    }
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let Some(left) = self.attempts_left {
            body["error"]["attempts_left"] = json!(left);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_lost_mid_payment_is_503_with_retry_after() {
        let lost = V1Error::from(PaymentError::Store(StoreError::Unavailable(
            "connection closed".into(),
        )));
        assert_eq!(lost.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(lost.retry_after, Some(1));
        let broken = V1Error::from(PaymentError::Store(StoreError::Corrupt("x".into())));
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.retry_after, None);
    }
}
