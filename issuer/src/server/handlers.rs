//! The API endpoints. Each turns its request into store work on the
//! writer thread or a reader, then into JSON.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use paycode_wallet::core::code::{Layout, ParsedCode, TOKEN_LIMIT};
use paycode_wallet::core::funding::Funding;
use serde::Deserialize;
use serde_json::{json, Value};

use super::db::{self, Db, Writer};
use super::error::ApiError;
use super::pin::{self, PinHash};
use super::request::{JsonBody, RawBody};
use crate::money::{parse_amount, Fen};
use crate::provision::{provision, NewCard, ProvisionError};
use crate::store::{CardKey, ChargeStatus, Store, StoreError, TxMode, NO_MERCHANT};
use crate::verifier::{ChargeOutcome, ChargeRequest, FundingUsed, RejectReason};
use paycode_wallet::core::limits::DEFAULT_PERIOD;

/// Longest code text looked at (codes are at most 24 digits; spaces allowed).
const MAX_CODE_TEXT: usize = 64;
const MAX_MERCHANT_CHARS: usize = 64;
const DEFAULT_HISTORY: u32 = 20;
const MAX_HISTORY: u32 = 100;
const DEMO_ISSUER: &str = "Demo Bank";
const DEMO_FUNDING: [&str; 2] = ["balance", "debit:ICBC:1234"];

pub(crate) type AppDb = State<Arc<Db>>;

fn funding_json(f: &FundingUsed) -> Value {
    json!({ "index": f.index, "source": f.source, "label": f.label })
}

/// A stored funding source as shown in answers.
fn stored_funding(sources: &[Funding], index: u8) -> Value {
    match sources.get(usize::from(index)) {
        Some(source) => {
            json!({ "index": index, "source": source.to_link_value(), "label": source.label() })
        }
        None => json!({ "index": index, "source": null, "label": null }),
    }
}

/// `POST /api/cards`: a new demo card and its PIN. The body is ignored (the
/// wallet sends none) but still limited in size.
pub(crate) async fn create_card(State(db): AppDb, _body: RawBody) -> Result<Json<Value>, ApiError> {
    let pin = pin::new_demo_pin();
    let pin_text = pin.clone();
    let hash = tokio::task::spawn_blocking(move || PinHash::new(&pin_text))
        .await
        .map_err(ApiError::internal)?;
    let now = super::now();
    let created = db
        .write(move |w| -> Result<_, ProvisionError> {
            let record = provision(
                w.verifier.store_mut(),
                NewCard {
                    issuer: DEMO_ISSUER.into(),
                    layout: Layout::DEFAULT,
                    period: DEFAULT_PERIOD,
                    funding: DEMO_FUNDING
                        .iter()
                        .map(|s| Funding::parse(s))
                        .collect::<Result<_, _>>()
                        .map_err(|e| ProvisionError::Store(StoreError::Corrupt(e.to_string())))?,
                    at: now,
                    fall_through: false,
                },
            )?;
            // A crash between the two commits leaves a card without a PIN:
            // its PIN charges can never complete (it fails closed), and its
            // link was never handed out.
            w.insert_pin(record.key, &hash)?;
            Ok(record)
        })
        .await?
        .map_err(|e| match e {
            ProvisionError::Store(e) => ApiError::from(e),
            other => ApiError::internal(other),
        })?;
    let card = created.to_card();
    Ok(Json(json!({
        "link": card.to_link(),
        "token": created.key.token,
        "prefix": created.key.prefix,
        "length": created.length,
        "period": created.period,
        "issued_at": created.created,
        "pin": pin.as_str(),
        "funding": (0..created.funding.len())
            .map(|i| stored_funding(&created.funding, i as u8))
            .collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub(crate) struct ChargeBody {
    code: String,
    /// Yuan: "12.50" or 12.5.
    amount: Value,
    #[serde(default)]
    merchant: Option<String>,
}

fn amount_of(value: &Value) -> Result<Fen, ApiError> {
    let text = match value {
        Value::String(s) => s.clone(),
        // A JSON number's shortest form gives back the digits that were sent
        // for every amount in range (at most 12 significant digits).
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(ApiError::invalid(
                "amount_not_a_number",
                "the amount must be yuan as a string like \"12.50\" or a number",
            ))
        }
    };
    parse_amount(&text).map_err(|e| ApiError::invalid(e.kind(), e.to_string()))
}

fn merchant_of(merchant: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(name) = merchant else {
        return Ok(None);
    };
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_MERCHANT_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "bad_merchant",
            format!("the merchant name must be at most {MAX_MERCHANT_CHARS} characters, without control characters"),
        ));
    }
    Ok(Some(name.to_owned()))
}

/// The status that fits each refusal of a code.
fn reject_status(reason: RejectReason) -> StatusCode {
    match reason {
        RejectReason::Replayed | RejectReason::Superseded => StatusCode::CONFLICT,
        RejectReason::UnknownCard => StatusCode::NOT_FOUND,
        RejectReason::Locked => StatusCode::TOO_MANY_REQUESTS,
        RejectReason::Revoked => StatusCode::FORBIDDEN,
        RejectReason::Malformed
        | RejectReason::UnknownPrefix
        | RejectReason::BadMac
        | RejectReason::Expired => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// `POST /api/charge {code, amount, merchant?}`.
pub(crate) async fn charge(
    State(db): AppDb,
    JsonBody(body): JsonBody<ChargeBody>,
) -> Result<Json<Value>, ApiError> {
    let amount = amount_of(&body.amount)?;
    let merchant = merchant_of(body.merchant)?;
    if body.code.len() > MAX_CODE_TEXT {
        return Err(ApiError::invalid(
            RejectReason::Malformed.kind(),
            "this is far too long to be a payment code",
        )
        .with("result", json!("rejected"))
        .with("reason", json!(RejectReason::Malformed.kind())));
    }
    // Scanners and people group digits with spaces; they are not part of the code.
    let code: String = body.code.chars().filter(|c| !c.is_whitespace()).collect();
    let (outcome, lock_wait) = {
        let merchant = merchant.clone();
        db.write(move |w| -> Result<_, StoreError> {
            let now = super::now();
            let outcome = w.verifier.charge(&ChargeRequest {
                code: &code,
                amount,
                now,
                merchant: merchant.as_deref(),
            })?;
            let wait = match &outcome {
                ChargeOutcome::Rejected(r) if r.reason == RejectReason::Locked => {
                    lock_wait(w, &code, now)?
                }
                _ => None,
            };
            Ok((outcome, wait))
        })
        .await??
    };
    let amount = amount.to_string();
    match outcome {
        ChargeOutcome::Approved { charge_id, code } => Ok(Json(json!({
            "result": "approved", "reason": null, "charge_id": charge_id,
            "funding": funding_json(&code.funding), "amount": amount,
            "merchant": merchant, "message": "approved",
        }))),
        ChargeOutcome::PinRequired {
            reason,
            charge_id,
            code,
        } => Ok(Json(json!({
            "result": "pin_required", "reason": reason.kind(), "charge_id": charge_id,
            "funding": funding_json(&code.funding), "amount": amount,
            "merchant": merchant, "message": reason.message(),
        }))),
        ChargeOutcome::Rejected(r) => {
            let mut e = ApiError::new(reject_status(r.reason), r.reason.kind(), r.message)
                .with("result", json!("rejected"))
                .with("reason", json!(r.reason.kind()))
                .with("charge_id", Value::Null)
                .with("funding", Value::Null)
                .with("amount", json!(amount));
            e.retry_after = lock_wait;
            Err(e)
        }
    }
}

/// Seconds until the card of a code refused as locked is unlocked, for
/// `Retry-After`.
fn lock_wait(w: &mut Writer, code: &str, now: u64) -> Result<Option<u64>, StoreError> {
    let Ok(parsed) = ParsedCode::parse(code) else {
        return Ok(None);
    };
    let key = CardKey {
        prefix: parsed.layout.prefix,
        token: parsed.token,
    };
    let mut tx = w.verifier.store_mut().begin(TxMode::Read)?;
    let lockout = tx.lockout(key, NO_MERCHANT)?;
    Ok(Some(lockout.locked_until.saturating_sub(now)))
}

#[derive(Deserialize)]
pub(crate) struct PinBody {
    pin: String,
}

/// What the writer found when completing a charge with a PIN.
enum PinOutcome {
    Approved { amount: Fen, funding: Value },
    Wrong { locked: bool },
    Locked { seconds: u64 },
    UnknownCharge,
    NotPending,
}

fn is_charge_id(id: &str) -> bool {
    id.len() == 27
        && id.starts_with("ch_")
        && id[3..]
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn unknown_charge() -> ApiError {
    ApiError::not_found("unknown_charge", "there is no charge with this id")
}

fn not_pending() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_pending",
        "this charge is not waiting for a PIN",
    )
}

/// `POST /api/charge/{id}/pin {pin}`: completes a charge that waits for
/// the PIN. A wrong PIN is a failure towards the card's lockout.
pub(crate) async fn complete_with_pin(
    State(db): AppDb,
    // A path that is not UTF-8 once decoded names no charge: answered as
    // JSON like any other unknown id, not with axum's plain-text rejection.
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    JsonBody(body): JsonBody<PinBody>,
) -> Result<Json<Value>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(unknown_charge());
    };
    if !is_charge_id(&id) {
        return Err(unknown_charge());
    }
    if !pin::is_well_formed(&body.pin) {
        return Err(ApiError::invalid(
            "bad_pin",
            format!("the PIN is {} digits", pin::PIN_DIGITS),
        ));
    }
    let pin_text = zeroize::Zeroizing::new(body.pin);
    let lookup_id = id.clone();
    // The slow hash runs on a reader's blocking thread, never while holding
    // the writer: other tills' charges go on meanwhile.
    let pin_ok = db
        .read(move |conn| {
            let Some(found) = db::pin_for_charge(conn, &lookup_id)? else {
                return Ok(Err(unknown_charge()));
            };
            if ChargeStatus::parse(&found.status) != Some(ChargeStatus::PinRequired) {
                return Ok(Err(not_pending()));
            }
            let Some(hash) = found.pin else {
                return Ok(Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "no_pin",
                    "this card has no PIN at this issuer; complete the charge with `paycode pin`",
                )));
            };
            Ok(Ok(hash.matches(&pin_text)))
        })
        .await??;
    let now = super::now();
    let reply_id = id.clone();
    let outcome = db
        .write(move |w| -> Result<PinOutcome, StoreError> {
            let lockout = w.verifier.config().lockout;
            let mut tx = w.verifier.store_mut().begin(TxMode::Write)?;
            let Some(charge) = tx.charge(&id)? else {
                return Ok(PinOutcome::UnknownCharge);
            };
            // Checked again inside the transaction: another till may have
            // completed it since the lookup.
            if charge.status != ChargeStatus::PinRequired {
                return Ok(PinOutcome::NotPending);
            }
            let mut state = tx.lockout(charge.card, NO_MERCHANT)?;
            if state.is_locked(now) {
                return Ok(PinOutcome::Locked {
                    seconds: state.locked_until - now,
                });
            }
            if !pin_ok {
                state.record_failure(&lockout, now);
                tx.set_lockout(charge.card, NO_MERCHANT, &state)?;
                tx.commit()?;
                return Ok(PinOutcome::Wrong {
                    locked: state.is_locked(now),
                });
            }
            tx.set_charge_status(&id, ChargeStatus::PinApproved)?;
            state.record_success();
            tx.set_lockout(charge.card, NO_MERCHANT, &state)?;
            let sources = tx.card(charge.card)?.map(|c| c.funding).unwrap_or_default();
            tx.commit()?;
            Ok(PinOutcome::Approved {
                amount: charge.amount,
                funding: stored_funding(&sources, charge.funding),
            })
        })
        .await??;
    match outcome {
        PinOutcome::Approved { amount, funding } => Ok(Json(json!({
            "result": "approved", "reason": null, "charge_id": reply_id,
            "funding": funding, "amount": amount.to_string(), "pin": true,
            "message": "approved with PIN",
        }))),
        PinOutcome::Wrong { locked } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_pin",
            if locked {
                "wrong PIN; too many failures, the card is locked for now"
            } else {
                "wrong PIN; ask the payer to try again"
            },
        )
        .with("result", json!("rejected"))
        .with("reason", json!("wrong_pin"))
        .with("locked", json!(locked))),
        PinOutcome::Locked { seconds } => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                format!("too many failures for this card; try again in {seconds} s"),
            )
            .with("result", json!("rejected"))
            .with("reason", json!("locked"));
            e.retry_after = Some(seconds);
            Err(e)
        }
        PinOutcome::UnknownCharge => Err(unknown_charge()),
        PinOutcome::NotPending => Err(not_pending()),
    }
}

#[derive(Deserialize)]
pub(crate) struct HistoryQuery {
    prefix: Option<u8>,
    limit: Option<u32>,
}

/// `GET /api/cards/{token}/history[?prefix=13&limit=20]`, newest first.
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
    let Some(db::History {
        funding: sources,
        rows,
    }) = db.read(move |conn| db::history(conn, key, limit)).await?
    else {
        return Err(unknown());
    };
    let charges: Vec<Value> = rows
        .iter()
        .map(|row| {
            let status = ChargeStatus::parse(&row.status);
            json!({
                "charge_id": row.id,
                "amount": Fen::new(row.amount_fen).map(|f| f.to_string()),
                "merchant": row.merchant,
                "time": row.at,
                "result": match status {
                    Some(ChargeStatus::PinRequired) => "pin_required",
                    Some(ChargeStatus::Approved | ChargeStatus::PinApproved) => "approved",
                    None => "unknown",
                },
                "pin": status != Some(ChargeStatus::Approved),
                "funding": stored_funding(&sources, row.funding),
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
