//! The card-signed channel's `Authorization` value (docs/FORMAT.md §11):
//! `PAYCODE-CARD prefix=<10..15>,token=<id>,ts=<unix seconds>,nonce=<nonce>,sig=<hex>`.
//!
//! The wallet signs the same canonical string as a till does, under the
//! card's channel key (HKDF of the card secret,
//! [`paycode_wallet::core::channel::channel_key`]) instead of a merchant
//! key. Parsing follows the merchant header's rules exactly (shared
//! [`fields`](super::header) reader); only the fields differ.

use paycode_wallet::core::code::TOKEN_LIMIT;

use super::canonical::{sign, RequestParts};
use super::header::{check_nonce, check_sig, fields, parse_ts};
use super::verify::SignedHeader;
use super::AuthError;

/// The scheme word of the card channel.
pub const CARD_SCHEME: &str = "PAYCODE-CARD";

const FIELDS: [&str; 5] = ["prefix", "token", "ts", "nonce", "sig"];

/// The card a request claims to come from: its code prefix and token id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CardSigner {
    pub prefix: u8,
    pub token: u32,
}

impl CardSigner {
    /// The key its nonces are remembered under. The `card:` start keeps
    /// them apart from merchant ids (`m_…`) in the one nonce log.
    pub fn nonce_owner(&self) -> String {
        format!("card:{}:{}", self.prefix, self.token)
    }
}

/// A well-formed `PAYCODE-CARD` value (well-formed only; see
/// [`authenticate_card`](super::authenticate_card)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardAuthHeader {
    card: CardSigner,
    ts: u64,
    nonce: String,
    sig: String,
}

impl CardAuthHeader {
    pub fn parse(value: &str) -> Result<CardAuthHeader, AuthError> {
        let [prefix, token, ts, nonce, sig] = fields(value, CARD_SCHEME, &FIELDS)?;
        let card = CardSigner {
            prefix: parse_prefix(prefix)?,
            token: parse_token(token)?,
        };
        Ok(CardAuthHeader {
            card,
            ts: parse_ts(ts)?,
            nonce: check_nonce(nonce)?.to_owned(),
            sig: check_sig(sig)?.to_owned(),
        })
    }

    pub fn card(&self) -> CardSigner {
        self.card
    }
}

impl SignedHeader for CardAuthHeader {
    fn ts(&self) -> u64 {
        self.ts
    }
    fn nonce(&self) -> &str {
        &self.nonce
    }
    fn sig(&self) -> &str {
        &self.sig
    }
    fn nonce_owner(&self) -> String {
        self.card.nonce_owner()
    }
}

/// Signs `parts` for `card` under its channel key and returns the whole
/// `Authorization` value, fields in the documented order.
pub fn card_authorization(
    channel_key: &[u8],
    card: CardSigner,
    parts: &RequestParts<'_>,
) -> String {
    format!(
        "{CARD_SCHEME} prefix={},token={},ts={},nonce={},sig={}",
        card.prefix,
        card.token,
        parts.ts,
        parts.nonce,
        sign(channel_key, parts)
    )
}

/// Two digits, 10 to 15.
fn parse_prefix(text: &str) -> Result<u8, AuthError> {
    match text.parse::<u8>() {
        Ok(p) if text.len() == 2 && (10..=15).contains(&p) => Ok(p),
        _ => Err(AuthError::BadCardId),
    }
}

/// Plain decimal without leading zeros, below 2^20.
fn parse_token(text: &str) -> Result<u32, AuthError> {
    let digits = !text.is_empty() && text.len() <= 7 && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || !text.starts_with('0');
    match text.parse::<u32>() {
        Ok(t) if digits && canonical && t < TOKEN_LIMIT => Ok(t),
        _ => Err(AuthError::BadCardId),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn with(prefix: &str, token: &str) -> String {
        format!("PAYCODE-CARD prefix={prefix},token={token},ts=1700000000,nonce=nonce-0123456789_,sig={SIG}")
    }

    #[test]
    fn reads_a_good_header() {
        let h = CardAuthHeader::parse(&with("13", "482913")).unwrap();
        assert_eq!(
            h.card(),
            CardSigner {
                prefix: 13,
                token: 482913
            }
        );
        assert_eq!(
            (h.ts(), h.nonce(), h.sig()),
            (1_700_000_000, "nonce-0123456789_", SIG)
        );
        assert_eq!(h.nonce_owner(), "card:13:482913");
        let reordered = format!(
            "paycode-card sig={SIG}, nonce=nonce-0123456789_,ts=1700000000 ,token=482913,prefix=13"
        );
        assert_eq!(CardAuthHeader::parse(&reordered), Ok(h));
    }

    #[test]
    fn bad_card_ids_and_other_schemes_are_refused() {
        use AuthError::*;
        for (value, want) in [
            (with("9", "1"), BadCardId),
            (with("16", "1"), BadCardId),
            (with("013", "1"), BadCardId),
            (with("13", "01"), BadCardId),
            (with("13", "1048576"), BadCardId),
            (with("13", "-1"), BadCardId),
            (with("13", ""), BadCardId),
            (
                with("13", "1").replace("PAYCODE-CARD", "PAYCODE-HMAC-SHA256"),
                UnknownScheme,
            ),
            (
                with("13", "1").replace("prefix=13,", ""),
                MissingField("prefix"),
            ),
            (format!("{},merchant=m_1", with("13", "1")), UnknownField),
            (
                format!("{},token=2", with("13", "1")),
                DuplicateField("token"),
            ),
        ] {
            assert_eq!(CardAuthHeader::parse(&value), Err(want), "{value}");
        }
        assert!(CardAuthHeader::parse(&with("15", "1048575")).is_ok());
        assert!(CardAuthHeader::parse(&with("10", "0")).is_ok());
    }

    #[test]
    fn a_merchant_header_is_not_a_card_header() {
        let merchant =
            format!("PAYCODE-HMAC-SHA256 merchant=m_1,ts=1,nonce=nonce-0123456789_,sig={SIG}");
        assert_eq!(
            CardAuthHeader::parse(&merchant),
            Err(AuthError::UnknownScheme)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(value in ".{0,300}") {
            let _ = CardAuthHeader::parse(&value);
        }
    }
}
