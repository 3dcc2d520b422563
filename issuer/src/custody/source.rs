//! Where an issuer's key-encryption key comes from: `--kek-file F`, else
//! `PAYCODE_KEK` (64 hex digits), else `PAYCODE_KEK_FILE`, else — for an
//! SQLite database — the file beside it (`paycode.db.kek` for
//! `paycode.db`). Never from the database itself.
//!
//! A missing file is created (random, 0600) only for a new SQLite
//! database or in demo mode: anywhere else a missing KEK means stored keys
//! that can no longer be opened, which must be said, not papered over.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CustodyError, Kek, Vault};

pub const KEK_ENV: &str = "PAYCODE_KEK";
pub const KEK_FILE_ENV: &str = "PAYCODE_KEK_FILE";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KekSource {
    File {
        path: PathBuf,
        create: bool,
    },
    /// From `PAYCODE_KEK`; the text is read when the vault is made.
    Env,
}

impl KekSource {
    /// The KEK for the database at `sqlite_path` (`None`: PostgreSQL).
    /// `given` is `--kek-file`; `demo` allows creating a missing file.
    pub fn resolve(
        given: Option<&Path>,
        sqlite_path: Option<&Path>,
        demo: bool,
    ) -> Result<KekSource, CustodyError> {
        Self::resolve_with(given, sqlite_path, demo, |name| std::env::var_os(name))
    }

    /// [`KekSource::resolve`] with the environment given as `env`.
    pub fn resolve_with(
        given: Option<&Path>,
        sqlite_path: Option<&Path>,
        demo: bool,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<KekSource, CustodyError> {
        let new_database = sqlite_path.is_some_and(|p| !p.exists());
        let create = demo || new_database;
        if let Some(path) = given {
            return Ok(KekSource::File {
                path: path.to_owned(),
                create,
            });
        }
        if env(KEK_ENV).is_some_and(|v| !v.is_empty()) {
            return Ok(KekSource::Env);
        }
        if let Some(path) = env(KEK_FILE_ENV).filter(|v| !v.is_empty()) {
            return Ok(KekSource::File {
                path: PathBuf::from(path),
                create,
            });
        }
        match sqlite_path {
            Some(db) => {
                let mut beside = db.as_os_str().to_owned();
                beside.push(".kek");
                Ok(KekSource::File {
                    path: PathBuf::from(beside),
                    create,
                })
            }
            None => Err(CustodyError::KekFile {
                path: PathBuf::from("(none given)"),
                reason: format!(
                    "a PostgreSQL database needs its key-encryption key: --kek-file F, {KEK_ENV} or {KEK_FILE_ENV}"
                ),
            }),
        }
    }

    pub fn vault(&self) -> Result<Arc<Vault>, CustodyError> {
        Ok(Arc::new(match self {
            KekSource::Env => {
                let text = zeroize::Zeroizing::new(std::env::var(KEK_ENV).unwrap_or_default());
                Vault::new(Kek::from_hex(&text, KEK_ENV)?)
            }
            KekSource::File { path, create } => {
                if *create && !path.exists() {
                    Kek::create(path)?;
                }
                Vault::from_file(path)?
            }
        }))
    }

    /// The file, if the KEK comes from one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            KekSource::File { path, .. } => Some(path),
            KekSource::Env => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<std::ffi::OsString> {
        None
    }

    #[test]
    fn a_new_database_gets_a_kek_beside_it_an_old_one_must_have_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("issuer.db");
        let beside = dir.path().join("issuer.db.kek");
        let fresh = KekSource::resolve_with(None, Some(&db), false, no_env).unwrap();
        assert_eq!(
            fresh,
            KekSource::File {
                path: beside.clone(),
                create: true
            }
        );
        let id = fresh.vault().unwrap().current_id();
        std::fs::write(&db, b"").unwrap();
        // Same file, same KEK, once the database exists.
        let again = KekSource::resolve_with(None, Some(&db), false, no_env).unwrap();
        assert_eq!(again.vault().unwrap().current_id(), id);
        std::fs::remove_file(&beside).unwrap();
        let lost = KekSource::resolve_with(None, Some(&db), false, no_env).unwrap();
        assert!(matches!(lost.vault(), Err(CustodyError::KekFile { .. })));
        assert!(!beside.exists(), "an old database never gets a new KEK");
    }

    #[test]
    fn postgres_needs_a_kek_to_be_given() {
        let err = KekSource::resolve_with(None, None, true, no_env).unwrap_err();
        assert!(err.to_string().contains("--kek-file"), "{err}");
        let from_env = |name: &str| (name == KEK_ENV).then(|| "ab".repeat(32).into());
        assert_eq!(
            KekSource::resolve_with(None, None, false, from_env).unwrap(),
            KekSource::Env
        );
        let given = Path::new("/secure/kek");
        assert_eq!(
            KekSource::resolve_with(Some(given), None, false, from_env).unwrap(),
            KekSource::File {
                path: given.to_owned(),
                create: false
            }
        );
    }
}
