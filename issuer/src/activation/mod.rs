//! One-time activation (docs/FORMAT.md §8.1): the issuer hands out a short
//! lived code instead of a link with the card's key in it. The wallet
//! redeems the code once (`POST /v1/activations/redeem`) and receives the
//! card; a copied link is then worth nothing.
//!
//! The store keeps only the code's SHA-256 ([`code_hash`]): 128 random
//! bits need no salt or slow hash, and a copy of the database redeems
//! nothing. The card's key stays sealed in its row until the redemption
//! reads it.

mod error;

pub use error::RedeemError;

use paycode_wallet::core::activation::{is_code, ActivationLink, CODE_HEX_DIGITS};
use rand::Rng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::store::audit::{self, AuditEvent, AuditKind};
use crate::store::{ActivationRecord, CardKey, CardRecord, CodeHash, StoreError, StoreTx};

/// How long a code can be redeemed, in seconds: 10 minutes.
pub const ACTIVATION_TTL_SECS: u64 = 600;
/// Random tries for an unused code hash (a clash of 128 random bits means
/// a broken random source, not bad luck).
const CODE_TRIES: u32 = 4;

/// A fresh activation code: 32 hex digits. Debug shows nothing of it.
pub struct ActivationCode(Zeroizing<String>);

impl ActivationCode {
    fn generate() -> ActivationCode {
        let bytes = Zeroizing::new(rand::rng().random::<[u8; CODE_HEX_DIGITS / 2]>());
        ActivationCode(Zeroizing::new(hex::encode(*bytes)))
    }

    /// The code's text: for the activation link only, never a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActivationCode(redacted)")
    }
}

/// An activation handed out: its code and when it dies.
#[derive(Debug)]
pub struct Issued {
    pub code: ActivationCode,
    pub card: CardKey,
    /// Issuer unix seconds.
    pub expires_at: u64,
}

impl Issued {
    /// `paycode://activate?v=1&issuer=…&url=…&code=…`; `url` is the issuer
    /// origin the wallet redeems at (already checked as an origin).
    pub fn link(&self, issuer: &str, url: &str) -> String {
        ActivationLink {
            issuer: issuer.to_owned(),
            url: url.to_owned(),
            code: self.code.expose().to_owned(),
        }
        .to_link()
    }
}

/// SHA-256 of the code's text, as stored.
pub fn code_hash(code: &str) -> CodeHash {
    Sha256::digest(code.as_bytes()).into()
}

/// A new activation of `card`, valid from `now` for [`ACTIVATION_TTL_SECS`].
pub fn issue(tx: &mut dyn StoreTx, card: CardKey, now: u64) -> Result<Issued, StoreError> {
    let expires_at = now.saturating_add(ACTIVATION_TTL_SECS);
    for _ in 0..CODE_TRIES {
        let code = ActivationCode::generate();
        let record = ActivationRecord {
            code_hash: code_hash(code.expose()),
            card,
            created: now,
            expires_at,
            redeemed_at: None,
        };
        match tx.insert_activation(&record) {
            Ok(()) => {
                return Ok(Issued {
                    code,
                    card,
                    expires_at,
                })
            }
            Err(StoreError::Duplicate) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Database(
        "no unused activation code after several tries; the random source is broken".into(),
    ))
}

/// Redeems `code` at `now`: the card it delivers, exactly once. Runs in
/// the caller's write transaction; only its commit makes the redemption
/// final, and a rolled-back one leaves the code as it was.
pub fn redeem(tx: &mut dyn StoreTx, code: &str, now: u64) -> Result<CardRecord, RedeemError> {
    if !is_code(code) {
        return Err(RedeemError::Malformed);
    }
    let hash = code_hash(code);
    let Some(activation) = tx.activation(&hash)? else {
        return Err(RedeemError::Unknown);
    };
    if activation.redeemed_at.is_some() {
        return Err(RedeemError::Used);
    }
    if now >= activation.expires_at {
        return Err(RedeemError::Expired);
    }
    // The conditional update decides between redemptions racing past the
    // read above (PostgreSQL nodes): the loser finds it done.
    if !tx.redeem_activation(&hash, now)? {
        return Err(RedeemError::Used);
    }
    let card = tx
        .card(activation.card)?
        .ok_or_else(|| StoreError::Corrupt("an activation names a card that is gone".into()))?;
    if card.revoked {
        return Err(RedeemError::Revoked);
    }
    // In the redemption's transaction: the trail shows the hand-over
    // exactly when it happened, and never one that rolled back.
    audit::record(
        tx,
        &AuditEvent::card(
            now,
            AuditKind::CardActivated,
            card.key,
            "by activation code",
        ),
    )?;
    Ok(card)
}

#[cfg(test)]
mod tests;
