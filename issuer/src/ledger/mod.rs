//! The double-entry ledger: every movement of money is one journal whose
//! postings sum to zero, written in the caller's transaction.
//!
//! No hot row: an account's balance is the sum of its append-only
//! postings (the store indexes them by account), never a mutable balance
//! column, so many payments to one merchant insert rows and contend on
//! nothing but SQLite's single writer, which group commit amortises.

pub mod check;

use std::fmt;

use crate::money::Fen;
use crate::store::{Account, Journal, JournalKind, StoreError, StoreTx};
use crate::verifier::random_id;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The legs of a journal do not sum to zero (a bug, never input).
    Unbalanced(i64),
    Store(StoreError),
}

impl LedgerError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unbalanced(_) => "unbalanced",
            Self::Store(e) => e.kind(),
        }
    }
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbalanced(sum) => write!(f, "a journal's postings sum to {sum} fen, not 0"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LedgerError {}

impl From<StoreError> for LedgerError {
    fn from(e: StoreError) -> Self {
        LedgerError::Store(e)
    }
}

/// Writes `journal` after checking that its legs balance.
pub fn post(tx: &mut dyn StoreTx, journal: &Journal) -> Result<i64, LedgerError> {
    let sum = journal
        .legs
        .iter()
        .try_fold(0i64, |acc, (_, n)| acc.checked_add(*n))
        .ok_or(LedgerError::Unbalanced(i64::MAX))?;
    if sum != 0 || journal.legs.iter().any(|(_, n)| *n == 0) {
        return Err(LedgerError::Unbalanced(sum));
    }
    Ok(tx.insert_journal(journal)?)
}

/// Moves `amount` from `from` to `to` for `reference`.
pub fn transfer(
    tx: &mut dyn StoreTx,
    kind: JournalKind,
    reference: &str,
    from: Account,
    to: Account,
    amount: Fen,
    at: u64,
) -> Result<i64, LedgerError> {
    let fen = fen_i64(amount);
    post(
        tx,
        &Journal {
            kind,
            reference: reference.to_owned(),
            at,
            legs: vec![(from, -fen), (to, fen)],
        },
    )
}

/// Money from outside into `account` (a card's balance or a demo-bank
/// account); the external account goes negative by as much. The top-up's id.
pub fn topup(
    tx: &mut dyn StoreTx,
    account: Account,
    amount: Fen,
    at: u64,
) -> Result<String, LedgerError> {
    let id = random_id("top_", 12);
    transfer(
        tx,
        JournalKind::Topup,
        &id,
        Account::External,
        account,
        amount,
        at,
    )?;
    Ok(id)
}

/// Amounts are at most `MAX_AMOUNT`, far inside `i64`.
pub(crate) fn fen_i64(amount: Fen) -> i64 {
    i64::try_from(amount.as_fen()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, Store, TxMode};

    #[test]
    fn unbalanced_or_zero_legs_are_refused() {
        let mut store = MemoryStore::new();
        let mut tx = store.begin(TxMode::Write).unwrap();
        let journal = |legs| Journal {
            kind: JournalKind::Topup,
            reference: "x".into(),
            at: 1,
            legs,
        };
        let shop = Account::Merchant("m".into());
        let bad = journal(vec![(Account::External, -5), (shop.clone(), 4)]);
        assert_eq!(post(tx.as_mut(), &bad), Err(LedgerError::Unbalanced(-1)));
        let zero = journal(vec![(Account::External, 0), (shop.clone(), 0)]);
        assert_eq!(post(tx.as_mut(), &zero), Err(LedgerError::Unbalanced(0)));
        assert!(tx.postings().unwrap().is_empty());
        topup(tx.as_mut(), shop.clone(), Fen::from_yuan(3, 0), 1).unwrap();
        assert_eq!(tx.balance(&shop).unwrap(), 300);
        assert_eq!(tx.balance(&Account::External).unwrap(), -300);
    }
}
