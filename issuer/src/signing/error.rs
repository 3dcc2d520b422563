//! Why a request failed authentication. Every variant is answered with 401
//! `UNAUTHORIZED`; the message says which check failed so an integrator can
//! fix their client, and never quotes a key or a signature.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header at all.
    Missing,
    /// Longer than [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN) or not ASCII.
    Unreadable,
    /// The value does not start with the endpoint's scheme word
    /// (`PAYCODE-HMAC-SHA256 ` for tills, `PAYCODE-CARD ` for the wallet).
    UnknownScheme,
    /// A comma-separated part without `=`, or with an empty name.
    MalformedPart,
    /// A name the scheme does not define (merchant, ts, nonce and sig;
    /// prefix, token, ts, nonce and sig for cards).
    UnknownField,
    MissingField(&'static str),
    DuplicateField(&'static str),
    /// Empty, longer than 64, or a character outside `[A-Za-z0-9_-]`.
    BadMerchantId,
    /// Not plain decimal digits without leading zeros, or too large.
    BadTimestamp,
    NonceLength(usize),
    NonceCharset,
    /// Not 64 lowercase hex digits.
    BadSignatureFormat,
    /// `ts` more than 300 s before the issuer's clock.
    TooOld {
        by_secs: u64,
    },
    /// `ts` more than 300 s after the issuer's clock.
    TooNew {
        by_secs: u64,
    },
    /// No merchant has this id (the caller's key lookup said so).
    UnknownMerchant,
    /// A card header's prefix is not 10 to 15, or its token not plain
    /// decimal below 2^20.
    BadCardId,
    /// No card may sign with this prefix and token (none, or revoked).
    UnknownCard,
    /// Well formed and in time, but not signed with this merchant's key
    /// over this request.
    BadSignature,
    /// This merchant already used this nonce within the window.
    NonceReused,
}

impl AuthError {
    /// Stable snake_case name, for logs and tests (the wire code is always
    /// `UNAUTHORIZED`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unreadable => "unreadable",
            Self::UnknownScheme => "unknown_scheme",
            Self::MalformedPart => "malformed_part",
            Self::UnknownField => "unknown_field",
            Self::MissingField(_) => "missing_field",
            Self::DuplicateField(_) => "duplicate_field",
            Self::BadMerchantId => "bad_merchant_id",
            Self::BadTimestamp => "bad_timestamp",
            Self::NonceLength(_) => "nonce_length",
            Self::NonceCharset => "nonce_charset",
            Self::BadSignatureFormat => "bad_signature_format",
            Self::TooOld { .. } => "too_old",
            Self::TooNew { .. } => "too_new",
            Self::UnknownMerchant => "unknown_merchant",
            Self::BadCardId => "bad_card_id",
            Self::UnknownCard => "unknown_card",
            Self::BadSignature => "bad_signature",
            Self::NonceReused => "nonce_reused",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::{MAX_NONCE_LEN, MIN_NONCE_LEN};
        match self {
            Self::Missing => f.write_str("the request has no Authorization header"),
            Self::Unreadable => f.write_str("the Authorization header is too long or not ASCII"),
            Self::UnknownScheme => f.write_str(
                "the Authorization header must start with \"PAYCODE-HMAC-SHA256 \" \
                 (merchant API) or \"PAYCODE-CARD \" (wallet routes)",
            ),
            Self::MalformedPart => {
                f.write_str("the Authorization fields must be name=value, separated by commas")
            }
            Self::UnknownField => f.write_str(
                "the Authorization header has a field its scheme does not define \
                 (merchant, ts, nonce, sig; or prefix, token, ts, nonce, sig)",
            ),
            Self::MissingField(name) => write!(f, "the Authorization header has no {name}="),
            Self::DuplicateField(name) => {
                write!(f, "the Authorization header has {name}= more than once")
            }
            Self::BadMerchantId => {
                f.write_str("merchant= must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
            }
            Self::BadTimestamp => f.write_str(
                "ts= must be unix seconds in plain decimal digits, without leading zeros",
            ),
            Self::NonceLength(n) => write!(
                f,
                "nonce= must be {MIN_NONCE_LEN} to {MAX_NONCE_LEN} characters, not {n}"
            ),
            Self::NonceCharset => f.write_str("nonce= may only hold A-Z, a-z, 0-9, _ and -"),
            Self::BadSignatureFormat => f.write_str("sig= must be 64 lowercase hex digits"),
            Self::TooOld { by_secs } => write!(
                f,
                "ts= is {by_secs} s behind the issuer's clock; at most 300 s is accepted"
            ),
            Self::TooNew { by_secs } => write!(
                f,
                "ts= is {by_secs} s ahead of the issuer's clock; at most 300 s is accepted"
            ),
            Self::UnknownMerchant => f.write_str("no merchant has this id"),
            Self::BadCardId => f.write_str(
                "prefix= must be 10 to 15 and token= plain decimal digits below 1048576",
            ),
            Self::UnknownCard => f.write_str("no card that may sign has this prefix and token"),
            Self::BadSignature => {
                f.write_str("the signature does not match this request under this merchant's key")
            }
            Self::NonceReused => {
                f.write_str("this nonce was already used; every request needs a fresh one")
            }
        }
    }
}

impl std::error::Error for AuthError {}
