//! The payment service: pay, query, reverse, refund and confirm, for the
//! merchant that signed the request (never a body field).
//!
//! Every function works in the caller's [`StoreTx`] and commits nothing:
//! the caller begins a write transaction (or a savepoint of a group
//! commit), calls one function, and commits once the answer is computed,
//! so the answer a till sees is durable. Time is always an argument.
//!
//! Idempotency: (merchant, out_trade_no) is unique forever. The same request
//! again answers the payment's current state; another auth_code, amount or
//! currency under it is OUT_TRADE_NO_CONFLICT. A FAILED payment is recorded
//! too, so a retry gets the same answer, but posts nothing.

mod after;
pub mod events;
mod model;
mod pay;
pub mod pin;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use model::{
    yuan, ErrorBody, ErrorCode, FundingKind, Payment, PaymentFunding, PaymentStatus, Refund,
};

use crate::bank::Bank;
use crate::ledger::LedgerError;
use crate::money::Fen;
use crate::store::{PaymentRecord, StoreError, StoreTx};
use crate::verifier::VerifierConfig;

/// The only currency accepted.
pub const CURRENCY: &str = "CNY";
/// Longest out_trade_no / out_refund_no.
pub const MAX_ORDER_NO: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentConfig {
    pub verifier: VerifierConfig,
    /// How long a USERPAYING payment waits for the payer's PIN.
    pub userpaying_seconds: u64,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            verifier: VerifierConfig::default(),
            userpaying_seconds: 60,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayRequest {
    pub out_trade_no: String,
    pub auth_code: String,
    #[serde(with = "yuan")]
    pub amount: Fen,
    pub currency: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    #[serde(with = "yuan")]
    pub amount: Fen,
}

/// A request that gets no payment state back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentError {
    /// Conflict, not found, not refundable...: answered with the code.
    Refused(ErrorCode),
    Store(StoreError),
}

impl PaymentError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused(code) => Some(*code),
            Self::Store(_) => None,
        }
    }
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(code) => write!(f, "{code}: {}", code.message()),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PaymentError {}

impl From<StoreError> for PaymentError {
    fn from(e: StoreError) -> Self {
        PaymentError::Store(e)
    }
}

impl From<LedgerError> for PaymentError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(e) => PaymentError::Store(e),
            // Only a bug writes an unbalanced journal; the transaction is
            // dropped with it.
            other => PaymentError::Store(StoreError::Database(other.to_string())),
        }
    }
}

/// The rules and the bank payments are decided with.
#[derive(Clone)]
pub struct PaymentService {
    config: PaymentConfig,
    bank: Arc<dyn Bank>,
}

impl fmt::Debug for PaymentService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PaymentService {
    pub fn new(config: PaymentConfig, bank: Arc<dyn Bank>) -> PaymentService {
        PaymentService { config, bank }
    }

    pub fn config(&self) -> &PaymentConfig {
        &self.config
    }

    /// The payment's state at `now`: a USERPAYING one past its deadline is
    /// closed here (written in `tx`).
    fn current(
        &self,
        tx: &mut dyn StoreTx,
        mut p: PaymentRecord,
        now: u64,
    ) -> Result<Payment, PaymentError> {
        if close_if_due(&mut p, now) {
            tx.update_payment(&p)?;
        }
        view(tx, &p)
    }

    /// Closes every USERPAYING payment whose deadline is at or before `now`;
    /// how many.
    pub fn close_expired(&self, tx: &mut dyn StoreTx, now: u64) -> Result<usize, PaymentError> {
        let due = tx.payments_due(now)?;
        for mut p in due.iter().cloned() {
            close_if_due(&mut p, now);
            tx.update_payment(&p)?;
        }
        Ok(due.len())
    }
}

fn close_if_due(p: &mut PaymentRecord, now: u64) -> bool {
    let due = p.status == PaymentStatus::Userpaying && p.deadline.is_none_or(|d| d <= now);
    if due {
        p.status = PaymentStatus::Closed;
        p.deadline = None;
    }
    due
}

/// The answer for a stored payment.
fn view(tx: &mut dyn StoreTx, p: &PaymentRecord) -> Result<Payment, PaymentError> {
    let refunded = match p.status {
        PaymentStatus::Refunded | PaymentStatus::PartiallyRefunded => {
            Fen::new(refunded_fen(tx, &p.id)?)
        }
        _ => None,
    };
    Ok(Payment {
        status: p.status,
        payment_id: p.id.clone(),
        out_trade_no: p.out_trade_no.clone(),
        amount: p.amount,
        currency: p.currency.clone(),
        funding: p.funding.clone(),
        refunded,
        deadline: p.deadline.filter(|_| p.status == PaymentStatus::Userpaying),
        error: p
            .error
            .filter(|_| p.status == PaymentStatus::Failed)
            .map(ErrorBody::from),
    })
}

fn refunded_fen(tx: &mut dyn StoreTx, payment_id: &str) -> Result<u64, StoreError> {
    Ok(tx
        .refunds_of(payment_id)?
        .iter()
        .map(|r| r.amount.as_fen())
        .sum())
}

/// 1 to 32 of [A-Za-z0-9_-], as WeChat and Alipay order numbers.
pub fn valid_order_no(text: &str) -> bool {
    (1..=MAX_ORDER_NO).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_order_no(text: &str) -> Result<(), PaymentError> {
    if valid_order_no(text) {
        Ok(())
    } else {
        Err(PaymentError::Refused(ErrorCode::InvalidRequest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers() {
        for ok in ["a", "T-1_x", &"9".repeat(32)] {
            assert!(valid_order_no(ok), "{ok}");
        }
        for bad in ["", " a", "a/b", "é", &"9".repeat(33)] {
            assert!(!valid_order_no(bad), "{bad}");
        }
    }
}
