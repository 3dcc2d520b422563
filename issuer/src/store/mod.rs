//! Issuer state behind a small trait, so that the embedded SQLite file can
//! later be swapped for a server database.
//!
//! Every check-and-update runs inside one [`StoreTx`]: a write transaction
//! is exclusive (SQLite `BEGIN IMMEDIATE`), which is what makes concurrent
//! charges of one code approve exactly once, even across processes.
//! Dropping a transaction without [`StoreTx::commit`] rolls it back.

pub mod memory;
pub mod sqlite;

use std::fmt;

use crate::lockout::FailureState;
use crate::money::Fen;
use crate::secret::SecretKey;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

/// A card is found by its code prefix and token id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardKey {
    pub prefix: u8,
    pub token: u32,
}

/// What the issuer keeps about a card (its key store entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    pub key: CardKey,
    /// Code length in digits.
    pub length: u8,
    /// Issuer name shown by the wallet.
    pub issuer: String,
    pub secret: SecretKey,
    /// Seconds per time step.
    pub period: u32,
    /// Funding sources in link form ("balance", "debit:ICBC:1234"), in
    /// funding-index order.
    pub funding: Vec<String>,
    /// Issuer unix seconds at provisioning.
    pub created: u64,
}

/// What changes as codes are presented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardState {
    /// The newest accepted (step, swipe counter); anything not after it is dead.
    pub last_accepted: Option<(u64, u8)>,
    pub failures: FailureState,
}

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
    /// A stored value is out of range or unreadable.
    Corrupt(String),
    /// Inserting something whose key already exists.
    Duplicate,
}

impl StoreError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Database(_) => "database",
            Self::Corrupt(_) => "database_corrupt",
            Self::Duplicate => "duplicate",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(m) => write!(f, "database error: {m}"),
            Self::Corrupt(m) => write!(f, "the database holds an unreadable value: {m}"),
            Self::Duplicate => f.write_str("an entry with this key already exists"),
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
    /// Whether any card uses `prefix`.
    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError>;
    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError>;
    /// Adds a card; [`StoreError::Duplicate`] if the key is taken.
    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError>;
    /// The card's state (the default for a card never presented).
    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError>;
    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError>;
    /// No-PIN approvals of the card on local day `day`.
    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError>;
    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError>;
    /// Records a charge; [`StoreError::Duplicate`] if the id is taken.
    fn insert_charge(&mut self, charge: &ChargeRecord) -> Result<(), StoreError>;
    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError>;
    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

#[cfg(test)]
pub(crate) mod contract;
