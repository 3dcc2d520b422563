//! The wallet page's route: a card's history. The demo routes are in
//! [`super::demo`], the merchant API in [`super::v1`].

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use paycode_wallet::core::code::{Layout, TOKEN_LIMIT};
use paycode_wallet::core::funding::Funding;
use serde::Deserialize;
use serde_json::{json, Value};

use super::db::Db;
use super::error::ApiError;
use crate::payments::PaymentStatus;
use crate::store::{AnyStore, CardKey, PaymentRecord, Store, StoreError, TxMode};

const DEFAULT_HISTORY: u32 = 20;
const MAX_HISTORY: u32 = 100;

pub(crate) type AppDb = State<Arc<Db>>;

/// A stored funding source as shown in answers.
pub(crate) fn stored_funding(sources: &[Funding], index: u8) -> Value {
    match sources.get(usize::from(index)) {
        Some(source) => {
            json!({ "index": index, "source": source.to_link_value(), "label": source.label() })
        }
        None => json!({ "index": index, "source": null, "label": null }),
    }
}

/// A card's funding sources, and its newest payments with the name of
/// the merchant of each.
struct History {
    funding: Vec<Funding>,
    rows: Vec<(PaymentRecord, Option<String>)>,
}

/// `None` when there is no such card.
fn read_history(
    store: &mut AnyStore,
    key: CardKey,
    limit: u32,
) -> Result<Option<History>, StoreError> {
    let mut tx = store.begin(TxMode::Read)?;
    let Some(card) = tx.card(key)? else {
        return Ok(None);
    };
    let mut rows = Vec::new();
    for p in tx.payments_of(key, limit)? {
        let name = tx.merchant(&p.merchant)?.map(|m| m.name);
        rows.push((p, name));
    }
    Ok(Some(History {
        funding: card.funding,
        rows,
    }))
}

/// The history's `result`, as the wallet page reads it.
fn result_of(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Success | PaymentStatus::PartiallyRefunded => "approved",
        PaymentStatus::Userpaying => "pin_required",
        PaymentStatus::Failed => "failed",
        PaymentStatus::Closed => "closed",
        PaymentStatus::Reversed => "reversed",
        PaymentStatus::Refunded => "refunded",
    }
}

#[derive(Deserialize)]
pub(crate) struct HistoryQuery {
    prefix: Option<u8>,
    limit: Option<u32>,
}

/// `GET /api/cards/{token}/history[?prefix=13&limit=20]`: the card's
/// payments, newest first.
pub(crate) async fn history(
    State(db): AppDb,
    token: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found(
            "unknown_card",
            "no card has this token",
        ));
    };
    let Query(query) = query.map_err(|e| ApiError::invalid("bad_query", e.body_text()))?;
    let prefix = query.prefix.unwrap_or(Layout::DEFAULT.prefix);
    if !(10..=15).contains(&prefix) {
        return Err(ApiError::invalid("bad_prefix", "the prefix is 10 to 15"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_HISTORY);
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(ApiError::invalid(
            "bad_limit",
            format!("the limit is 1 to {MAX_HISTORY}"),
        ));
    }
    let unknown = || ApiError::not_found("unknown_card", "no card has this token");
    let token = match token.parse::<u32>() {
        Ok(t) if t < TOKEN_LIMIT && token.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => return Err(unknown()),
    };
    let key = CardKey { prefix, token };
    let Some(History {
        funding: sources,
        rows,
    }) = db.read(move |conn| read_history(conn, key, limit)).await?
    else {
        return Err(unknown());
    };
    let charges: Vec<Value> = rows
        .iter()
        .map(|(p, merchant)| {
            json!({
                "charge_id": p.id,
                "status": p.status.as_str(),
                "amount": p.amount.map(|f| f.to_string()),
                "merchant": merchant,
                "time": p.created,
                "result": result_of(p.status),
                "funding": p.funding.as_ref().map(|f| stored_funding(&sources, f.index)),
            })
        })
        .collect();
    Ok(Json(
        json!({ "token": token, "prefix": prefix, "charges": charges }),
    ))
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
