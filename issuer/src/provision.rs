//! Creating cards: a fresh random token id and key for each.

use std::fmt;

use paycode_wallet::core::code::{Layout, TOKEN_LIMIT};
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::limits::{MAX_FUNDING, PERIODS};
use rand::Rng;

use crate::secret::SecretKey;
use crate::store::{CardKey, CardRecord, Store, StoreError, TxMode};

/// Random tries for an unused token before giving up. With a million ids
/// per prefix, running out of tries means the prefix is nearly full.
const TOKEN_TRIES: u32 = 64;

/// What a new card is made of; the store picks the token and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    pub issuer: String,
    pub layout: Layout,
    pub period: u32,
    /// Index order, 1 to `MAX_FUNDING` entries.
    pub funding: Vec<Funding>,
    /// Issuer unix seconds.
    pub at: u64,
    /// Whether an empty source lets the next ones pay (see `CardRecord`).
    pub fall_through: bool,
}

#[derive(Debug)]
pub enum ProvisionError {
    /// No unused token id was found for the prefix.
    PrefixFull,
    NoFunding,
    TooManyFunding,
    /// A period outside the seconds per step the wallet accepts.
    BadPeriod,
    Store(StoreError),
}

impl ProvisionError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PrefixFull => "prefix_full",
            Self::NoFunding => "no_funding",
            Self::TooManyFunding => "too_many_funding",
            Self::BadPeriod => "bad_period",
            Self::Store(e) => e.kind(),
        }
    }
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PrefixFull => f.write_str("no unused token id is left for this prefix"),
            Self::NoFunding => f.write_str("a card needs at least one funding source"),
            Self::TooManyFunding => write!(f, "a card has at most {MAX_FUNDING} funding sources"),
            Self::BadPeriod => write!(
                f,
                "the time step must be {} to {} seconds",
                PERIODS.start(),
                PERIODS.end()
            ),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ProvisionError {}

impl From<StoreError> for ProvisionError {
    fn from(e: StoreError) -> Self {
        ProvisionError::Store(e)
    }
}

/// Stores a new card under a random unused token id of its prefix, with a
/// new 32-byte key, and returns it.
pub fn provision(store: &mut dyn Store, new: NewCard) -> Result<CardRecord, ProvisionError> {
    if new.funding.is_empty() {
        return Err(ProvisionError::NoFunding);
    }
    if new.funding.len() > usize::from(MAX_FUNDING) {
        return Err(ProvisionError::TooManyFunding);
    }
    if !PERIODS.contains(&new.period) {
        return Err(ProvisionError::BadPeriod);
    }
    let mut card = CardRecord {
        key: CardKey {
            prefix: new.layout.prefix,
            token: 0,
        },
        length: new.layout.length,
        issuer: new.issuer,
        secret: SecretKey::generate(),
        period: new.period,
        funding: new.funding,
        created: new.at,
        fall_through: new.fall_through,
        revoked: false,
    };
    let mut rng = rand::rng();
    // Random rather than sequential ids: a token says nothing about how
    // many cards exist or when this one was made.
    for _ in 0..TOKEN_TRIES {
        card.key.token = rng.random_range(0..TOKEN_LIMIT);
        let mut tx = store.begin(TxMode::Write)?;
        match tx.insert_card(&card) {
            Ok(()) => {
                tx.commit()?;
                return Ok(card);
            }
            Err(StoreError::Duplicate) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ProvisionError::PrefixFull)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use paycode_wallet::core::limits::DEFAULT_PERIOD;

    fn new_card() -> NewCard {
        NewCard {
            issuer: "Demo Bank".into(),
            layout: Layout::DEFAULT,
            period: DEFAULT_PERIOD,
            funding: vec![Funding::Balance],
            at: 1_764_100_000,
            fall_through: false,
        }
    }

    #[test]
    fn cards_get_distinct_tokens_and_keys() {
        let mut store = MemoryStore::new();
        let a = provision(&mut store, new_card()).unwrap();
        let b = provision(&mut store, new_card()).unwrap();
        assert_ne!(a.key, b.key);
        assert_ne!(a.secret, b.secret);
        assert!(a.key.token < TOKEN_LIMIT);
        let mut tx = store.begin(TxMode::Read).unwrap();
        assert_eq!(tx.card(a.key).unwrap(), Some(a));
    }

    #[test]
    fn bad_requests_are_refused() {
        let mut store = MemoryStore::new();
        let mut c = new_card();
        c.funding.clear();
        assert_eq!(provision(&mut store, c).unwrap_err().kind(), "no_funding");
        let mut c = new_card();
        c.funding = vec![Funding::Balance; usize::from(MAX_FUNDING) + 1];
        assert_eq!(
            provision(&mut store, c).unwrap_err().kind(),
            "too_many_funding"
        );
        for period in [0, PERIODS.start() - 1, PERIODS.end() + 1] {
            let mut c = new_card();
            c.period = period;
            let refused = provision(&mut store, c).unwrap_err();
            assert_eq!(refused.kind(), "bad_period", "{period}");
        }
        let mut c = new_card();
        c.funding = vec![Funding::Balance; usize::from(MAX_FUNDING)];
        assert!(
            provision(&mut store, c).is_ok(),
            "as many sources as allowed"
        );
    }
}
