//! The rows a [`super::Store`] keeps, as typed values.

use paycode_wallet::core::code::Layout;
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::secret::Secret;

use crate::lockout::FailureState;
use crate::money::Fen;
use crate::payments::{ErrorCode, PaymentFunding, PaymentStatus};
use crate::secret::SecretKey;

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
    /// Funding sources in funding-index order.
    pub funding: Vec<Funding>,
    /// Issuer unix seconds at provisioning.
    pub created: u64,
    /// When the source a code names is empty, whether the next sources (in
    /// index order) may pay instead.
    pub fall_through: bool,
    /// A revoked card's genuine codes are refused with CARD_REVOKED.
    pub revoked: bool,
    /// Which key of this token `secret` is: 1 when provisioned, one more
    /// at each re-provisioning. Bound into the sealed key's associated
    /// data, so an old key's ciphertext does not open as the new one's.
    pub key_version: u32,
    /// Issuer unix seconds from which the key is dead: its genuine codes
    /// are refused with CARD_EXPIRED. `None`: no expiry.
    pub expires: Option<u64>,
}

impl CardRecord {
    /// The wallet's view of this card: what its provisioning link carries.
    pub fn to_card(&self) -> Card {
        Card {
            issuer: self.issuer.clone(),
            layout: Layout {
                prefix: self.key.prefix,
                length: self.length,
            },
            token: self.key.token,
            secret: Secret::from_bytes(self.secret.as_bytes().to_vec()),
            period: self.period,
            issued_at: self.created,
            funding: self.funding.clone(),
            api: None,
        }
    }

    /// Whether the key has expired at `now`.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires.is_some_and(|at| now >= at)
    }

    /// The ledger account funding source `index` draws on.
    pub fn source_account(&self, index: u8) -> Option<Account> {
        Some(match self.funding.get(usize::from(index))? {
            Funding::Balance => Account::Card(self.key),
            Funding::Debit { bank, last4 } => Account::Bank {
                card: self.key,
                bank: bank.clone(),
                last4: last4.clone(),
            },
        })
    }
}

/// What changes as codes are presented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardState {
    /// The newest accepted (step, swipe counter); anything not after it is dead.
    pub last_accepted: Option<(u64, u8)>,
}

/// Failed codes are counted per (card, merchant), so one merchant's bad
/// codes cannot lock the card for every other merchant. The unauthenticated
/// demo routes count under [`NO_MERCHANT`].
pub type Lockout = FailureState;

/// The lockout key of requests that name no authenticated merchant.
pub const NO_MERCHANT: &str = "";

/// A merchant that may sign API requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantRecord {
    /// "m_" and 16 lowercase hex digits.
    pub id: String,
    pub name: String,
    /// 32 random bytes; shown once when the merchant is added.
    pub api_key: SecretKey,
    pub created: u64,
}

/// A ledger account, written in the database as its [`Account::id`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// Money entering or leaving the ledger (top-ups). It is the one
    /// account that goes negative: minus everything ever topped up.
    External,
    /// A card's balance (零钱).
    Card(CardKey),
    Merchant(String),
    /// A demo-bank customer account behind a card's debit source.
    Bank {
        card: CardKey,
        bank: String,
        last4: String,
    },
}

impl Account {
    /// "external", "card:13:482913", "merchant:m_…", "bank:13:482913:ICBC:1234".
    pub fn id(&self) -> String {
        match self {
            Self::External => "external".into(),
            Self::Card(k) => format!("card:{}:{}", k.prefix, k.token),
            Self::Merchant(m) => format!("merchant:{m}"),
            Self::Bank { card, bank, last4 } => {
                format!("bank:{}:{}:{bank}:{last4}", card.prefix, card.token)
            }
        }
    }

    pub fn parse(id: &str) -> Option<Account> {
        if id == "external" {
            return Some(Self::External);
        }
        let (kind, rest) = id.split_once(':')?;
        let card = |p: &str, t: &str| -> Option<CardKey> {
            Some(CardKey {
                prefix: p.parse().ok()?,
                token: t.parse().ok()?,
            })
        };
        match kind {
            "merchant" if !rest.is_empty() => Some(Self::Merchant(rest.into())),
            "card" => {
                let (p, t) = rest.split_once(':')?;
                Some(Self::Card(card(p, t)?))
            }
            "bank" => {
                let (p, rest) = rest.split_once(':')?;
                let (t, rest) = rest.split_once(':')?;
                // The bank name may hold colons; the last4 never does.
                let (bank, last4) = rest.rsplit_once(':')?;
                Some(Self::Bank {
                    card: card(p, t)?,
                    bank: bank.into(),
                    last4: last4.into(),
                })
            }
            _ => None,
        }
    }

    /// Whether a balance below zero is expected (see [`Account::External`]).
    pub fn may_go_negative(&self) -> bool {
        matches!(self, Self::External)
    }
}

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JournalKind {
    Topup,
    Payment,
    Reversal,
    Refund,
}

impl JournalKind {
    pub const ALL: [JournalKind; 4] = [Self::Topup, Self::Payment, Self::Reversal, Self::Refund];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Topup => "topup",
            Self::Payment => "payment",
            Self::Reversal => "reversal",
            Self::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<JournalKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One ledger transaction: legs that sum to zero, written together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    pub kind: JournalKind,
    /// The payment or refund id (or a top-up's own id).
    pub reference: String,
    pub at: u64,
    /// Signed fen per account: negative leaves, positive arrives.
    pub legs: Vec<(Account, i64)>,
}

/// One stored leg of a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    pub journal: i64,
    pub kind: JournalKind,
    pub reference: String,
    pub account: Account,
    pub amount: i64,
}

/// A payment as stored, including what its idempotency rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    /// "pay_" and 24 hex digits.
    pub id: String,
    pub merchant: String,
    pub out_trade_no: String,
    /// SHA-256 hex of (auth_code, amount, currency); `None` for an
    /// out_trade_no first seen by a reversal.
    pub fingerprint: Option<String>,
    /// `None` for an out_trade_no first seen by a reversal.
    pub amount: Option<Fen>,
    pub currency: String,
    pub description: Option<String>,
    pub status: PaymentStatus,
    pub card: Option<CardKey>,
    pub funding: Option<PaymentFunding>,
    pub error: Option<ErrorCode>,
    pub created: u64,
    /// USERPAYING closes at this unix second.
    pub deadline: Option<u64>,
    /// The local day whose no-PIN allowance this payment used.
    pub allowance_day: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    /// "ref_" and 24 hex digits.
    pub id: String,
    pub merchant: String,
    pub out_refund_no: String,
    pub payment_id: String,
    pub amount: Fen,
    pub created: u64,
}

/// A card's PIN hash as stored (the server checks it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPin {
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
    pub rounds: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_round_trip() {
        let card = CardKey {
            prefix: 13,
            token: 482_913,
        };
        for a in [
            Account::External,
            Account::Card(card),
            Account::Merchant("m_0123456789abcdef".into()),
            Account::Bank {
                card,
                bank: "Bank:of:Colons".into(),
                last4: "1234".into(),
            },
        ] {
            assert_eq!(Account::parse(&a.id()), Some(a.clone()), "{}", a.id());
        }
        for bad in [
            "",
            "card:13",
            "card:x:1",
            "merchant:",
            "bank:13:1:1234",
            "x:y",
        ] {
            assert_eq!(Account::parse(bad), None, "{bad}");
        }
    }
}
