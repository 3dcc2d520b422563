//! Issuer state behind a small trait: the embedded SQLite file
//! ([`SqliteStore`], the default) or a PostgreSQL server that many issuer
//! nodes share ([`PgStore`]); [`DbLocation`] picks one from `--db`.
//!
//! Every check-and-update runs inside one [`StoreTx`]: a write transaction
//! is exclusive for what it checks (SQLite `BEGIN IMMEDIATE`; on
//! PostgreSQL, row locks on the card and the payment, see
//! [`postgres`]), which is what makes concurrent charges of one code
//! approve exactly once, even across processes and nodes.
//! Dropping a transaction without [`StoreTx::commit`] rolls it back.
//! [`StoreTx::nested`] opens a savepoint inside a transaction, so a writer
//! can run many payments in one commit (group commit) and still roll one of
//! them back alone.
//!
//! No hot row: balances are never a mutable column. They are the sum of an
//! account's append-only postings (indexed by account), so payments to one
//! busy merchant only ever insert rows (docs/LEDGER.md).

mod activations;
mod any;
pub mod audit;
mod funding_order;
pub mod memory;
pub mod postgres;
mod records;
pub mod sqlite;

use std::fmt;

use crate::custody::CustodyError;
use crate::money::Fen;
use crate::secret::SecretKey;

pub use activations::{ActivationRecord, CodeHash};
pub use any::{AnyStore, DbLocation, DB_ENV, DEFAULT_DB};
pub use audit::{AuditEvent, AuditKind, AuditRecord};
pub use funding_order::{check_funding_order, FundingOrderError};
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use records::{
    Account, CardKey, CardRecord, CardState, Journal, JournalKind, Lockout, MerchantRecord,
    PaymentRecord, Posting, RefundRecord, StoredPin, NO_MERCHANT,
};
pub use sqlite::SqliteStore;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeStatus {
    Approved,
    /// Waiting for the payer's PIN.
    PinRequired,
    /// Was PIN required, then the PIN was given.
    PinApproved,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::PinRequired => "pin_required",
            Self::PinApproved => "pin_approved",
        }
    }

    pub fn parse(text: &str) -> Option<ChargeStatus> {
        [Self::Approved, Self::PinRequired, Self::PinApproved]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRecord {
    pub id: String,
    pub card: CardKey,
    /// The digits presented (dead once accepted, so no longer sensitive).
    pub code: String,
    pub amount: Fen,
    pub status: ChargeStatus,
    /// Funding index the code named.
    pub funding: u8,
    pub merchant: Option<String>,
    /// Issuer unix seconds.
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    Database(String),
    /// The database server cannot be reached now (down, restarting, not
    /// answering): nothing was done, and the same request may be sent
    /// again later.
    Unavailable(String),
    /// A stored value is out of range or unreadable.
    Corrupt(String),
    /// Inserting something whose key already exists.
    Duplicate,
    /// A stored key does not open under the KEKs given (wrong KEK, or a
    /// sealed key tampered with or moved to another row).
    Custody(CustodyError),
}

impl From<CustodyError> for StoreError {
    fn from(e: CustodyError) -> StoreError {
        StoreError::Custody(e)
    }
}

impl StoreError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Database(_) => "database",
            Self::Unavailable(_) => "database_unavailable",
            Self::Corrupt(_) => "database_corrupt",
            Self::Duplicate => "duplicate",
            Self::Custody(_) => "key_custody",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(m) => write!(f, "database error: {m}"),
            Self::Unavailable(m) => write!(f, "the database is unavailable: {m}"),
            Self::Corrupt(m) => write!(f, "the database holds an unreadable value: {m}"),
            Self::Duplicate => f.write_str("an entry with this key already exists"),
            Self::Custody(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {}

/// Whether a transaction will write. Write transactions are exclusive from
/// their first statement on; read transactions only see one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxMode {
    Read,
    Write,
}

/// A database of cards, their state and charges.
///
/// Methods are synchronous and the store is `Send`: an async server holds it
/// behind a mutex or calls it from `spawn_blocking`.
pub trait Store: Send {
    fn begin(&mut self, mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError>;
}

/// One transaction. Reads see this transaction's own writes.
pub trait StoreTx {
    /// A savepoint inside this transaction: its writes join this
    /// transaction when it commits, and vanish alone when it is dropped.
    fn nested(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;

    // Cards.
    /// Whether any card uses `prefix`.
    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError>;
    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError>;
    /// Adds a card; [`StoreError::Duplicate`] if the key is taken.
    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError>;
    /// Sets the revoked flag; false when there is no such card.
    fn set_revoked(&mut self, key: CardKey, revoked: bool) -> Result<bool, StoreError>;
    /// Gives the card a new key in place (`paycode card reprovision`): the
    /// key version goes up by one, the new key is sealed under it, the
    /// card is no longer revoked and expires at `expires`. The old key
    /// opens nothing from then on. The card's new version; `None` when
    /// there is no such card.
    fn replace_card_key(
        &mut self,
        key: CardKey,
        secret: &SecretKey,
        expires: Option<u64>,
    ) -> Result<Option<u32>, StoreError>;
    /// The card's state (the default for a card never presented).
    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError>;
    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError>;
    /// Failed codes of the card at `merchant` ([`NO_MERCHANT`] for none).
    fn lockout(&mut self, key: CardKey, merchant: &str) -> Result<Lockout, StoreError>;
    fn set_lockout(&mut self, key: CardKey, merchant: &str, l: &Lockout) -> Result<(), StoreError>;
    /// No-PIN approvals of the card on local day `day`.
    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError>;
    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError>;
    /// Gives one approval of `day` back (a reversed payment); never below 0.
    fn remove_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError>;
    fn insert_pin(&mut self, key: CardKey, pin: &StoredPin) -> Result<(), StoreError>;
    fn pin(&mut self, key: CardKey) -> Result<Option<StoredPin>, StoreError>;
    /// The payer's order of the card's funding sources (checked by
    /// [`check_funding_order`] before it was set); `None` when never set.
    fn funding_order(&mut self, key: CardKey) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces the card's funding order; false when there is no such card.
    fn set_funding_order(&mut self, key: CardKey, order: &[u8]) -> Result<bool, StoreError>;

    // Charges of the demo routes.
    /// Records a charge; [`StoreError::Duplicate`] if the id is taken.
    fn insert_charge(&mut self, charge: &ChargeRecord) -> Result<(), StoreError>;
    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError>;
    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError>;
    /// The card's newest `limit` charges, newest first.
    fn charges_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<ChargeRecord>, StoreError>;

    // Merchants and request signing.
    /// Adds a merchant; [`StoreError::Duplicate`] if the id is taken.
    fn insert_merchant(&mut self, merchant: &MerchantRecord) -> Result<(), StoreError>;
    /// The merchant and its API key.
    fn merchant(&mut self, id: &str) -> Result<Option<MerchantRecord>, StoreError>;
    /// Only the merchant's API key, for checking a request's signature.
    fn merchant_key(&mut self, id: &str) -> Result<Option<SecretKey>, StoreError> {
        Ok(self.merchant(id)?.map(|m| m.api_key))
    }
    /// Remembers a request nonce until `expires_at`; false when it is
    /// already remembered (a replay). Expired nonces are forgotten by
    /// [`StoreTx::prune_nonces`], which a writer runs now and then.
    fn remember_nonce(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, StoreError>;
    /// Forgets nonces that expired at or before `now`; how many.
    fn prune_nonces(&mut self, now: u64) -> Result<u64, StoreError>;

    // Key custody.
    /// Re-seals up to `limit` stored card and merchant keys that are not
    /// sealed under the current KEK (`paycode rekey`); how many. Each is
    /// opened first, so a key that does not open stops it with that error.
    fn reseal_keys(&mut self, limit: u32) -> Result<u32, StoreError>;

    // The audit trail: append-only (see [`audit`]).
    /// Appends one event.
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Up to `limit` events after `after` (a `seq`; 0 for the first),
    /// oldest first.
    fn audit_events(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;

    // The ledger: append-only.
    /// Writes a journal and its postings; its id. The caller makes the
    /// legs balance ([`crate::ledger::post`] checks).
    fn insert_journal(&mut self, journal: &Journal) -> Result<i64, StoreError>;
    /// Sum of the account's postings, in fen.
    fn balance(&mut self, account: &Account) -> Result<i64, StoreError>;
    /// Every posting, in journal order (for `ledger check`).
    fn postings(&mut self) -> Result<Vec<Posting>, StoreError>;

    // Payments and refunds.
    /// [`StoreError::Duplicate`] if the id or (merchant, out_trade_no) is taken.
    fn insert_payment(&mut self, payment: &PaymentRecord) -> Result<(), StoreError>;
    /// Writes the payment's changing fields (status, card, funding, error,
    /// deadline, allowance day), found by id.
    fn update_payment(&mut self, payment: &PaymentRecord) -> Result<(), StoreError>;
    fn payment(
        &mut self,
        merchant: &str,
        out_trade_no: &str,
    ) -> Result<Option<PaymentRecord>, StoreError>;
    fn payment_by_id(&mut self, id: &str) -> Result<Option<PaymentRecord>, StoreError>;
    /// USERPAYING payments whose deadline is at or before `now`.
    fn payments_due(&mut self, now: u64) -> Result<Vec<PaymentRecord>, StoreError>;
    /// The card's newest `limit` payments, newest first (the wallet's
    /// history).
    fn payments_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<PaymentRecord>, StoreError>;
    /// Every payment (for `ledger check`).
    fn payments(&mut self) -> Result<Vec<PaymentRecord>, StoreError>;
    /// [`StoreError::Duplicate`] if the id or (merchant, out_refund_no) is taken.
    fn insert_refund(&mut self, refund: &RefundRecord) -> Result<(), StoreError>;
    fn refund(
        &mut self,
        merchant: &str,
        out_refund_no: &str,
    ) -> Result<Option<RefundRecord>, StoreError>;
    fn refunds_of(&mut self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError>;
    /// Every refund (for `ledger check`).
    fn refunds(&mut self) -> Result<Vec<RefundRecord>, StoreError>;

    // One-time activations (crate::activation).
    /// [`StoreError::Duplicate`] if the code hash is taken.
    fn insert_activation(&mut self, activation: &ActivationRecord) -> Result<(), StoreError>;
    fn activation(&mut self, code_hash: &CodeHash) -> Result<Option<ActivationRecord>, StoreError>;
    /// Marks the activation redeemed at `at` if it is not yet: true when
    /// this call did it. One conditional update, so that of two
    /// redemptions at once exactly one gets true, on every store and node.
    fn redeem_activation(&mut self, code_hash: &CodeHash, at: u64) -> Result<bool, StoreError>;
}

#[cfg(test)]
pub(crate) mod contract;
