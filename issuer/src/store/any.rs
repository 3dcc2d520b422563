//! Which database a command or server uses: an SQLite file (the embedded
//! default) or a PostgreSQL URL, named by `--db` or `PAYCODE_DB`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::custody::{KekSource, Vault};

use super::{PgStore, SqliteStore, Store, StoreError, StoreTx, TxMode};

/// The variable that names the database when `--db` does not.
pub const DB_ENV: &str = "PAYCODE_DB";
/// The database when neither names one.
pub const DEFAULT_DB: &str = "paycode.db";

#[derive(Clone, PartialEq, Eq)]
pub enum DbLocation {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DbLocation {
    /// A URL starting `postgres://` or `postgresql://` is PostgreSQL;
    /// anything else is the path of an SQLite file.
    pub fn parse(text: &str) -> DbLocation {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            DbLocation::Postgres(text.to_owned())
        } else {
            DbLocation::Sqlite(PathBuf::from(text))
        }
    }

    /// `given` (a `--db` value), else `PAYCODE_DB`, else `./paycode.db`.
    pub fn from_option(given: Option<&str>) -> DbLocation {
        match given {
            Some(text) => Self::parse(text),
            None => match std::env::var(DB_ENV) {
                Ok(text) if !text.is_empty() => Self::parse(&text),
                _ => Self::parse(DEFAULT_DB),
            },
        }
    }

    /// Opens (creating or migrating if needed) the database.
    /// Keys are sealed and opened with `vault`'s KEK.
    pub fn open(&self, vault: Arc<Vault>) -> Result<AnyStore, StoreError> {
        Ok(match self {
            Self::Sqlite(path) => AnyStore::Sqlite(SqliteStore::open(path, vault)?),
            Self::Postgres(url) => AnyStore::Postgres(PgStore::open(url, vault)?),
        })
    }

    /// Where this database's KEK comes from (`given`: `--kek-file`).
    pub fn kek_source(&self, given: Option<&Path>, demo: bool) -> Result<KekSource, StoreError> {
        // Said of the database first: its KEK file would go beside it.
        if let Some(path) = self.sqlite_path() {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            if folder.is_some_and(|f| !f.is_dir()) {
                return Err(StoreError::Database(format!(
                    "cannot open {}: its folder does not exist",
                    path.display()
                )));
            }
        }
        Ok(KekSource::resolve(given, self.sqlite_path(), demo)?)
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

/// The path, or the URL with any password replaced by `***`.
impl fmt::Display for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

impl fmt::Debug for DbLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres(url) => f.debug_tuple("Postgres").field(&redacted(url)).finish(),
        }
    }
}

fn redacted(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let end = base[start..]
        .find('/')
        .map(|i| start + i)
        .unwrap_or(base.len());
    let authority = &base[start..end];
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let mut out = format!("{}{authority}{}", &base[..start], &base[end..]);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

impl From<PathBuf> for DbLocation {
    fn from(path: PathBuf) -> Self {
        DbLocation::Sqlite(path)
    }
}

impl From<&Path> for DbLocation {
    fn from(path: &Path) -> Self {
        DbLocation::Sqlite(path.to_owned())
    }
}

impl From<&PathBuf> for DbLocation {
    fn from(path: &PathBuf) -> Self {
        DbLocation::Sqlite(path.clone())
    }
}

impl From<&str> for DbLocation {
    fn from(text: &str) -> Self {
        DbLocation::parse(text)
    }
}

impl From<String> for DbLocation {
    fn from(text: String) -> Self {
        DbLocation::parse(&text)
    }
}

/// Either store, chosen at run time.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store for AnyStore {
    fn begin(&mut self, mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        match self {
            Self::Sqlite(s) => s.begin(mode),
            Self::Postgres(s) => s.begin(mode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_the_rest_are_files() {
        for url in [
            "postgres://u@127.0.0.1:5432/paycode",
            "postgresql://u@h/db?target_session_attrs=read-write",
            "POSTGRES://u@h/db",
        ] {
            assert!(
                matches!(DbLocation::parse(url), DbLocation::Postgres(_)),
                "{url}"
            );
        }
        for path in ["paycode.db", "./postgres", "/tmp/postgres:/x.db", ""] {
            assert!(
                matches!(DbLocation::parse(path), DbLocation::Sqlite(_)),
                "{path}"
            );
        }
    }

    #[test]
    fn passwords_are_never_shown() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db.local:5432/paycode",
                "postgres://app:***@db.local:5432/paycode",
            ),
            (
                "postgres://app@h/db?password=s3cret&sslmode=disable",
                "postgres://app@h/db?password=***&sslmode=disable",
            ),
            ("postgres://h:5432/db", "postgres://h:5432/db"),
            ("postgres://a:b:c@h", "postgres://a:***@h"),
        ] {
            let loc = DbLocation::parse(url);
            assert_eq!(loc.to_string(), shown);
            let debug = format!("{loc:?}");
            assert!(
                !debug.contains("s3cret") && !debug.contains(":b:"),
                "{debug}"
            );
        }
    }

    #[test]
    fn an_unreachable_server_is_a_database_error_not_a_hang() {
        // Port 1 on loopback: nothing listens there.
        let started = std::time::Instant::now();
        let err = DbLocation::parse("postgres://paycode@127.0.0.1:1/paycode")
            .open(crate::custody::test_vault())
            .unwrap_err();
        assert_eq!(err.kind(), "database_unavailable");
        assert!(err.to_string().contains("cannot connect"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let err = DbLocation::parse("postgres://u@h:notaport/db")
            .open(crate::custody::test_vault())
            .unwrap_err();
        assert!(err.to_string().contains("URL"), "{err}");
    }
}
