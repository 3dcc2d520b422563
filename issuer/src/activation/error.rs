//! Why a redemption was refused.

use std::fmt;

use crate::store::StoreError;

#[derive(Debug)]
pub enum RedeemError {
    /// Not 32 lowercase hex digits: no code this issuer hands out.
    Malformed,
    /// No activation has this code.
    Unknown,
    /// Redeemed before: the card was delivered once already.
    Used,
    /// Past its 10 minutes.
    Expired,
    /// The card was revoked after the code was handed out.
    Revoked,
    Store(StoreError),
}

impl RedeemError {
    /// The API's error code (docs/FORMAT.md §8.1).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "INVALID_REQUEST",
            Self::Unknown => "ACTIVATION_UNKNOWN",
            Self::Used => "ACTIVATION_USED",
            Self::Expired => "ACTIVATION_EXPIRED",
            Self::Revoked => "CARD_REVOKED",
            Self::Store(_) => "SYSTEMERROR",
        }
    }
}

impl fmt::Display for RedeemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("an activation code is 32 lowercase hex digits"),
            Self::Unknown => f.write_str("no activation has this code; ask the issuer for a new one"),
            Self::Used => f.write_str(
                "this activation was redeemed already; the card was delivered once, ask the issuer for a new one",
            ),
            Self::Expired => f.write_str(
                "this activation expired (codes are valid 10 minutes); ask the issuer for a new one",
            ),
            Self::Revoked => f.write_str("the card of this activation is revoked"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RedeemError {}

impl From<StoreError> for RedeemError {
    fn from(e: StoreError) -> Self {
        RedeemError::Store(e)
    }
}
