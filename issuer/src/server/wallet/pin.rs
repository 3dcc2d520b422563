//! The PIN on the phone, over the card channel:
//!
//! - `POST /v1/wallet/pin {"pin"}`: the payer's chosen PIN for a card that
//!   has none yet (409 `PIN_ALREADY_SET` otherwise);
//! - `POST /v1/wallet/payments/{payment_id}/confirm {"pin"}`: a USERPAYING
//!   payment of this card, confirmed: 200 and the payment (SUCCESS, or as
//!   it is when it no longer waits); 403 `PIN_INCORRECT` with
//!   `attempts_left`; 423 `PIN_BLOCKED` after three wrong PINs, until
//!   `paycode pin reset CARD`; 409 `NO_PIN` when none was chosen;
//! - `POST /v1/wallet/payments/{payment_id}/decline`: FAILED
//!   (`PAYER_DECLINED`).
//!
//! The Argon2id check runs on a blocking thread before the write; the
//! write then applies it with the nonce. Results go to the phone's stream
//! and the till's query sees them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::auth::CardSigned;
use super::history::charge_json;
use super::WalletState;
use crate::payments::events::WalletEvent;
use crate::payments::pin::PinOutcome;
use crate::payments::{Payment, PaymentError};
use crate::server::pin::{check_pin, hash_pin, pin_matches};
use crate::server::v1::error::V1Error;
use crate::store::{CardKey, Store, StoreError, StoreTx, TxMode};

type Wallet = State<Arc<WalletState>>;
type PaymentId = Result<Path<String>, axum::extract::rejection::PathRejection>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    pin: String,
}

/// The `{"pin"}` body; the PIN never appears in an error message.
fn pin_body(signed: &CardSigned) -> Result<Zeroizing<String>, V1Error> {
    if !signed.json_body {
        return Err(V1Error::invalid(
            "the body must be application/json {\"pin\"}",
        ));
    }
    let body: PinBody = serde_json::from_slice(&signed.body)
        .map_err(|_| V1Error::invalid("the body must be {\"pin\": \"six digits\"}"))?;
    let pin = Zeroizing::new(body.pin);
    check_pin(&pin).map_err(|e| V1Error::invalid(e.to_string()))?;
    Ok(pin)
}

fn payment_id_of(path: PaymentId) -> Result<String, V1Error> {
    match path {
        Ok(Path(id)) if id.len() <= 64 && id.bytes().all(crate::signing::is_token_char) => Ok(id),
        _ => Err(V1Error::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this card has no such payment",
        )),
    }
}

fn refused(e: PaymentError) -> V1Error {
    match e {
        PaymentError::Refused(crate::payments::ErrorCode::NotFound) => V1Error::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "this card has no such payment",
        ),
        other => V1Error::from(other),
    }
}

/// The payment's new state for the card's phone, once committed.
fn event_of(
    tx: &mut dyn StoreTx,
    card: CardKey,
    id: &str,
) -> Result<Option<WalletEvent>, StoreError> {
    let Some(p) = tx.payment_by_id(id)? else {
        return Ok(None);
    };
    Ok(Some(WalletEvent {
        card,
        kind: "payment",
        data: charge_json(tx, &p)?,
    }))
}

fn answer(payment: &Payment) -> Result<Json<Value>, V1Error> {
    serde_json::to_value(payment)
        .map(Json)
        .map_err(|e| V1Error::system(format!("an answer did not serialise: {e}")))
}

/// `POST /v1/wallet/pin`.
pub(crate) async fn set_pin(
    State(state): Wallet,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let pin = pin_body(&signed)?;
    let stored = tokio::task::spawn_blocking(move || hash_pin(&pin))
        .await
        .map_err(V1Error::system)?;
    let card = signed.card;
    state
        .db
        .write(move |tx, _| -> Result<(), V1Error> {
            signed.remember_nonce(tx)?;
            match tx.insert_pin(card, &stored) {
                Ok(()) => Ok(()),
                Err(StoreError::Duplicate) => Err(V1Error::new(
                    StatusCode::CONFLICT,
                    "PIN_ALREADY_SET",
                    "this card already has a PIN; the issuer resets it",
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok(Json(json!({ "pin_set": true })))
}

/// `POST /v1/wallet/payments/{payment_id}/confirm`.
pub(crate) async fn confirm(
    State(state): Wallet,
    path: PaymentId,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let id = payment_id_of(path)?;
    let pin = pin_body(&signed)?;
    let card = signed.card;
    let stored = state
        .db
        .read(move |store| store.begin(TxMode::Read)?.pin(card))
        .await?
        .ok_or_else(|| {
            V1Error::new(
                StatusCode::CONFLICT,
                "NO_PIN",
                "this card has no PIN yet; choose one first",
            )
        })?;
    let matches = tokio::task::spawn_blocking(move || pin_matches(&stored, &pin))
        .await
        .map_err(V1Error::system)?;
    let (outcome, event) = state
        .db
        .write(move |tx, service| -> Result<_, V1Error> {
            signed.remember_nonce(tx)?;
            let outcome = service
                .confirm_with_pin(tx, card, &id, matches, crate::server::now())
                .map_err(refused)?;
            let event = match outcome {
                PinOutcome::Done(_) => event_of(tx, card, &id)?,
                _ => None,
            };
            Ok((outcome, event))
        })
        .await?;
    if let Some(e) = event {
        state.events.publish(e);
    }
    match outcome {
        PinOutcome::Done(payment) => answer(&payment),
        PinOutcome::Wrong { left } => {
            let mut e = V1Error::new(StatusCode::FORBIDDEN, "PIN_INCORRECT", "the PIN is not this card's");
            e.attempts_left = Some(left);
            Err(e)
        }
        PinOutcome::Blocked => Err(V1Error::new(
            StatusCode::LOCKED,
            "PIN_BLOCKED",
            "too many wrong PINs: PIN payments of this card are blocked until the issuer resets them",
        )),
    }
}

/// `POST /v1/wallet/payments/{payment_id}/decline`.
pub(crate) async fn decline(
    State(state): Wallet,
    path: PaymentId,
    signed: CardSigned,
) -> Result<Json<Value>, V1Error> {
    let id = payment_id_of(path)?;
    let card = signed.card;
    let (payment, event) = state
        .db
        .write(move |tx, service| -> Result<_, V1Error> {
            signed.remember_nonce(tx)?;
            let payment = service
                .decline(tx, card, &id, crate::server::now())
                .map_err(refused)?;
            Ok((payment, event_of(tx, card, &id)?))
        })
        .await?;
    if let Some(e) = event {
        state.events.publish(e);
    }
    answer(&payment)
}
