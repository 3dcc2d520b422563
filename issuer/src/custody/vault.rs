//! Sealing: each stored key is AES-256-GCM under the KEK, with associated
//! data that names the row it belongs to (the card's prefix and token, or
//! the merchant's id) and the key's version, so a ciphertext copied into
//! another row does not open there.
//!
//! Envelope: `PKS1` · KEK id (8 bytes) · nonce (12 random bytes) ·
//! ciphertext and tag. The KEK id tells "sealed under a KEK we were not
//! given" apart from "tampered with".

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

use super::kek::{Kek, KEK_ID_BYTES};
use super::CustodyError;
use crate::secret::SecretKey;
use crate::store::CardKey;

const MAGIC: &[u8; 4] = b"PKS1";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const HEADER_BYTES: usize = MAGIC.len() + KEK_ID_BYTES + NONCE_BYTES;
/// The version of a new key, bound into its associated data. A merchant
/// key is always this version; a card's row keeps its own version
/// (`CardRecord::key_version`), one more each time the card is
/// re-provisioned.
pub const KEY_VERSION: u32 = 1;

/// Whose key a sealed value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOwner<'a> {
    /// A card and the version of its key.
    Card(CardKey, u32),
    Merchant(&'a str),
}

impl KeyOwner<'_> {
    fn associated_data(&self, header: &[u8]) -> Vec<u8> {
        let mut ad = b"paycode/v1/sealed-key\0".to_vec();
        ad.extend_from_slice(header);
        match self {
            KeyOwner::Card(key, _) => {
                ad.extend_from_slice(b"card\0");
                ad.push(key.prefix);
                ad.extend_from_slice(&key.token.to_be_bytes());
            }
            KeyOwner::Merchant(id) => {
                ad.extend_from_slice(b"merchant\0");
                // Length first: no two ids give the same bytes.
                ad.extend_from_slice(&(id.len() as u64).to_be_bytes());
                ad.extend_from_slice(id.as_bytes());
            }
        }
        let version = match self {
            KeyOwner::Card(_, version) => *version,
            KeyOwner::Merchant(_) => KEY_VERSION,
        };
        ad.extend_from_slice(&version.to_be_bytes());
        ad
    }
}

impl fmt::Display for KeyOwner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOwner::Card(key, _) => write!(f, "card {}:{}", key.prefix, key.token),
            KeyOwner::Merchant(id) => write!(f, "merchant {id}"),
        }
    }
}

/// The KEKs an issuer holds: the current one seals, any of them opens.
///
/// A vault read from a KEK file follows that file while the issuer runs,
/// so `paycode rekey` (another process) can move it to a new KEK without
/// a restart: before sealing it re-reads a file that changed, and a key
/// sealed under a KEK it does not know makes it re-read the file once
/// before it answers [`CustodyError::UnknownKek`].
#[derive(Debug)]
pub struct Vault {
    ring: RwLock<Ring>,
    file: Option<PathBuf>,
}

#[derive(Debug)]
struct Ring {
    current: Kek,
    older: Vec<Kek>,
    /// The file's modification time when it was read.
    read_at: Option<SystemTime>,
}

impl Vault {
    pub fn new(current: Kek) -> Vault {
        Vault {
            ring: RwLock::new(Ring {
                current,
                older: Vec::new(),
                read_at: None,
            }),
            file: None,
        }
    }

    /// The keys of a KEK file ([`Kek::load_ring`]), followed while it changes.
    pub fn from_file(path: &Path) -> Result<Vault, CustodyError> {
        Ok(Vault {
            ring: RwLock::new(read_ring(path)?),
            file: Some(path.to_owned()),
        })
    }

    /// A vault with a fresh random KEK that lives in memory only: for
    /// tests and in-memory stores, whose keys die with the process.
    pub fn ephemeral() -> Vault {
        Vault::new(Kek::generate())
    }

    /// Also opens what `older` sealed.
    pub fn also_opening(self, older: Kek) -> Vault {
        self.write_ring().older.push(older);
        self
    }

    /// The KEK that seals now (the file re-read if it changed).
    pub fn current_id(&self) -> [u8; KEK_ID_BYTES] {
        self.refresh(false);
        self.read_ring().current.id()
    }

    fn read_ring(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        // A poisoned lock only means a thread panicked while swapping rings.
        self.ring.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_ring(&self) -> std::sync::RwLockWriteGuard<'_, Ring> {
        self.ring.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Re-reads the KEK file if `always`, or if it changed since it was
    /// read. A file that cannot be read now leaves the keys as they were
    /// (the running issuer keeps working; the error is logged).
    fn refresh(&self, always: bool) {
        let Some(path) = &self.file else { return };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if !always && modified == self.read_ring().read_at {
            return;
        }
        match read_ring(path) {
            Ok(ring) => *self.write_ring() = ring,
            Err(e) => eprintln!("paycode: keeping the keys already read: {e}"),
        }
    }

    pub fn seal(&self, owner: KeyOwner<'_>, key: &SecretKey) -> Vec<u8> {
        self.refresh(false);
        let ring = self.read_ring();
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(HEADER_BYTES + key.as_bytes().len() + TAG_BYTES);
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&ring.current.id());
        sealed.extend_from_slice(&nonce);
        let ad = owner.associated_data(&sealed);
        let cipher = Aes256Gcm::new(ring.current.bytes().into());
        let body = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: key.as_bytes(),
                    aad: &ad,
                },
            )
            // Only inputs of gigabytes fail; a key is at most 64 bytes.
            .unwrap_or_default();
        sealed.extend_from_slice(&body);
        sealed
    }

    /// The KEK id a sealed value names, if it is an envelope at all.
    pub fn sealed_under(sealed: &[u8]) -> Option<[u8; KEK_ID_BYTES]> {
        let rest = sealed.strip_prefix(MAGIC)?;
        rest.get(..KEK_ID_BYTES)?.try_into().ok()
    }

    pub fn open(&self, owner: KeyOwner<'_>, sealed: &[u8]) -> Result<SecretKey, CustodyError> {
        match self.open_with_ring(owner, sealed) {
            Err(CustodyError::UnknownKek { .. }) if self.file.is_some() => {
                self.refresh(true);
                self.open_with_ring(owner, sealed)
            }
            other => other,
        }
    }

    fn open_with_ring(
        &self,
        owner: KeyOwner<'_>,
        sealed: &[u8],
    ) -> Result<SecretKey, CustodyError> {
        let not_sealed = || CustodyError::NotSealed {
            owner: owner.to_string(),
        };
        let id = Self::sealed_under(sealed).ok_or_else(not_sealed)?;
        if sealed.len() < HEADER_BYTES + TAG_BYTES {
            return Err(not_sealed());
        }
        let ring = self.read_ring();
        let kek = std::iter::once(&ring.current)
            .chain(&ring.older)
            .find(|k| k.id() == id)
            .ok_or_else(|| CustodyError::UnknownKek {
                sealed_under: hex::encode(id),
            })?;
        let (header, body) = sealed.split_at(HEADER_BYTES);
        let nonce: [u8; NONCE_BYTES] = header[MAGIC.len() + KEK_ID_BYTES..]
            .try_into()
            .map_err(|_| not_sealed())?;
        let ad = owner.associated_data(header);
        let plain = Aes256Gcm::new(kek.bytes().into())
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: &ad,
                },
            )
            .map_err(|_| CustodyError::DoesNotOpen {
                owner: owner.to_string(),
            })?;
        let key = SecretKey::from_slice(&plain);
        zeroize::Zeroize::zeroize(&mut { plain });
        Ok(key)
    }
}

fn read_ring(path: &Path) -> Result<Ring, CustodyError> {
    let read_at = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut keks = Kek::load_ring(path)?;
    let current = keks.remove(0);
    Ok(Ring {
        current,
        older: keks,
        read_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: CardKey = CardKey {
        prefix: 13,
        token: 4242,
    };

    fn key() -> SecretKey {
        SecretKey::from_slice(&[0x5a; 32])
    }

    #[test]
    fn a_sealed_key_opens_as_itself_and_does_not_show_its_bytes() {
        let vault = Vault::ephemeral();
        let sealed = vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        assert!(!sealed.windows(4).any(|w| w == [0x5a; 4]));
        assert_eq!(
            vault
                .open(KeyOwner::Card(CARD, KEY_VERSION), &sealed)
                .unwrap(),
            key()
        );
        // A fresh nonce each time.
        assert_ne!(
            sealed,
            vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key())
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_does_not_open() {
        let vault = Vault::ephemeral();
        let sealed = vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        let other = CardKey {
            prefix: 13,
            token: 4243,
        };
        assert_eq!(
            vault
                .open(KeyOwner::Card(other, KEY_VERSION), &sealed)
                .unwrap_err(),
            CustodyError::DoesNotOpen {
                owner: "card 13:4243".into()
            }
        );
        // The same row's key of another version does not open either: a
        // re-provisioned card's old ciphertext is not its new key.
        assert!(vault
            .open(KeyOwner::Card(CARD, KEY_VERSION + 1), &sealed)
            .is_err());
        let merchant = vault.seal(KeyOwner::Merchant("m_1"), &key());
        assert!(vault.open(KeyOwner::Merchant("m_2"), &merchant).is_err());
        assert!(vault
            .open(KeyOwner::Card(CARD, KEY_VERSION), &merchant)
            .is_err());
    }

    #[test]
    fn a_flipped_bit_anywhere_is_refused() {
        let vault = Vault::ephemeral();
        let sealed = vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(
                vault.open(KeyOwner::Card(CARD, KEY_VERSION), &bad).is_err(),
                "byte {i}"
            );
        }
        assert!(matches!(
            vault.open(KeyOwner::Card(CARD, KEY_VERSION), key().as_bytes()),
            Err(CustodyError::NotSealed { .. })
        ));
    }

    #[test]
    fn a_vault_follows_its_kek_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let old = Kek::create(&path).unwrap();
        let vault = Vault::from_file(&path).unwrap();
        let under_old = vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        // Another process puts a new KEK first.
        let new = Kek::generate();
        let new_id = new.id();
        let other = Vault::new(Kek::from_hex(&hex::encode(new.bytes()), "t").unwrap());
        let under_new = other.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        Kek::write_ring(&path, &[&new, &old]).unwrap();
        // A key sealed under the new KEK opens at once (the file is re-read)...
        assert_eq!(
            vault
                .open(KeyOwner::Card(CARD, KEY_VERSION), &under_new)
                .unwrap(),
            key()
        );
        assert_eq!(
            vault
                .open(KeyOwner::Card(CARD, KEY_VERSION), &under_old)
                .unwrap(),
            key()
        );
        // ...and new seals use it.
        let sealed = vault.seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        assert_eq!(Vault::sealed_under(&sealed), Some(new_id));
    }

    #[test]
    fn another_kek_is_named_not_mistaken_for_tampering() {
        let old = Kek::generate();
        let old_id = old.id();
        let sealed = Vault::new(old).seal(KeyOwner::Card(CARD, KEY_VERSION), &key());
        let vault = Vault::ephemeral();
        assert_eq!(
            vault
                .open(KeyOwner::Card(CARD, KEY_VERSION), &sealed)
                .unwrap_err(),
            CustodyError::UnknownKek {
                sealed_under: hex::encode(old_id)
            }
        );
    }
}
