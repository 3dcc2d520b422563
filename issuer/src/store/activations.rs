//! One-time activations (docs/FORMAT.md §8.1): what the store keeps of an
//! activation code handed out for a card. Never the code itself: only its
//! SHA-256, so a copy of the database cannot redeem anything.

use super::CardKey;

/// SHA-256 of an activation code's text.
pub type CodeHash = [u8; 32];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivationRecord {
    pub code_hash: CodeHash,
    /// The card the code delivers (its key stays sealed in the card's row).
    pub card: CardKey,
    /// Issuer unix seconds.
    pub created: u64,
    /// The code is refused from this second on.
    pub expires_at: u64,
    /// When the one redemption happened.
    pub redeemed_at: Option<u64>,
}
