//! The issuer-admin key: 32 random bytes in a file of its own (hex, one
//! line), made by `paycode admin key`, created 0600 and refused when
//! others may read it. The server is given it with `--admin-key-file`; an
//! operator's tool signs `/v1/admin/` requests with the same file. It never
//! enters the database, so a dump or a backup of the database does not
//! carry it.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::secret::SecretKey;

const KEY_BYTES: usize = 32;

/// The key, wiped from memory when dropped; never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(SecretKey);

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminKeyError {
    /// The file cannot be read, written or created.
    File { path: String, why: String },
    /// The file exists already (`paycode admin key` never overwrites).
    Exists(String),
    /// Group or others may read or write it.
    Exposed { path: String, mode: u32 },
    /// Not 64 hex digits.
    Malformed(String),
}

impl AdminKeyError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::File { .. } => "admin_key_file",
            Self::Exists(_) => "admin_key_exists",
            Self::Exposed { .. } => "admin_key_exposed",
            Self::Malformed(_) => "admin_key_malformed",
        }
    }
}

impl fmt::Display for AdminKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, why } => write!(f, "cannot use the admin key file {path}: {why}"),
            Self::Exists(path) => write!(
                f,
                "the admin key file {path} exists already; it is never overwritten"
            ),
            Self::Exposed { path, mode } => write!(
                f,
                "the admin key file {path} has mode {mode:o}: others may read it; chmod 600 it"
            ),
            Self::Malformed(path) => {
                write!(f, "the admin key file {path} does not hold 64 hex digits")
            }
        }
    }
}

impl std::error::Error for AdminKeyError {}

impl AdminKey {
    /// A new random key written to `path`, which must not exist yet.
    pub fn create(path: &Path) -> Result<AdminKey, AdminKeyError> {
        let shown = path.display().to_string();
        let key = SecretKey::generate();
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => AdminKeyError::Exists(shown.clone()),
                _ => AdminKeyError::File {
                    path: shown.clone(),
                    why: e.to_string(),
                },
            })?;
        let text = zeroize::Zeroizing::new(format!("{}\n", hex::encode(key.as_bytes())));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| AdminKeyError::File {
                path: shown,
                why: e.to_string(),
            })?;
        Ok(AdminKey(key))
    }

    /// The key in `path`, a file only its owner may read.
    pub fn load(path: &Path) -> Result<AdminKey, AdminKeyError> {
        let shown = path.display().to_string();
        let file_error = |e: std::io::Error| AdminKeyError::File {
            path: shown.clone(),
            why: e.to_string(),
        };
        let mode = fs::metadata(path).map_err(file_error)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AdminKeyError::Exposed { path: shown, mode });
        }
        let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(file_error)?);
        let bytes = zeroize::Zeroizing::new(
            hex::decode(text.trim()).map_err(|_| AdminKeyError::Malformed(shown.clone()))?,
        );
        if bytes.len() != KEY_BYTES {
            return Err(AdminKeyError::Malformed(shown));
        }
        Ok(AdminKey(SecretKey::from_slice(&bytes)))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_is_0600_loads_back_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.key");
        let made = AdminKey::create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(AdminKey::load(&path).unwrap(), made);
        assert_eq!(
            AdminKey::create(&path).unwrap_err().kind(),
            "admin_key_exists"
        );
        assert_eq!(AdminKey::load(&path).unwrap(), made, "left as it was");
        assert_eq!(format!("{made:?}"), "AdminKey(..)");
    }

    #[test]
    fn exposed_or_malformed_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.key");
        AdminKey::create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(
            AdminKey::load(&path).unwrap_err(),
            AdminKeyError::Exposed {
                path: path.display().to_string(),
                mode: 0o640
            }
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "abcd\n").unwrap();
        assert_eq!(
            AdminKey::load(&path).unwrap_err().kind(),
            "admin_key_malformed"
        );
        let missing = dir.path().join("none");
        assert_eq!(
            AdminKey::load(&missing).unwrap_err().kind(),
            "admin_key_file"
        );
    }
}
