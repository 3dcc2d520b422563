//! The bank behind a card's debit sources, reached through a small trait.
//!
//! A bank moves money between a customer account and the ledger; it answers
//! with the ledger account the payment service posts against, so that the
//! postings of a debit payment are as balanced as those of a balance one.

mod demo;

use std::fmt;

pub use demo::DemoBank;

use crate::money::Fen;
use crate::store::{Account, StoreError, StoreTx};

/// Why the bank did not move the money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankError {
    Declined,
    InsufficientFunds,
    /// The bank could not be reached or answered nothing usable.
    Unavailable(String),
    Store(StoreError),
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Declined => f.write_str("the bank declined"),
            Self::InsufficientFunds => f.write_str("the bank account does not hold enough"),
            Self::Unavailable(why) => write!(f, "the bank is unavailable: {why}"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BankError {}

impl From<StoreError> for BankError {
    fn from(e: StoreError) -> Self {
        BankError::Store(e)
    }
}

/// A customer's account at a bank, as a card's debit source names it.
pub type CustomerAccount = Account;

pub trait Bank: Send + Sync {
    /// Authorises and debits `amount` from `account` for `reference` (a
    /// payment id); the ledger account to post the debit against.
    fn debit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError>;

    /// Credits `amount` back to `account` for `reference` (a refund or a
    /// reversal); the ledger account to post the credit against.
    fn credit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        reference: &str,
    ) -> Result<Account, BankError>;
}
