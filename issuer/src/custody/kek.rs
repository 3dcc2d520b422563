//! The key-encryption key (KEK): 32 random bytes that seal every card and
//! merchant key the issuer stores. It lives outside the database — a file
//! only its owner may read, or an environment variable — so a copy of the
//! database (a backup, a dump, a stolen disk image of it) holds no usable
//! key.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::CustodyError;

pub const KEK_BYTES: usize = 32;
/// Bytes of a KEK's id: enough to tell the KEKs of one issuer apart.
pub const KEK_ID_BYTES: usize = 8;

/// One key-encryption key. Never printed.
pub struct Kek {
    bytes: Zeroizing<[u8; KEK_BYTES]>,
    id: [u8; KEK_ID_BYTES],
}

impl Kek {
    pub fn generate() -> Kek {
        let mut bytes = Zeroizing::new([0u8; KEK_BYTES]);
        rand::rng().fill_bytes(&mut bytes[..]);
        Kek::from_bytes(bytes)
    }

    fn from_bytes(bytes: Zeroizing<[u8; KEK_BYTES]>) -> Kek {
        // The id names the KEK in envelopes and errors without revealing it.
        let digest = Sha256::new()
            .chain_update(b"paycode/v1/kek-id\0")
            .chain_update(&bytes[..])
            .finalize();
        let mut id = [0u8; KEK_ID_BYTES];
        id.copy_from_slice(&digest[..KEK_ID_BYTES]);
        Kek { bytes, id }
    }

    /// 64 hex digits; `source` names where they came from, for the error.
    pub fn from_hex(text: &str, source: &str) -> Result<Kek, CustodyError> {
        let malformed = || CustodyError::KekMalformed {
            source: source.to_owned(),
        };
        let text = text.trim();
        let mut bytes = Zeroizing::new([0u8; KEK_BYTES]);
        hex::decode_to_slice(text, &mut bytes[..]).map_err(|_| malformed())?;
        Ok(Kek::from_bytes(bytes))
    }

    /// Reads a KEK file's first (current) key.
    pub fn load(path: &Path) -> Result<Kek, CustodyError> {
        let mut ring = Kek::load_ring(path)?;
        Ok(ring.swap_remove(0))
    }

    /// Reads a KEK file: one key per line, the current one first, then
    /// older ones still accepted for opening (while `paycode rekey`
    /// re-seals). Refuses a file that other users can read.
    pub fn load_ring(path: &Path) -> Result<Vec<Kek>, CustodyError> {
        let file_error = |e: std::io::Error| CustodyError::KekFile {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let mode = fs::metadata(path).map_err(file_error)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CustodyError::KekExposed {
                path: path.to_owned(),
                mode,
            });
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(file_error)?);
        let source = path.display().to_string();
        let ring = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| Kek::from_hex(line, &source))
            .collect::<Result<Vec<_>, _>>()?;
        if ring.is_empty() {
            return Err(CustodyError::KekMalformed { source });
        }
        Ok(ring)
    }

    /// Replaces the KEK file at `path` with `ring` (current first) at
    /// once: written beside it, 0600, synced, then renamed over it, so a
    /// reader sees the old file or the new one, never half of one.
    pub fn write_ring(path: &Path, ring: &[&Kek]) -> Result<(), CustodyError> {
        let file_error = |e: std::io::Error| CustodyError::KekFile {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let mut text = Zeroizing::new(String::new());
        for kek in ring {
            text.push_str(&hex::encode(&kek.bytes[..]));
            text.push('\n');
        }
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(format!(".new-{}", std::process::id()));
        let temporary = path.with_file_name(name);
        let _ = fs::remove_file(&temporary);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(file_error)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::rename(&temporary, path))
            .map_err(file_error)
    }

    /// Writes a new random KEK to `path`, which must not exist, readable
    /// by its owner only (created 0600, never widened by the umask).
    pub fn create(path: &Path) -> Result<Kek, CustodyError> {
        let kek = Kek::generate();
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| CustodyError::KekFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(&kek.bytes[..])));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| CustodyError::KekFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(kek)
    }

    pub fn id(&self) -> [u8; KEK_ID_BYTES] {
        self.id
    }

    pub(super) fn bytes(&self) -> &[u8; KEK_BYTES] {
        &self.bytes
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kek(id {})", hex::encode(self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_file_is_0600_and_loads_back_as_the_same_kek() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let made = Kek::create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Kek::load(&path).unwrap().id(), made.id());
        // Never over an existing file.
        assert!(matches!(
            Kek::create(&path),
            Err(CustodyError::KekFile { .. })
        ));
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        Kek::create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            Kek::load(&path).unwrap_err(),
            CustodyError::KekExposed {
                path: path.clone(),
                mode: 0o644
            }
        );
    }

    #[test]
    fn a_ring_is_written_whole_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let old = Kek::create(&path).unwrap();
        let new = Kek::generate();
        Kek::write_ring(&path, &[&new, &old]).unwrap();
        let ids: Vec<_> = Kek::load_ring(&path).unwrap().iter().map(Kek::id).collect();
        assert_eq!(ids, [new.id(), old.id()]);
        assert_eq!(Kek::load(&path).unwrap().id(), new.id());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn hex_must_be_32_bytes() {
        assert!(Kek::from_hex(&"ab".repeat(32), "test").is_ok());
        for bad in ["", "ab", &"ab".repeat(33), &"zz".repeat(32)] {
            assert!(matches!(
                Kek::from_hex(bad, "test"),
                Err(CustodyError::KekMalformed { .. })
            ));
        }
    }

    #[test]
    fn debug_shows_the_id_only() {
        let kek = Kek::from_hex(&"ab".repeat(32), "test").unwrap();
        let shown = format!("{kek:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains(&hex::encode(kek.id())));
    }
}
