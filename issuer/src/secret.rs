//! Key bytes as the issuer holds them.

use paycode_wallet::core::limits::{MAX_KEY_BYTES, MIN_KEY_BYTES};
use std::fmt;
use zeroize::Zeroizing;

/// A card's MAC key. The bytes are wiped from memory when the value is
/// dropped, and never appear in Debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Zeroizing<Vec<u8>>);

/// Length of the keys this issuer creates: 256 bits, the HMAC-SHA256 block
/// of security.
pub const NEW_KEY_BYTES: usize = 32;

// A key the wallet would refuse is no use to anyone.
const _: () = assert!(MIN_KEY_BYTES <= NEW_KEY_BYTES && NEW_KEY_BYTES <= MAX_KEY_BYTES);

impl SecretKey {
    /// Copies `bytes` into a zeroizing buffer (the caller wipes its own copy).
    pub fn from_slice(bytes: &[u8]) -> SecretKey {
        SecretKey(Zeroizing::new(bytes.to_vec()))
    }

    /// A fresh key from the operating system's CSPRNG (via `rand::rng()`,
    /// a ChaCha generator seeded and reseeded from the OS).
    pub fn generate() -> SecretKey {
        use rand::RngCore;
        let mut bytes = Zeroizing::new(vec![0u8; NEW_KEY_BYTES]);
        rand::rng().fill_bytes(&mut bytes);
        SecretKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The only field is `Zeroizing`, which wipes the bytes when dropped.
impl zeroize::ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_bytes() {
        let key = SecretKey::from_slice(&[0xAB; 32]);
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.to_lowercase().contains("ab"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn key_bytes_are_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<SecretKey>();
        wiped_on_drop::<Zeroizing<Vec<u8>>>();
    }

    #[test]
    fn generated_keys_are_32_bytes_and_differ() {
        let a = SecretKey::generate();
        let b = SecretKey::generate();
        assert_eq!(a.as_bytes().len(), NEW_KEY_BYTES);
        assert_ne!(a, b);
    }
}
