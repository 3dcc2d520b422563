//! The `Authorization` value:
//! `PAYCODE-HMAC-SHA256 merchant=<id>,ts=<unix seconds>,nonce=<nonce>,sig=<hex>`.
//!
//! Fields may come in any order, each exactly once, with optional spaces
//! around the commas. Values are bare (never quoted). The scheme word is
//! matched without regard to case, as HTTP auth schemes are.

use super::canonical::{sign, RequestParts};
use super::{
    is_token_char, AuthError, MAX_HEADER_LEN, MAX_MERCHANT_ID_LEN, MAX_NONCE_LEN, MIN_NONCE_LEN,
    SCHEME,
};

/// A well-formed `Authorization` value. Well-formed only: whether it is
/// true is for [`verify`](super::verify()). Every value of this type has
/// passed the field checks (the fields are private), so no nonce or id
/// can carry a newline into the canonical string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHeader {
    merchant: String,
    ts: u64,
    nonce: String,
    sig: String,
}

const FIELDS: [&str; 4] = ["merchant", "ts", "nonce", "sig"];

impl AuthHeader {
    pub fn parse(value: &str) -> Result<AuthHeader, AuthError> {
        let [merchant, ts, nonce, sig] = fields(value, SCHEME, &FIELDS)?;
        AuthHeader::new(merchant, parse_ts(ts)?, nonce, sig)
    }

    /// A header from its fields, checked as [`parse`](Self::parse) checks them.
    pub fn new(merchant: &str, ts: u64, nonce: &str, sig: &str) -> Result<AuthHeader, AuthError> {
        Ok(AuthHeader {
            merchant: check_merchant_id(merchant)?.to_owned(),
            ts,
            nonce: check_nonce(nonce)?.to_owned(),
            sig: check_sig(sig)?.to_owned(),
        })
    }

    /// The merchant who claims to have signed (true once verified).
    pub fn merchant(&self) -> &str {
        &self.merchant
    }

    pub fn ts(&self) -> u64 {
        self.ts
    }

    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// 64 lowercase hex digits.
    pub fn sig(&self) -> &str {
        &self.sig
    }

    /// The value as a client sends it: fields in the documented order.
    pub fn to_value(&self) -> String {
        format!(
            "{SCHEME} merchant={},ts={},nonce={},sig={}",
            self.merchant, self.ts, self.nonce, self.sig
        )
    }
}

/// Signs `parts` for `merchant` under `key` and returns the whole
/// `Authorization` value. The caller's merchant id and nonce are written as
/// given; [`AuthHeader::parse`] of the result checks them.
pub fn authorization(key: &[u8], merchant: &str, parts: &RequestParts<'_>) -> String {
    format!(
        "{SCHEME} merchant={merchant},ts={},nonce={},sig={}",
        parts.ts,
        parts.nonce,
        sign(key, parts)
    )
}

/// The values of `names` in an `Authorization` value of `scheme`: each
/// exactly once, in any order, with optional spaces around the commas.
/// Shared by every scheme, so they all read headers the same way.
pub(crate) fn fields<'v, const N: usize>(
    value: &'v str,
    scheme: &str,
    names: &[&'static str; N],
) -> Result<[&'v str; N], AuthError> {
    if value.len() > MAX_HEADER_LEN || !value.is_ascii() {
        return Err(AuthError::Unreadable);
    }
    let rest = strip_scheme(value, scheme).ok_or(AuthError::UnknownScheme)?;
    let mut found: [Option<&str>; N] = [None; N];
    for part in rest.split(',') {
        let (name, field_value) = part
            .trim_matches([' ', '\t'])
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or(AuthError::MalformedPart)?;
        let slot = names
            .iter()
            .position(|f| *f == name)
            .ok_or(AuthError::UnknownField)?;
        if found[slot].replace(field_value).is_some() {
            return Err(AuthError::DuplicateField(names[slot]));
        }
    }
    let mut out = [""; N];
    for (i, slot) in found.iter().enumerate() {
        out[i] = slot.ok_or(AuthError::MissingField(names[i]))?;
    }
    Ok(out)
}

fn strip_scheme<'v>(value: &'v str, want: &str) -> Option<&'v str> {
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case(want)
        .then(|| rest.trim_start_matches(' '))
}

/// 1–64 of `[A-Za-z0-9_-]`.
pub fn check_merchant_id(id: &str) -> Result<&str, AuthError> {
    let ok = !id.is_empty() && id.len() <= MAX_MERCHANT_ID_LEN && id.bytes().all(is_token_char);
    ok.then_some(id).ok_or(AuthError::BadMerchantId)
}

/// Decimal digits, no sign, no leading zero (so that the text signed and
/// the number checked are one and the same), within `u64`.
pub(crate) fn parse_ts(text: &str) -> Result<u64, AuthError> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || !text.starts_with('0');
    if !digits || !canonical {
        return Err(AuthError::BadTimestamp);
    }
    text.parse().map_err(|_| AuthError::BadTimestamp)
}

/// 16–64 of `[A-Za-z0-9_-]`.
pub fn check_nonce(nonce: &str) -> Result<&str, AuthError> {
    if !nonce.bytes().all(is_token_char) {
        return Err(AuthError::NonceCharset);
    }
    if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
        return Err(AuthError::NonceLength(nonce.len()));
    }
    Ok(nonce)
}

pub(crate) fn check_sig(sig: &str) -> Result<&str, AuthError> {
    let ok = sig.len() == 64 && sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ok.then_some(sig).ok_or(AuthError::BadSignatureFormat)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn with(merchant: &str, ts: &str, nonce: &str, sig: &str) -> String {
        format!("PAYCODE-HMAC-SHA256 merchant={merchant},ts={ts},nonce={nonce},sig={sig}")
    }

    fn good() -> String {
        with("m_0123456789abcdef", "1700000000", "nonce-0123456789_", SIG)
    }

    #[test]
    fn reads_a_good_header_and_writes_it_back() {
        let h = AuthHeader::parse(&good()).unwrap();
        assert_eq!(h.merchant(), "m_0123456789abcdef");
        assert_eq!(h.ts(), 1_700_000_000);
        assert_eq!(h.nonce(), "nonce-0123456789_");
        assert_eq!(h.sig(), SIG);
        assert_eq!(h.to_value(), good());
    }

    #[test]
    fn fields_in_any_order_with_spaces_around_commas() {
        let v = format!(
            "paycode-hmac-sha256  sig={SIG} , nonce=nonce-0123456789_,\tts=1700000000, merchant=m_0123456789abcdef"
        );
        assert_eq!(AuthHeader::parse(&v), AuthHeader::parse(&good()));
    }

    #[test]
    fn each_mistake_has_its_own_error() {
        use AuthError::*;
        let long = "x".repeat(MAX_HEADER_LEN + 1);
        let cases: Vec<(String, AuthError)> = vec![
            (long, Unreadable),
            (good().replace("m_0", "m_é"), Unreadable),
            (
                good().replace("PAYCODE-HMAC-SHA256", "Bearer"),
                UnknownScheme,
            ),
            ("PAYCODE-HMAC-SHA256".into(), UnknownScheme),
            (
                good().replace("PAYCODE-HMAC-SHA256 ", "PAYCODE-HMAC-SHA256,"),
                UnknownScheme,
            ),
            (format!("{},", good()), MalformedPart),
            (format!("{},=x", good()), MalformedPart),
            (good().replace("ts=", "ts:"), MalformedPart),
            (format!("{},extra=1", good()), UnknownField),
            (good().replace("merchant=", "Merchant="), UnknownField),
            (format!("{},ts=1", good()), DuplicateField("ts")),
            (
                good().replace(&format!(",sig={SIG}"), ""),
                MissingField("sig"),
            ),
            (
                good().replace("merchant=m_0123456789abcdef,", ""),
                MissingField("merchant"),
            ),
            (with("", "1", "nonce-0123456789_", SIG), BadMerchantId),
            (with("m.1", "1", "nonce-0123456789_", SIG), BadMerchantId),
            (
                with(&"m".repeat(65), "1", "nonce-0123456789_", SIG),
                BadMerchantId,
            ),
            (with("m", "", "nonce-0123456789_", SIG), BadTimestamp),
            (with("m", "-1", "nonce-0123456789_", SIG), BadTimestamp),
            (with("m", "+1", "nonce-0123456789_", SIG), BadTimestamp),
            (with("m", "01", "nonce-0123456789_", SIG), BadTimestamp),
            (with("m", "1.5", "nonce-0123456789_", SIG), BadTimestamp),
            (
                with("m", "18446744073709551616", "nonce-0123456789_", SIG),
                BadTimestamp,
            ),
            (with("m", "1", "short", SIG), NonceLength(5)),
            (with("m", "1", &"n".repeat(65), SIG), NonceLength(65)),
            (with("m", "1", "nonce.0123456789_", SIG), NonceCharset),
            (
                with("m", "1", "nonce-0123456789_", &SIG.to_uppercase()),
                BadSignatureFormat,
            ),
            (
                with("m", "1", "nonce-0123456789_", &SIG[1..]),
                BadSignatureFormat,
            ),
            (
                with("m", "1", "nonce-0123456789_", &format!("{SIG}0")),
                BadSignatureFormat,
            ),
            (
                with("m", "1", "nonce-0123456789_", &SIG.replace('a', "g")),
                BadSignatureFormat,
            ),
        ];
        for (value, want) in cases {
            assert_eq!(AuthHeader::parse(&value), Err(want), "{value:?}");
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        for (m, ts, nonce) in [
            ("m", "0", "n".repeat(16)),
            (&"M".repeat(64), "18446744073709551615", "N".repeat(64)),
        ] {
            let h = AuthHeader::parse(&with(m, ts, &nonce, SIG)).unwrap();
            assert_eq!((h.merchant(), h.nonce()), (m, nonce.as_str()));
        }
    }

    #[test]
    fn messages_never_quote_the_values() {
        let secretish = "S3CRETVALUE_S3CRETVALUE";
        for value in [
            with(secretish, "1", "n", SIG),
            with("m", secretish, "nonce-0123456789_", SIG),
            with("m", "1", &format!("{secretish}."), SIG),
            format!("{},{secretish}=1", good()),
            with("m", "1", "nonce-0123456789_", secretish),
        ] {
            let e = AuthHeader::parse(&value).unwrap_err();
            assert!(!e.to_string().contains(secretish), "{e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(value in ".{0,300}") {
            let _ = AuthHeader::parse(&value);
        }

        #[test]
        fn any_written_header_reads_back(
            merchant in "[A-Za-z0-9_-]{1,64}",
            ts in proptest::num::u64::ANY,
            nonce in "[A-Za-z0-9_-]{16,64}",
            sig in "[0-9a-f]{64}",
        ) {
            let h = AuthHeader::new(&merchant, ts, &nonce, &sig).unwrap();
            proptest::prop_assert_eq!(AuthHeader::parse(&h.to_value()), Ok(h));
        }
    }
}
