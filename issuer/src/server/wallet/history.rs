//! `GET /v1/wallet/history[?limit=20]`, signed by the card: the card's
//! payments, newest first, and whether the payer has chosen a PIN. The card is the one that signed; nothing in
//! the URL names it, so a token alone reads nothing.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::CardSigned;
use super::WalletState;
use crate::payments::PaymentStatus;
use crate::server::handlers::stored_funding;
use crate::server::v1::error::V1Error;
use crate::store::{CardKey, PaymentRecord, StoreError, StoreTx};

const DEFAULT_HISTORY: u32 = 20;
const MAX_HISTORY: u32 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    limit: Option<u32>,
}

/// The history's `result`, as the wallet page reads it.
pub(crate) fn result_of(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Success | PaymentStatus::PartiallyRefunded => "approved",
        PaymentStatus::Userpaying => "pin_required",
        PaymentStatus::Failed => "failed",
        PaymentStatus::Closed => "closed",
        PaymentStatus::Reversed => "reversed",
        PaymentStatus::Refunded => "refunded",
    }
}

/// One payment as the wallet shows it: the merchant's name as the issuer
/// knows it (never what a till says), and the funding source it drew on.
pub(crate) fn charge_json(tx: &mut dyn StoreTx, p: &PaymentRecord) -> Result<Value, StoreError> {
    let merchant = tx.merchant(&p.merchant)?.map(|m| m.name);
    let sources = match p.card {
        Some(card) => tx.card(card)?.map(|c| c.funding).unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(json!({
        "charge_id": p.id,
        "status": p.status.as_str(),
        "amount": p.amount.map(|f| f.to_string()),
        "merchant": merchant,
        "time": p.created,
        "result": result_of(p.status),
        "funding": p.funding.as_ref().map(|f| stored_funding(&sources, f.index)),
    }))
}

fn read_history(tx: &mut dyn StoreTx, key: CardKey, limit: u32) -> Result<Vec<Value>, StoreError> {
    let mut charges = Vec::new();
    for p in tx.payments_of(key, limit)? {
        charges.push(charge_json(tx, &p)?);
    }
    Ok(charges)
}

pub(crate) async fn history(
    State(state): State<Arc<WalletState>>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let Query(query) = query.map_err(|e| V1Error::invalid(e.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_HISTORY);
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(V1Error::invalid(format!("the limit is 1 to {MAX_HISTORY}")));
    }
    let key = signed.card;
    // In the writer: the nonce is recorded in the same transaction, so a
    // replayed history request is refused like any other.
    let (charges, pin_set) = state
        .db
        .write(move |tx, _| -> Result<(Vec<Value>, bool), V1Error> {
            signed.remember_nonce(tx)?;
            Ok((read_history(tx, key, limit)?, tx.pin(key)?.is_some()))
        })
        .await?;
    Ok(Json(json!({
        "token": key.token,
        "prefix": key.prefix,
        "time": crate::server::now(),
        "pin_set": pin_set,
        "charges": charges,
    })))
}
