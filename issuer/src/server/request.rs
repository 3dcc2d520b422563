//! Request bodies of the `/api/` routes, with every way they can be wrong
//! mapped to an [`ApiError`]. Only `application/json` bodies are read: a
//! browser cannot send that cross-site without asking first (CORS
//! preflight, which this server never grants).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::{DeserializeOwned, IgnoredAny};

use super::error::ApiError;
use super::BODY_LIMIT;

/// The body as bytes, at most [`BODY_LIMIT`] of them.
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!("the request body is over {BODY_LIMIT} bytes"),
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_body",
                        "the request body could not be read",
                    )
                }
            })
    }
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A body that is not JSON is 400 `malformed_json`; JSON of the wrong shape
/// is 422 `invalid_fields`. The syntax is checked on its own first: a typed
/// decode stops at the first value of the wrong type, before it reaches a
/// syntax error further on (`5 x` or a truncated `{"code":5` would read as
/// a wrong shape). Once the syntax is good every error is about the shape,
/// whatever serde's class for it (a number out of range is valid JSON).
/// The message is serde's, which names the place and the field but never
/// echoes values.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<IgnoredAny>(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("invalid_fields", format!("the request is not usable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // Only decoded; its fields are the shape under test.
    struct Shape {
        code: String,
        amount: f64,
    }

    fn kind(body: &str) -> (u16, &'static str) {
        match decode::<Shape>(body.as_bytes()) {
            Ok(_) => (200, "ok"),
            Err(e) => (e.status.as_u16(), e.kind),
        }
    }

    #[test]
    fn text_that_is_not_json_is_malformed_even_after_a_wrong_typed_value() {
        for body in [
            "5 x",
            "{\"code\":5",
            "[1,",
            "",
            "{\"code\":\"1\",\"amount\":1} x",
            "\"x",
        ] {
            assert_eq!(kind(body), (400, "malformed_json"), "{body:?}");
        }
    }

    #[test]
    fn json_of_the_wrong_shape_is_invalid_fields() {
        for body in [
            "5",
            "[1, 2]",
            "{\"code\":5,\"amount\":1}",
            "{\"code\":\"1\"}",
            // Valid JSON whose number no f64 holds: a shape error, not syntax.
            "{\"code\":\"1\",\"amount\":1e400}",
        ] {
            assert_eq!(kind(body), (422, "invalid_fields"), "{body:?}");
        }
        assert_eq!(kind("{\"code\":\"1\",\"amount\":1.5}"), (200, "ok"));
    }
}
