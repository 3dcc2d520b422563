//! Checking a signed request: the clock window, the signature (in constant
//! time) and, with a [`NonceLog`], that the nonce is fresh.

use hmac::Mac;

use super::canonical::{mac_of, RequestParts};
use super::card::{CardAuthHeader, CardSigner};
use super::{AuthError, AuthHeader, NonceLog, MAX_CLOCK_SKEW_SECS};
use crate::secret::SecretKey;

/// What [`verify`] needs of a parsed header, whichever scheme it is: the
/// merchant API's or the card channel's. One verifier serves both.
pub trait SignedHeader {
    fn ts(&self) -> u64;
    fn nonce(&self) -> &str;
    /// 64 lowercase hex digits.
    fn sig(&self) -> &str;
    /// Whose nonce log entry this is (a merchant id, or `card:P:T`).
    fn nonce_owner(&self) -> String;
}

impl SignedHeader for AuthHeader {
    fn ts(&self) -> u64 {
        AuthHeader::ts(self)
    }
    fn nonce(&self) -> &str {
        AuthHeader::nonce(self)
    }
    fn sig(&self) -> &str {
        AuthHeader::sig(self)
    }
    fn nonce_owner(&self) -> String {
        self.merchant().to_owned()
    }
}

/// A merchant key as the key lookup of [`authenticate`] hands it over:
/// the store's [`SecretKey`] (wiped when dropped), or plain bytes in tests.
pub trait KeyBytes {
    fn key_bytes(&self) -> &[u8];
}

impl KeyBytes for SecretKey {
    fn key_bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl KeyBytes for Vec<u8> {
    fn key_bytes(&self) -> &[u8] {
        self
    }
}

impl KeyBytes for &[u8] {
    fn key_bytes(&self) -> &[u8] {
        self
    }
}

/// What a server knows of a request besides its `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
}

/// Checks `header` against the request under `key` at issuer time `now`:
/// `ts` within ±300 s, and `sig` the HMAC of this request. Does not look at
/// nonces (see [`verify_and_remember`]).
pub fn verify<H: SignedHeader>(
    key: &[u8],
    header: &H,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: u64,
) -> Result<(), AuthError> {
    check_window(header.ts(), now)?;
    let sig = hex::decode(header.sig()).map_err(|_| AuthError::BadSignatureFormat)?;
    let parts = RequestParts {
        method,
        path_and_query,
        ts: header.ts(),
        nonce: header.nonce(),
        body,
    };
    mac_of(key, &parts)
        .ok_or(AuthError::BadSignature)?
        .verify_slice(&sig)
        .map_err(|_| AuthError::BadSignature)
}

fn check_window(ts: u64, now: u64) -> Result<(), AuthError> {
    if now > ts && now - ts > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::TooOld { by_secs: now - ts });
    }
    if ts > now && ts - now > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::TooNew { by_secs: ts - now });
    }
    Ok(())
}

/// A failed check: the request is not authentic, or the nonce log failed
/// (then the server answers 500, and the request has had no effect either).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError<E> {
    Auth(AuthError),
    Log(E),
}

impl<E> From<AuthError> for CheckError<E> {
    fn from(e: AuthError) -> Self {
        CheckError::Auth(e)
    }
}

impl<E: std::fmt::Display> std::fmt::Display for CheckError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(e) => e.fmt(f),
            Self::Log(e) => write!(f, "the nonce log failed: {e}"),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for CheckError<E> {}

/// [`verify`], then records the nonce. A nonce is only recorded once the
/// signature holds, so forged requests cannot fill the log or burn a
/// merchant's nonces. It is kept until one second past the last moment its
/// `ts` is accepted.
pub fn verify_and_remember<H: SignedHeader, L: NonceLog>(
    key: &[u8],
    header: &H,
    request: &Request<'_>,
    now: u64,
    nonces: &mut L,
) -> Result<(), CheckError<L::Error>> {
    verify(
        key,
        header,
        request.method,
        request.path_and_query,
        request.body,
        now,
    )?;
    let expires_at = header.ts().saturating_add(MAX_CLOCK_SKEW_SECS + 1);
    match nonces.remember(&header.nonce_owner(), header.nonce(), expires_at) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::NonceReused.into()),
        Err(e) => Err(CheckError::Log(e)),
    }
}

/// The whole check a server runs: reads the header (`None` when absent),
/// looks the merchant's key up with `key_of` (`Ok(None)`: no such merchant),
/// verifies and records the nonce. Answers the merchant who signed: the
/// only merchant the request may act for.
pub fn authenticate<K, L>(
    authorization: Option<&str>,
    request: &Request<'_>,
    now: u64,
    key_of: impl FnOnce(&str) -> Result<Option<K>, L::Error>,
    nonces: &mut L,
) -> Result<String, CheckError<L::Error>>
where
    K: KeyBytes,
    L: NonceLog,
{
    let header = AuthHeader::parse(authorization.ok_or(AuthError::Missing)?)?;
    let key = key_of(header.merchant())
        .map_err(CheckError::Log)?
        .ok_or(AuthError::UnknownMerchant)?;
    verify_and_remember(key.key_bytes(), &header, request, now, nonces)?;
    Ok(header.merchant().to_owned())
}

/// [`authenticate`] for the card channel: reads a `PAYCODE-CARD` header,
/// looks the card's channel key up with `channel_key_of` (`Ok(None)`: no
/// such card, or one that may not sign), verifies and records the nonce.
/// Answers the card that signed: the only card the request may read or act
/// for.
pub fn authenticate_card<K, L>(
    authorization: Option<&str>,
    request: &Request<'_>,
    now: u64,
    channel_key_of: impl FnOnce(CardSigner) -> Result<Option<K>, L::Error>,
    nonces: &mut L,
) -> Result<CardSigner, CheckError<L::Error>>
where
    K: KeyBytes,
    L: NonceLog,
{
    let header = CardAuthHeader::parse(authorization.ok_or(AuthError::Missing)?)?;
    let key = channel_key_of(header.card())
        .map_err(CheckError::Log)?
        .ok_or(AuthError::UnknownCard)?;
    verify_and_remember(key.key_bytes(), &header, request, now, nonces)?;
    Ok(header.card())
}
