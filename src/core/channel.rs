//! The key of the card-signed channel (docs/FORMAT.md §11): the wallet
//! signs its requests to the issuer with a key derived from the card
//! secret, so the card key itself only ever makes codes, and a leaked
//! channel key (it reaches WebCrypto) cannot make a single code.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::secret::Secret;

/// HKDF's `info`: names what the derived key is for, so no other use of
/// the card secret can ever produce the same bytes.
pub const CHANNEL_LABEL: &[u8] = b"paycode/v1/card-channel";

/// Bytes of the channel key: one SHA-256 output.
pub const CHANNEL_KEY_BYTES: usize = 32;

/// HKDF-SHA256 (RFC 5869) of the card secret with no salt and
/// [`CHANNEL_LABEL`] as `info`, 32 bytes long. Wiped when dropped.
pub fn channel_key(secret: &Secret) -> Zeroizing<[u8; CHANNEL_KEY_BYTES]> {
    let mut key = Zeroizing::new([0u8; CHANNEL_KEY_BYTES]);
    // 32 bytes is far below HKDF's limit of 255 hash lengths, so expand
    // cannot fail; the all-zero key it would leave is never sent anyway,
    // since the issuer derives the same way.
    let _ = Hkdf::<Sha256>::new(None, secret.as_bytes()).expand(CHANNEL_LABEL, key.as_mut());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_sha256_matches_rfc_5869_test_case_3() {
        // RFC 5869 A.3: no salt, no info, 42 bytes of okm.
        let ikm = [0x0bu8; 22];
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(None, &ikm)
            .expand(b"", &mut okm)
            .unwrap();
        let want = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d\
                    9d201395faa4b61a96c8";
        let got: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_key_depends_on_the_secret_and_is_not_the_secret() {
        let a = Secret::from_bytes(b"12345678901234567890".to_vec());
        let b = Secret::from_bytes(b"12345678901234567891".to_vec());
        assert_ne!(*channel_key(&a), *channel_key(&b));
        assert_eq!(*channel_key(&a), *channel_key(&a.clone()));
        assert_ne!(&channel_key(&a)[..20], a.as_bytes());
    }
}
