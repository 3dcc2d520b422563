//! Creating cards: a fresh random token id and key for each.

use std::fmt;

use paycode_wallet::core::code::{Layout, TOKEN_LIMIT};
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::limits::{MAX_FUNDING, PERIODS};
use rand::Rng;

use crate::custody::KEY_VERSION;
use crate::secret::SecretKey;
use crate::store::audit::{self, AuditEvent, AuditKind};
use crate::store::{CardKey, CardRecord, Store, StoreError, StoreTx, TxMode};

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
    /// An expiry that is not after the time of provisioning.
    ExpiryPast,
    /// Re-provisioning a card that does not exist.
    UnknownCard,
    Store(StoreError),
}

impl ProvisionError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PrefixFull => "prefix_full",
            Self::NoFunding => "no_funding",
            Self::TooManyFunding => "too_many_funding",
            Self::BadPeriod => "bad_period",
            Self::ExpiryPast => "expiry_past",
            Self::UnknownCard => "unknown_card",
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
            Self::ExpiryPast => f.write_str("the expiry must be after the time of provisioning"),
            Self::UnknownCard => f.write_str("there is no card with this token"),
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
    provision_expiring(store, new, None)
}

/// [`provision`] with a key that dies at `expires` (issuer unix seconds,
/// after `new.at`). The card's creation is in the audit trail, in the same
/// transaction.
pub fn provision_expiring(
    store: &mut dyn Store,
    new: NewCard,
    expires: Option<u64>,
) -> Result<CardRecord, ProvisionError> {
    if expires.is_some_and(|e| e <= new.at) {
        return Err(ProvisionError::ExpiryPast);
    }
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
        key_version: KEY_VERSION,
        expires,
    };
    let mut rng = rand::rng();
    // Random rather than sequential ids: a token says nothing about how
    // many cards exist or when this one was made.
    for _ in 0..TOKEN_TRIES {
        card.key.token = rng.random_range(0..TOKEN_LIMIT);
        let mut tx = store.begin(TxMode::Write)?;
        match tx.insert_card(&card) {
            Ok(()) => {
                let created = AuditEvent::card(
                    card.created,
                    AuditKind::CardCreated,
                    card.key,
                    format!("key version {}", card.key_version),
                );
                audit::record(tx.as_mut(), &created)?;
                tx.commit()?;
                return Ok(card);
            }
            Err(StoreError::Duplicate) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ProvisionError::PrefixFull)
}

/// Gives the card `key` a new random key in one transaction: the old key's
/// codes are refused from the commit on (they no longer match the MAC),
/// the key version goes up, and the event is in the audit trail. `by`
/// says who asked ("cli", "admin api"). Any failure rolls the whole
/// transaction back and leaves the card as it was. The card as it is now.
pub fn reprovision(
    store: &mut dyn Store,
    key: CardKey,
    expires: Option<u64>,
    at: u64,
    by: &str,
) -> Result<CardRecord, ProvisionError> {
    if expires.is_some_and(|e| e <= at) {
        return Err(ProvisionError::ExpiryPast);
    }
    let mut tx = store.begin(TxMode::Write)?;
    let secret = SecretKey::generate();
    let Some(version) = tx.replace_card_key(key, &secret, expires)? else {
        return Err(ProvisionError::UnknownCard);
    };
    let event = AuditEvent::card(
        at,
        AuditKind::CardReprovisioned,
        key,
        format!("by {by}; key version {version}"),
    );
    audit::record(tx.as_mut(), &event)?;
    let card = tx.card(key)?.ok_or(ProvisionError::UnknownCard)?;
    tx.commit()?;
    Ok(card)
}

/// Revokes (or with `revoked` false restores) `key` in `tx` and records it
/// in the audit trail; false when there is no such card. `by` names who
/// asked ("cli", "admin api"). Shared by the command line and the admin
/// API; the caller commits.
pub fn revoke(
    tx: &mut dyn StoreTx,
    key: CardKey,
    revoked: bool,
    now: u64,
    by: &str,
) -> Result<bool, StoreError> {
    if !tx.set_revoked(key, revoked)? {
        return Ok(false);
    }
    let kind = if revoked {
        AuditKind::CardRevoked
    } else {
        AuditKind::CardRestored
    };
    audit::record(tx, &AuditEvent::card(now, kind, key, format!("by {by}")))?;
    Ok(true)
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
    fn reprovisioning_replaces_the_key_and_bumps_its_version() {
        let mut store = MemoryStore::new();
        let old = provision(&mut store, new_card()).unwrap();
        assert_eq!(old.key_version, KEY_VERSION);
        let at = new_card().at + 10;
        let new = reprovision(&mut store, old.key, Some(at + 3600), at, "cli").unwrap();
        assert_eq!(new.key, old.key);
        assert_ne!(new.secret, old.secret);
        assert_eq!(new.key_version, KEY_VERSION + 1);
        assert_eq!(new.expires, Some(at + 3600));
        let missing = CardKey {
            prefix: 13,
            token: old.key.token ^ 1,
        };
        assert_eq!(
            reprovision(&mut store, missing, None, at, "cli")
                .unwrap_err()
                .kind(),
            "unknown_card"
        );
        assert_eq!(
            reprovision(&mut store, old.key, Some(at), at, "cli")
                .unwrap_err()
                .kind(),
            "expiry_past"
        );
        let mut tx = store.begin(TxMode::Read).unwrap();
        let kinds: Vec<_> = tx
            .audit_events(0, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.event.kind)
            .collect();
        assert_eq!(
            kinds,
            [AuditKind::CardCreated, AuditKind::CardReprovisioned]
        );
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
