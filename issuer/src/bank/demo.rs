//! The built-in demo bank: its customer accounts are ledger accounts in the
//! issuer's own database, funded with `paycode topup`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::{Bank, BankError, CustomerAccount};
use crate::ledger::fen_i64;
use crate::money::Fen;
use crate::store::{Account, StoreTx};

/// Tests can make it decline every debit, or take a set time to answer.
#[derive(Debug, Default)]
pub struct DemoBank {
    decline: AtomicBool,
    delay_ms: AtomicU64,
}

impl DemoBank {
    pub fn new() -> DemoBank {
        DemoBank::default()
    }

    /// From now on, debits are (or stop being) declined.
    pub fn set_declining(&self, decline: bool) {
        self.decline.store(decline, Ordering::SeqCst);
    }

    /// Every debit and credit waits this long first (a slow bank).
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    fn wait(&self) {
        let ms = self.delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
}

impl Bank for DemoBank {
    fn debit(
        &self,
        tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        amount: Fen,
        _reference: &str,
    ) -> Result<Account, BankError> {
        self.wait();
        if self.decline.load(Ordering::SeqCst) {
            return Err(BankError::Declined);
        }
        if tx.balance(account)? < fen_i64(amount) {
            return Err(BankError::InsufficientFunds);
        }
        Ok(account.clone())
    }

    fn credit(
        &self,
        _tx: &mut dyn StoreTx,
        account: &CustomerAccount,
        _amount: Fen,
        _reference: &str,
    ) -> Result<Account, BankError> {
        self.wait();
        Ok(account.clone())
    }
}
