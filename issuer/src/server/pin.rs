//! Card PINs as the issuer keeps them: a salted Argon2id hash (RFC 9106,
//! the argon2 crate's default parameters: 19 MiB, 2 passes, 1 lane),
//! never the PIN. The payer chooses the PIN when the card is added; it is
//! never stored on the phone.
//!
//! A six-digit PIN has a million values, so no hash makes a stolen database
//! safe on its own; the hash keeps the PIN out of the file and its backups,
//! the salt stops one table serving every card, and the memory-hard cost
//! makes each guess expensive. What really protects a PIN is the online
//! block: three wrong PINs stop PIN payments (payments::pin).
//!
//! Stored as [`StoredPin`] with `rounds` = [`ARGON2ID`]. Hashes from
//! before (PBKDF2-HMAC-SHA256, `rounds` its iteration count) still check.

use argon2::Argon2;
use rand::Rng;
use zeroize::Zeroizing;

use crate::store::StoredPin;

/// A PIN is exactly this many ASCII digits.
pub(crate) const PIN_DIGITS: usize = 6;
/// `StoredPin::rounds` of an Argon2id hash (PBKDF2 hashes always have
/// 1000 rounds or more).
pub(crate) const ARGON2ID: u32 = 0;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Why a PIN was not accepted as a new PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadPin;

impl std::fmt::Display for BadPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a PIN is exactly {PIN_DIGITS} digits")
    }
}

/// `text` if it is a well-formed PIN.
pub(crate) fn check_pin(text: &str) -> Result<&str, BadPin> {
    let ok = text.len() == PIN_DIGITS && text.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(text).ok_or(BadPin)
}

/// A fresh salt and Argon2id hash of `pin`. Costs tens of milliseconds and
/// 19 MiB: call it off the async executor.
pub(crate) fn hash_pin(pin: &str) -> StoredPin {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill(&mut salt);
    StoredPin {
        salt: salt.to_vec(),
        hash: argon2id(pin, &salt).to_vec(),
        rounds: ARGON2ID,
    }
}

/// Whether `pin` is the PIN `stored` hashes, compared in constant time.
/// Blocking, as [`hash_pin`].
pub(crate) fn pin_matches(stored: &StoredPin, pin: &str) -> bool {
    use subtle::ConstantTimeEq;
    let candidate = if stored.rounds == ARGON2ID {
        argon2id(pin, &stored.salt)
    } else {
        pbkdf2(pin, &stored.salt, stored.rounds)
    };
    stored.hash.len() == HASH_LEN && bool::from(candidate.ct_eq(&stored.hash[..]))
}

fn argon2id(pin: &str, salt: &[u8]) -> Zeroizing<[u8; HASH_LEN]> {
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    // The default parameters are valid and the salt is 16 bytes, so this
    // cannot fail; an all-zero "hash" would match no stored one anyway.
    let _ = Argon2::default().hash_password_into(pin.as_bytes(), salt, out.as_mut());
    out
}

fn pbkdf2(pin: &str, salt: &[u8], rounds: u32) -> Zeroizing<[u8; HASH_LEN]> {
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pin.as_bytes(), salt, rounds, out.as_mut());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_its_pin_only() {
        let h = hash_pin("012345");
        assert_eq!((h.rounds, h.salt.len(), h.hash.len()), (ARGON2ID, 16, 32));
        assert!(pin_matches(&h, "012345"));
        assert!(!pin_matches(&h, "012346"));
        assert!(!pin_matches(&h, "12345"));
        assert!(!pin_matches(&h, ""));
    }

    #[test]
    fn same_pin_gets_different_salts_and_hashes() {
        let a = hash_pin("111111");
        let b = hash_pin("111111");
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn the_hash_is_argon2id_v19_at_the_documented_cost() {
        assert_eq!(argon2::Algorithm::default(), argon2::Algorithm::Argon2id);
        assert_eq!(argon2::Version::default(), argon2::Version::V0x13);
        let a = Argon2::default();
        let p = a.params();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }

    #[test]
    fn old_pbkdf2_hashes_still_check() {
        let salt = [7u8; 16];
        let stored = StoredPin {
            salt: salt.to_vec(),
            hash: pbkdf2("424242", &salt, 1000).to_vec(),
            rounds: 1000,
        };
        assert!(pin_matches(&stored, "424242"));
        assert!(!pin_matches(&stored, "424243"));
    }

    #[test]
    fn pins_are_six_digits() {
        assert_eq!(check_pin("012345"), Ok("012345"));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", " 12345"] {
            assert_eq!(check_pin(bad), Err(BadPin), "{bad:?}");
        }
    }
}
