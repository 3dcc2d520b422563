//! The audit trail: an append-only list of security events (cards made,
//! activated, revoked, re-provisioned; keys re-sealed; lockouts; refused
//! signatures). The database itself refuses to change or delete a row
//! (SQLite triggers, a PostgreSQL trigger), so the trail cannot be edited
//! through the issuer's own connection either.
//!
//! No secret is ever written here: an event names a card by its prefix and
//! token, a merchant by its id, a client by its address, and says what
//! happened in words of its own.

use std::fmt;

use super::{CardKey, StoreError, StoreTx};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditKind {
    CardCreated,
    /// A one-time activation code was redeemed for the card.
    CardActivated,
    CardRevoked,
    /// A revocation undone (`paycode card restore`).
    CardRestored,
    /// The card's token got a new key; the old key is dead.
    CardReprovisioned,
    /// Stored keys were re-sealed under a new KEK (`paycode rekey`).
    KeysRekeyed,
    /// Failed codes locked the card at a merchant.
    CodeLockout,
    /// Wrong PINs blocked the card's PIN payments.
    PinBlocked,
    /// Requests refused with 401, counted per (merchant, address).
    Unauthorized,
}

impl AuditKind {
    pub const ALL: [AuditKind; 9] = [
        Self::CardCreated,
        Self::CardActivated,
        Self::CardRevoked,
        Self::CardRestored,
        Self::CardReprovisioned,
        Self::KeysRekeyed,
        Self::CodeLockout,
        Self::PinBlocked,
        Self::Unauthorized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardCreated => "card_created",
            Self::CardActivated => "card_activated",
            Self::CardRevoked => "card_revoked",
            Self::CardRestored => "card_restored",
            Self::CardReprovisioned => "card_reprovisioned",
            Self::KeysRekeyed => "keys_rekeyed",
            Self::CodeLockout => "code_lockout",
            Self::PinBlocked => "pin_blocked",
            Self::Unauthorized => "unauthorized",
        }
    }

    pub fn parse(text: &str) -> Option<AuditKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event as it is appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Issuer unix seconds.
    pub at: u64,
    pub kind: AuditKind,
    pub card: Option<CardKey>,
    /// A merchant id (for 401s: the id the request claimed, if any).
    pub merchant: Option<String>,
    /// The client address, for events caused by a request.
    pub address: Option<String>,
    /// How many times it happened (more than 1 only for counted 401s, and
    /// the number of keys for a rekey).
    pub count: u64,
    /// Who did it and how, in plain words ("cli", "admin api", "key
    /// version 2"); never a key, code or PIN.
    pub detail: String,
}

impl AuditEvent {
    /// An event about no card in particular, once.
    pub fn new(at: u64, kind: AuditKind, detail: impl Into<String>) -> AuditEvent {
        AuditEvent {
            at,
            kind,
            card: None,
            merchant: None,
            address: None,
            count: 1,
            detail: detail.into(),
        }
    }

    /// An event about `card`, once.
    pub fn card(at: u64, kind: AuditKind, card: CardKey, detail: impl Into<String>) -> AuditEvent {
        AuditEvent {
            at,
            kind,
            card: Some(card),
            merchant: None,
            address: None,
            count: 1,
            detail: detail.into(),
        }
    }

    pub fn with_merchant(mut self, merchant: &str) -> AuditEvent {
        if !merchant.is_empty() {
            self.merchant = Some(merchant.to_owned());
        }
        self
    }
}

/// An appended event and its place in the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Increasing in the order events were appended.
    pub seq: i64,
    pub event: AuditEvent,
}

/// Appends `event` in `tx`: it is kept exactly when `tx` commits. The one
/// call every part of the issuer (and the activation redeem) records with.
pub fn record(tx: &mut dyn StoreTx, event: &AuditEvent) -> Result<(), StoreError> {
    tx.append_audit(event)
}

/// Longest `detail` kept; longer text is cut (at a character boundary).
pub const MAX_DETAIL: usize = 200;

/// `detail` cut to [`MAX_DETAIL`] bytes.
pub(crate) fn bounded(detail: &str) -> &str {
    if detail.len() <= MAX_DETAIL {
        return detail;
    }
    let mut end = MAX_DETAIL;
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    &detail[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_details_are_bounded() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AuditKind::parse("nope"), None);
        let long = "é".repeat(150);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_DETAIL && long.starts_with(cut));
        assert_eq!(bounded("short"), "short");
    }
}
