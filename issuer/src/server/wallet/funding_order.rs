//! The payer's order of the card's funding sources, over the card channel:
//!
//! - `GET /v1/wallet/funding-order`: the order the issuer follows;
//! - `PUT /v1/wallet/funding-order {"order": [2, 0, 1]}`: a new one, each
//!   of the card's funding indices once; anything else is 400
//!   `INVALID_FUNDING_ORDER` and changes nothing.
//!
//! Both answer `{"order", "chosen", "fall_through"}`: `order` is the
//! payer's, or index order when `chosen` is false; `fall_through` says
//! whether this card tries another source at all when the one a code names
//! cannot pay (when false, the order is kept but has no effect).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CardSigned;
use super::WalletState;
use crate::server::v1::error::V1Error;
use crate::store::{check_funding_order, CardKey, CardRecord, FundingOrderError, StoreTx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderBody {
    order: Vec<u64>,
}

fn invalid(message: impl Into<String>) -> V1Error {
    V1Error::new(StatusCode::BAD_REQUEST, FundingOrderError::CODE, message)
}

fn body_of(signed: &CardSigned) -> Result<Vec<u64>, V1Error> {
    let shape = "the body must be application/json {\"order\": [each funding index once]}";
    if !signed.json_body {
        return Err(invalid(shape));
    }
    let body: OrderBody = serde_json::from_slice(&signed.body).map_err(|_| invalid(shape))?;
    Ok(body.order)
}

/// The signing card: it exists, since only a stored card can sign.
fn card_of(tx: &mut dyn StoreTx, key: CardKey) -> Result<CardRecord, V1Error> {
    tx.card(key)?
        .ok_or_else(|| V1Error::system("a card that signed is not stored"))
}

fn answer(card: &CardRecord, chosen: Option<Vec<u8>>) -> Json<Value> {
    let count = u8::try_from(card.funding.len()).unwrap_or(u8::MAX);
    let is_chosen = chosen.is_some();
    let order = chosen.unwrap_or_else(|| (0..count).collect());
    Json(json!({
        "order": order,
        "chosen": is_chosen,
        "fall_through": card.fall_through,
    }))
}

/// `GET /v1/wallet/funding-order`.
pub(crate) async fn get_order(
    State(state): State<Arc<WalletState>>,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let key = signed.card;
    // In the writer, as history: the nonce is recorded with the read.
    state
        .db
        .write(move |tx, _| -> Result<Json<Value>, V1Error> {
            signed.remember_nonce(tx)?;
            let card = card_of(tx, key)?;
            let chosen = tx.funding_order(key)?;
            Ok(answer(&card, chosen))
        })
        .await
}

/// `PUT /v1/wallet/funding-order`.
pub(crate) async fn set_order(
    State(state): State<Arc<WalletState>>,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let given = body_of(&signed)?;
    let key = signed.card;
    state
        .db
        .write(move |tx, _| -> Result<Json<Value>, V1Error> {
            signed.remember_nonce(tx)?;
            let card = card_of(tx, key)?;
            let order = check_funding_order(&given, card.funding.len())
                .map_err(|e| invalid(e.to_string()))?;
            if !tx.set_funding_order(key, &order)? {
                return Err(V1Error::system("a card that signed is not stored"));
            }
            Ok(answer(&card, Some(order)))
        })
        .await
}
