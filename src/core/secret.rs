//! The card's HMAC key: zeroed when dropped, never printed.

use base32ct::{Base32UpperUnpadded, Encoding};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::link::LinkError;

/// Shortest key a provisioning link may carry (128 bits, as RFC 4226 asks).
pub const MIN_SECRET_BYTES: usize = 16;
/// Longest key a provisioning link may carry (one SHA-256 block).
pub const MAX_SECRET_BYTES: usize = 64;

/// Key bytes that are wiped from memory when the value is dropped.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// RFC 4648 base32, any letter case, `=` padding optional, 16..=64 bytes.
    pub fn from_base32(text: &str) -> Result<Secret, LinkError> {
        // Copies of the secret are zeroed too. base32ct decodes without
        // secret-dependent branches or tables, and is a fraction of the
        // size of a table-driven decoder in the wasm bundle.
        let mut canonical = Zeroizing::new(text.trim_end_matches('=').to_owned());
        canonical.make_ascii_uppercase();
        let mut buffer = Zeroizing::new(vec![0u8; canonical.len() * 5 / 8 + 1]);
        let bytes = Base32UpperUnpadded::decode(canonical.as_bytes(), &mut buffer)
            .map(|decoded| Zeroizing::new(decoded.to_vec()))
            .map_err(|_| LinkError::BadBase32)?;
        // base32ct ignores set bits after the last whole byte; a text whose
        // unused bits are not zero was cut short or mistyped, so only the
        // canonical spelling of the bytes is accepted.
        let respelled = Zeroizing::new(Base32UpperUnpadded::encode_string(&bytes));
        if !bool::from(respelled.as_bytes().ct_eq(canonical.as_bytes())) {
            return Err(LinkError::BadBase32);
        }
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(LinkError::SecretLength { len: bytes.len() });
        }
        Ok(Secret(bytes))
    }

    /// Wraps key bytes as they are; [`super::code::encode`] refuses keys
    /// shorter than 16 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Secret {
        Secret(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Unpadded upper-case base32, as provisioning links carry it.
    pub fn to_base32(&self) -> String {
        Base32UpperUnpadded::encode_string(&self.0)
    }
}

/// Constant time, so comparing secrets leaks nothing through timing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for Secret {}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // base64.b32encode(b"foobarfoobarfoobar") in Python.
    const EIGHTEEN: &str = "MZXW6YTBOJTG633CMFZGM33PMJQXE";

    #[test]
    fn decodes_any_case_with_or_without_padding() {
        let upper = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(upper.as_bytes(), b"12345678901234567890");
        let lower = Secret::from_base32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").unwrap();
        assert_eq!(lower, upper);
        let padded = Secret::from_base32(&format!("{EIGHTEEN}===")).unwrap();
        let bare = Secret::from_base32(EIGHTEEN).unwrap();
        assert_eq!(padded, bare);
        assert_eq!(bare.as_bytes(), b"foobarfoobarfoobar");
        assert_eq!(bare.to_base32(), EIGHTEEN);
    }

    #[test]
    fn wrong_alphabet_and_sizes_are_refused() {
        let kind = |s: &str| Secret::from_base32(s).unwrap_err().kind();
        assert_eq!(kind("GEZDGNBVGY3TQOJQ GEZDGNBVGY3TQOJQ"), "bad_base32");
        assert_eq!(kind("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ"), "bad_base32");
        assert_eq!(kind("A"), "bad_base32");
        assert_eq!(kind("GEZDGNBVGY3TQOJQ"), "secret_length"); // 10 bytes
        assert_eq!(kind(""), "secret_length");
        assert_eq!(kind(&"GEZDGNBV".repeat(14)), "secret_length"); // 70 bytes
        assert!(Secret::from_base32(&"GEZDGNBV".repeat(12)).is_ok()); // 60 bytes
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_base32(EIGHTEEN).unwrap();
        assert_eq!(format!("{s:?}"), "Secret(redacted)");
    }
}
