//! The card's HMAC key: zeroed when dropped, never printed.

use base32ct::{Base32UpperUnpadded, Encoding};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::error::LinkError;
use super::limits::{MAX_KEY_BYTES, MIN_KEY_BYTES};

/// Key bytes that are wiped from memory when the value is dropped.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// RFC 4648 base32, any letter case, `=` padding optional, 16..=64 bytes.
    pub fn from_base32(text: &str) -> Result<Secret, LinkError> {
        // Copies of the secret are zeroed too. base32ct decodes without
        // secret-dependent branches or tables, and is a fraction of the
        // size of a table-driven decoder in the wasm bundle.
        let padding = text.bytes().rev().take_while(|&b| b == b'=').count();
        let unpadded = text.get(..text.len() - padding).unwrap_or(text);
        let mut canonical = Zeroizing::new(unpadded.to_owned());
        canonical.make_ascii_uppercase();
        let mut buffer = Zeroizing::new(vec![0u8; canonical.len() * 5 / 8 + 1]);
        let bytes = Base32UpperUnpadded::decode(canonical.as_bytes(), &mut buffer)
            .map(|decoded| Zeroizing::new(decoded.to_vec()))
            .map_err(|_| LinkError::BadBase32)?;
        // base32ct ignores set bits after the last whole byte; a text whose
        // unused bits are not zero was cut short or mistyped, so only the
        // canonical spelling of the bytes is accepted.
        if !canonical_tail(canonical.as_bytes()) {
            return Err(LinkError::BadBase32);
        }
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&bytes.len()) {
            return Err(LinkError::SecretLength { len: bytes.len() });
        }
        Ok(Secret(bytes))
    }

    /// Wraps key bytes as they are; [`super::code::encode`] refuses keys
    /// shorter than [`MIN_KEY_BYTES`] bytes.
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

/// Whether the bits of the last character that fall after the last whole
/// byte are zero, and the length is one an encoder can produce (a length
/// of 1, 3 or 6 modulo 8 leaves a character with no byte in it). `text`
/// is upper-case base32 that has decoded. Branch-free on the character.
fn canonical_tail(text: &[u8]) -> bool {
    let Some(&last) = text.last() else {
        return true;
    };
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return false;
    }
    let unused_bits = (text.len() * 5) % 8;
    let c = u32::from(last);
    // 1 for 'A'..='Z' (above 0x40), 0 for '2'..='7'.
    let letter = (0x40u32.wrapping_sub(c) >> 31) & 1;
    let value = letter.wrapping_mul(c.wrapping_sub(u32::from(b'A')))
        | (1 - letter).wrapping_mul(c.wrapping_sub(u32::from(b'2')).wrapping_add(26));
    value & ((1 << unused_bits) - 1) == 0
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
    fn only_the_canonical_spelling_of_the_bytes_is_accepted() {
        // Oracle: a spelling is canonical when re-encoding its bytes gives
        // it back. Every key length, every possible last character.
        for len in 16..=24 {
            let key: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let good = Base32UpperUnpadded::encode_string(&key);
            assert_eq!(Secret::from_base32(&good).unwrap().as_bytes(), key);
            let stem = &good[..good.len() - 1];
            for last in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".chars() {
                let text = format!("{stem}{last}");
                let canonical = Secret::from_base32(&text)
                    .is_ok_and(|s| Base32UpperUnpadded::encode_string(s.as_bytes()) == text);
                assert_eq!(Secret::from_base32(&text).is_ok(), canonical, "{text}");
            }
            // Cut short by one to three characters.
            for cut in 1..=3 {
                let short = &good[..good.len() - cut];
                let accepted = Secret::from_base32(short);
                if let Ok(s) = accepted {
                    assert_eq!(Base32UpperUnpadded::encode_string(s.as_bytes()), short);
                }
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_base32(EIGHTEEN).unwrap();
        assert_eq!(format!("{s:?}"), "Secret(redacted)");
    }
}
