//! The four endpoints. Each authenticates ([`Signed`]), reads its body,
//! then runs one payment-service call with the nonce in a savepoint of
//! the writer's group commit: a refused call rolls its own savepoint back
//! but keeps the nonce, so the signed request stays single-use.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Signed;
use super::error::V1Error;
use super::{wire, V1State};
use crate::payments::events::WalletEvent;
use crate::payments::{PaymentError, PaymentService};
use crate::server::wallet::charge_json;
use crate::store::{StoreError, StoreTx};

type V1 = State<Arc<V1State>>;
type Answer = Result<Json<Value>, V1Error>;

/// Which payment a call's result is about, for the phone's live results:
/// what happened, and the out_trade_no.
type EventOf = Option<(&'static str, String)>;

/// Runs `call` for the signed request in the writer: the nonce first, then
/// the call in a savepoint of its own. Once committed, the payment named
/// by `event` is announced to its card's phone.
async fn run<F>(state: &V1State, signed: Signed, event: EventOf, call: F) -> Answer
where
    F: FnOnce(&mut dyn StoreTx, &PaymentService, &str, u64) -> Result<Value, PaymentError>
        + Send
        + 'static,
{
    let outcome = state
        .db
        .write(
            move |tx, service| -> Result<(Result<Value, PaymentError>, Option<WalletEvent>), V1Error> {
                signed.remember_nonce(tx)?;
                let mut inner = tx.nested()?;
                match call(
                    inner.as_mut(),
                    service,
                    &signed.merchant,
                    crate::server::now(),
                ) {
                    Ok(value) => {
                        inner.commit()?;
                        let announced = match event {
                            Some((kind, no)) => event_of(tx, &signed.merchant, kind, &no)?,
                            None => None,
                        };
                        Ok((Ok(value), announced))
                    }
                    Err(PaymentError::Refused(code)) => Ok((Err(PaymentError::Refused(code)), None)),
                    Err(PaymentError::Store(e)) => Err(V1Error::system(e)),
                }
            },
        )
        .await?;
    let (answer, announced) = outcome;
    // Only now is the result durable: the phone may see it.
    if let Some(e) = announced {
        state.events.publish(e);
    }
    answer.map(Json).map_err(V1Error::from)
}

/// The payment as its card's history row, for the card's phone; `None`
/// when no card paid it (a code that was not genuine, say).
fn event_of(
    tx: &mut dyn StoreTx,
    merchant: &str,
    kind: &'static str,
    out_trade_no: &str,
) -> Result<Option<WalletEvent>, StoreError> {
    let Some(payment) = tx.payment(merchant, out_trade_no)? else {
        return Ok(None);
    };
    let Some(card) = payment.card else {
        return Ok(None);
    };
    Ok(Some(WalletEvent {
        card,
        kind,
        data: charge_json(tx, &payment)?,
    }))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, PaymentError> {
    serde_json::to_value(value).map_err(|e| {
        PaymentError::Store(crate::store::StoreError::Database(format!(
            "an answer did not serialise: {e}"
        )))
    })
}

/// `POST /v1/payments`.
pub(crate) async fn pay(State(state): V1, signed: Signed) -> Answer {
    let request = wire::pay_request(&signed.body, signed.json_body)?;
    let event = Some(("payment", request.out_trade_no.clone()));
    run(&state, signed, event, move |tx, service, merchant, now| {
        to_json(&service.pay(tx, merchant, &request, now)?)
    })
    .await
}

/// A route's out_trade_no; one that is not UTF-8 once decoded names no
/// payment of any merchant.
type OrderNo = Result<Path<String>, axum::extract::rejection::PathRejection>;

fn order_no_of(path: OrderNo) -> Result<String, V1Error> {
    let Ok(Path(no)) = path else {
        return Err(V1Error::invalid(
            "out_trade_no is 1 to 32 of A-Z a-z 0-9 _ -",
        ));
    };
    wire::path_order_no(&no)?;
    Ok(no)
}

/// `GET /v1/payments/{out_trade_no}`. A write job: a USERPAYING payment
/// past its deadline is closed by the query, and the nonce is recorded.
pub(crate) async fn query(State(state): V1, path: OrderNo, signed: Signed) -> Answer {
    let no = order_no_of(path)?;
    wire::no_fields(&signed.body, signed.json_body)?;
    run(&state, signed, None, move |tx, service, merchant, now| {
        to_json(&service.query(tx, merchant, &no, now)?)
    })
    .await
}

/// `POST /v1/payments/{out_trade_no}/reverse`, body nothing or `{}`.
pub(crate) async fn reverse(State(state): V1, path: OrderNo, signed: Signed) -> Answer {
    let no = order_no_of(path)?;
    wire::no_fields(&signed.body, signed.json_body)?;
    let event = Some(("reverse", no.clone()));
    run(&state, signed, event, move |tx, service, merchant, now| {
        to_json(&service.reverse(tx, merchant, &no, now)?)
    })
    .await
}

/// `POST /v1/refunds`: the refund, with `status` and the payment's
/// `refunded` sum so far.
pub(crate) async fn refund(State(state): V1, signed: Signed) -> Answer {
    let request = wire::refund_request(&signed.body, signed.json_body)?;
    let event = Some(("refund", request.out_trade_no.clone()));
    run(&state, signed, event, move |tx, service, merchant, now| {
        let refund = service.refund(tx, merchant, &request, now)?;
        let payment = service.query(tx, merchant, &refund.out_trade_no, now)?;
        let mut answer = to_json(&refund)?;
        answer["status"] = json!("SUCCESS");
        answer["refunded"] = json!(payment.refunded.map(|f| f.to_string()));
        Ok(answer)
    })
    .await
}
