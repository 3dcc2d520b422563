//! Demo card PINs: six random digits, kept only as a salted PBKDF2 hash.
//!
//! A six-digit PIN has a million values, so no hash makes a stolen database
//! safe on its own; the hash keeps the PIN out of the file and its
//! backups, the salt stops one table serving every card, and the rounds make
//! each guess cost something. What really protects a PIN is the online
//! lockout: five wrong answers lock the card.

use rand::Rng;
use zeroize::Zeroizing;

const PIN_DIGITS: usize = 6;
/// PBKDF2-HMAC-SHA256 rounds for new hashes (stored with each hash).
const ROUNDS: u32 = 20_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PinHash {
    pub salt: [u8; SALT_LEN],
    pub hash: [u8; HASH_LEN],
    pub rounds: u32,
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(redacted)")
    }
}

impl PinHash {
    /// A fresh salt and hash of `pin`. Costs a few milliseconds: call it off
    /// the async executor.
    pub fn new(pin: &str) -> PinHash {
        let mut salt = [0u8; SALT_LEN];
        rand::rng().fill(&mut salt);
        PinHash {
            salt,
            hash: derive(pin, &salt, ROUNDS),
            rounds: ROUNDS,
        }
    }

    /// Whether `pin` is the hashed PIN (constant-time comparison). Blocking.
    /// The phone-in-the-loop confirmation will check PINs with it.
    #[cfg(test)]
    pub fn matches(&self, pin: &str) -> bool {
        use subtle::ConstantTimeEq;
        let candidate = Zeroizing::new(derive(pin, &self.salt, self.rounds));
        bool::from(candidate.ct_eq(&self.hash))
    }
}

fn derive(pin: &str, salt: &[u8], rounds: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pin.as_bytes(), salt, rounds, &mut out);
    out
}

/// Six random digits, leading zeros allowed.
pub(crate) fn new_demo_pin() -> Zeroizing<String> {
    let mut rng = rand::rng();
    Zeroizing::new(
        (0..PIN_DIGITS)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_its_pin_only() {
        let h = PinHash::new("012345");
        assert!(h.matches("012345"));
        assert!(!h.matches("012346"));
        assert!(!h.matches("12345"));
        assert!(!h.matches(""));
    }

    #[test]
    fn same_pin_gets_different_salts_and_hashes() {
        let a = PinHash::new("111111");
        let b = PinHash::new("111111");
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.hash, b.hash);
        assert_eq!(format!("{a:?}"), "PinHash(redacted)");
    }

    #[test]
    fn pbkdf2_sha256_matches_a_published_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1).
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(out[..8], [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn demo_pins_are_six_digits() {
        for _ in 0..100 {
            let pin = new_demo_pin();
            assert!(
                pin.len() == PIN_DIGITS && pin.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                pin.as_str()
            );
        }
    }
}
