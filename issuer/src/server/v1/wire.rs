//! Request bodies as the doc defines them: unknown fields refused, amounts
//! as yuan strings, read exactly.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::V1Error;
use crate::money::{parse_amount, Fen};
use crate::payments::{valid_order_no, ErrorCode, PayRequest, RefundRequest};
use axum::http::StatusCode;

/// Longest `description`, in characters.
pub const MAX_DESCRIPTION: usize = 128;
/// Longest `auth_code` looked at: codes are at most 24 digits.
pub const MAX_AUTH_CODE: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayBody {
    out_trade_no: String,
    auth_code: String,
    amount: String,
    currency: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    out_trade_no: String,
    out_refund_no: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

fn json<T: DeserializeOwned>(bytes: &[u8], is_json: bool) -> Result<T, V1Error> {
    if !is_json {
        return Err(V1Error::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    // serde's message names the field and the place, never a value.
    serde_json::from_slice(bytes)
        .map_err(|e| V1Error::invalid(format!("the body is not a usable request: {e}")))
}

fn order_no(field: &str, text: &str) -> Result<(), V1Error> {
    if valid_order_no(text) {
        Ok(())
    } else {
        Err(V1Error::invalid(format!(
            "{field} is 1 to 32 of A-Z a-z 0-9 _ -"
        )))
    }
}

fn amount(text: &str) -> Result<Fen, V1Error> {
    parse_amount(text).map_err(|_| V1Error::refused(ErrorCode::AmountInvalid))
}

pub fn pay_request(bytes: &[u8], is_json: bool) -> Result<PayRequest, V1Error> {
    let body: PayBody = json(bytes, is_json)?;
    order_no("out_trade_no", &body.out_trade_no)?;
    if body.auth_code.is_empty() || body.auth_code.len() > MAX_AUTH_CODE {
        return Err(V1Error::invalid(format!(
            "auth_code is the scanned code, 1 to {MAX_AUTH_CODE} characters"
        )));
    }
    if let Some(d) = &body.description {
        if d.chars().count() > MAX_DESCRIPTION || d.chars().any(char::is_control) {
            return Err(V1Error::invalid(format!(
                "description is at most {MAX_DESCRIPTION} characters, without control characters"
            )));
        }
    }
    Ok(PayRequest {
        amount: amount(&body.amount)?,
        out_trade_no: body.out_trade_no,
        auth_code: body.auth_code,
        currency: body.currency,
        description: body.description,
    })
}

pub fn refund_request(bytes: &[u8], is_json: bool) -> Result<RefundRequest, V1Error> {
    let body: RefundBody = json(bytes, is_json)?;
    order_no("out_trade_no", &body.out_trade_no)?;
    order_no("out_refund_no", &body.out_refund_no)?;
    Ok(RefundRequest {
        amount: amount(&body.amount)?,
        out_trade_no: body.out_trade_no,
        out_refund_no: body.out_refund_no,
    })
}

/// A reverse takes no fields: nothing, or `{}`.
pub fn no_fields(bytes: &[u8], is_json: bool) -> Result<(), V1Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    json::<Empty>(bytes, is_json).map(|_| ())
}

/// The out_trade_no of a route, checked as a body field would be.
pub fn path_order_no(text: &str) -> Result<(), V1Error> {
    order_no("out_trade_no", text)
}
