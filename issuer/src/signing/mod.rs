//! Request signing for the merchant API (`/v1/`, docs/MERCHANT_API.md)
//! and the card-signed wallet channel (`/v1/wallet/`, docs/FORMAT.md §11).
//!
//! Every request carries
//! `Authorization: PAYCODE-HMAC-SHA256 merchant=<id>,ts=<unix seconds>,nonce=<nonce>,sig=<hex>`
//! where `sig` is HMAC-SHA256 under the merchant's API key of the
//! [canonical string](canonical_string): method, path and query, ts, nonce
//! and the body's SHA-256, one per line.
//!
//! Everything here is pure: no I/O and no clock. The time is an argument,
//! and the "nonce seen before" memory is the caller's, behind [`NonceLog`]
//! (the store keeps it; [`MemoryNonceLog`] serves tests and tools).
//!
//! - [`canonical`]: the string that is signed, and [`sign`].
//! - [`header`]: reading and writing the `Authorization` value.
//! - [`card`]: the wallet's `PAYCODE-CARD` header, same rules, other fields.
//! - [`verify`](mod@verify): the signature, the clock window and the nonce,
//!   for either header.

pub mod canonical;
pub mod card;
mod error;
pub mod header;
mod nonces;
pub mod verify;

pub use canonical::{body_sha256_hex, canonical_string, sign, RequestParts};
pub use card::{card_authorization, CardAuthHeader, CardSigner, CARD_SCHEME};
pub use error::AuthError;
pub use header::{authorization, AuthHeader};
pub use nonces::{MemoryNonceLog, NonceLog};
pub use verify::{
    authenticate, authenticate_card, verify, verify_and_remember, CheckError, KeyBytes, Request,
    SignedHeader,
};

/// The scheme word that starts the `Authorization` value.
pub const SCHEME: &str = "PAYCODE-HMAC-SHA256";

/// How far a request's `ts` may be from the issuer's clock, either way, in
/// seconds. A captured request is worthless after this long, so nonces only
/// need remembering for this long.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Nonce length limits, in characters of `[A-Za-z0-9_-]`. 16 such characters
/// are 95 bits: a till picking them at random never repeats by accident.
pub const MIN_NONCE_LEN: usize = 16;
pub const MAX_NONCE_LEN: usize = 64;

/// Longest merchant id accepted in a header (ids are `m_` + 16 characters).
pub const MAX_MERCHANT_ID_LEN: usize = 64;

/// Longest `Authorization` value looked at; a well-formed one is under 200
/// bytes.
pub const MAX_HEADER_LEN: usize = 512;

/// `[A-Za-z0-9_-]`: the characters of merchant ids, nonces and out_trade_no.
pub fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}
