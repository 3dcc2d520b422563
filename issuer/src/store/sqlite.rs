//! The embedded default store: one SQLite file in WAL mode.
//!
//! Write transactions are `BEGIN IMMEDIATE`, so the read-check-write of a
//! charge holds SQLite's single write lock from its first read; a second
//! process charging the same code waits (busy timeout) and then sees the
//! first one's result. Unsigned values are stored as SQLite's signed 64-bit
//! integers; times past `i64::MAX` seconds are clamped to it.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{
    CardKey, CardRecord, CardState, ChargeRecord, ChargeStatus, Store, StoreError, StoreTx, TxMode,
};
use crate::lockout::FailureState;
use crate::money::Fen;
use crate::secret::SecretKey;

/// How long a transaction waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Bumped with every schema change; `open` brings older files up to date.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cards (
    prefix   INTEGER NOT NULL,
    token    INTEGER NOT NULL,
    length   INTEGER NOT NULL,
    issuer   TEXT    NOT NULL,
    secret   BLOB    NOT NULL,
    period   INTEGER NOT NULL,
    funding  TEXT    NOT NULL,  -- JSON array of link values, index order
    created  INTEGER NOT NULL,
    PRIMARY KEY (prefix, token)
);
CREATE TABLE IF NOT EXISTS card_state (
    prefix       INTEGER NOT NULL,
    token        INTEGER NOT NULL,
    last_step    INTEGER,
    last_counter INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE IF NOT EXISTS allowance (
    prefix    INTEGER NOT NULL,
    token     INTEGER NOT NULL,
    day       INTEGER NOT NULL,  -- days since 1970-01-01 in the issuer's zone
    approvals INTEGER NOT NULL,
    PRIMARY KEY (prefix, token, day),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE TABLE IF NOT EXISTS charges (
    id         TEXT    PRIMARY KEY,
    prefix     INTEGER NOT NULL,
    token      INTEGER NOT NULL,
    code       TEXT    NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    status     TEXT    NOT NULL CHECK (status IN ('approved', 'pin_required', 'pin_approved')),
    funding    INTEGER NOT NULL,
    merchant   TEXT,
    at         INTEGER NOT NULL,
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
CREATE INDEX IF NOT EXISTS charges_by_card ON charges (prefix, token, at);
";

pub struct SqliteStore {
    conn: Connection,
}

/// No contents: the database holds secrets.
impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.conn.path())
            .finish_non_exhaustive()
    }
}

fn db_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                        | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                ) =>
        {
            StoreError::Duplicate
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt(e.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path.as_ref()).map_err(|e| {
            StoreError::Database(format!("cannot open {}: {e}", path.as_ref().display()))
        })?;
        Self::setup(conn)
    }

    /// A private database that vanishes with the value (tests, benches).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(db_err)?)
    }

    fn setup(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        // The timeout first: even switching to WAL may wait for another process.
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        // WAL lets readers (verify) run while a charge writes. An in-memory
        // database answers "memory" and that is fine.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db_err)?;
        // FULL: a committed approval survives a power cut, not only a crash.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(db_err)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Database(format!(
                "the database schema is version {version}; this program knows up to {SCHEMA_VERSION}"
            )));
        }
        if version < SCHEMA_VERSION {
            tx.execute_batch(SCHEMA).map_err(db_err)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(SqliteStore { conn })
    }
}

impl Store for SqliteStore {
    fn begin(&mut self, mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let behavior = match mode {
            TxMode::Read => TransactionBehavior::Deferred,
            TxMode::Write => TransactionBehavior::Immediate,
        };
        let tx = self
            .conn
            .transaction_with_behavior(behavior)
            .map_err(db_err)?;
        Ok(Box::new(SqliteTx { tx }))
    }
}

/// Rolls back on drop (rusqlite's default) unless committed.
struct SqliteTx<'a> {
    tx: Transaction<'a>,
}

fn read_card(row: &rusqlite::Row<'_>) -> rusqlite::Result<CardRecord> {
    let prefix: u8 = row.get(0)?;
    let token: u32 = row.get(1)?;
    // Straight from SQLite's buffer into zeroizing memory: no stray copy.
    let secret = SecretKey::from_slice(row.get_ref(4)?.as_blob()?);
    let funding_json: String = row.get(6)?;
    let funding: Vec<String> = serde_json::from_str(&funding_json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let created: i64 = row.get(7)?;
    Ok(CardRecord {
        key: CardKey { prefix, token },
        length: row.get(2)?,
        issuer: row.get(3)?,
        secret,
        period: row.get(5)?,
        funding,
        created: u64::try_from(created)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(7, created))?,
    })
}

fn read_charge(row: &rusqlite::Row<'_>) -> Result<ChargeRecord, StoreError> {
    let get_u64 = |i: usize| -> Result<u64, StoreError> {
        let v: i64 = row.get(i).map_err(db_err)?;
        u64::try_from(v).map_err(|_| corrupt("negative number in charges"))
    };
    let status: String = row.get(5).map_err(db_err)?;
    Ok(ChargeRecord {
        id: row.get(0).map_err(db_err)?,
        card: CardKey {
            prefix: row.get(1).map_err(db_err)?,
            token: row.get(2).map_err(db_err)?,
        },
        code: row.get(3).map_err(db_err)?,
        amount: Fen::new(get_u64(4)?).ok_or_else(|| corrupt("charge amount out of range"))?,
        status: ChargeStatus::parse(&status).ok_or_else(|| corrupt("unknown charge status"))?,
        funding: row.get(6).map_err(db_err)?,
        merchant: row.get(7).map_err(db_err)?,
        at: get_u64(8)?,
    })
}

impl StoreTx for SqliteTx<'_> {
    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM cards WHERE prefix = ?1)")
            .and_then(|mut s| s.query_row([prefix], |r| r.get(0)))
            .map_err(db_err)
    }

    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT prefix, token, length, issuer, secret, period, funding, created
                 FROM cards WHERE prefix = ?1 AND token = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![key.prefix, key.token], read_card)
                    .optional()
            })
            .map_err(db_err)
    }

    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError> {
        let funding = serde_json::to_string(&card.funding)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        self.tx
            .prepare_cached(
                "INSERT INTO cards (prefix, token, length, issuer, secret, period, funding, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    card.key.prefix,
                    card.key.token,
                    card.length,
                    card.issuer,
                    card.secret.as_bytes(),
                    card.period,
                    funding,
                    clamp_i64(card.created),
                ])
            })
            .map_err(db_err)?;
        Ok(())
    }

    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT last_step, last_counter, failures, locked_until
                 FROM card_state WHERE prefix = ?1 AND token = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![key.prefix, key.token], |r| {
                    Ok((
                        r.get::<_, Option<i64>>(0)?,
                        r.get::<_, Option<u8>>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((step, counter, failures, locked_until)) = row else {
            return Ok(CardState::default());
        };
        let last_accepted = match (step, counter) {
            (Some(step), Some(counter)) => Some((
                u64::try_from(step).map_err(|_| corrupt("negative step"))?,
                counter,
            )),
            _ => None,
        };
        Ok(CardState {
            last_accepted,
            failures: FailureState {
                failures,
                locked_until: u64::try_from(locked_until)
                    .map_err(|_| corrupt("negative lock time"))?,
            },
        })
    }

    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError> {
        let (step, counter) = match state.last_accepted {
            Some((s, c)) => (Some(clamp_i64(s)), Some(c)),
            None => (None, None),
        };
        self.tx
            .prepare_cached(
                "INSERT INTO card_state (prefix, token, last_step, last_counter, failures, locked_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (prefix, token) DO UPDATE SET
                   last_step = excluded.last_step, last_counter = excluded.last_counter,
                   failures = excluded.failures, locked_until = excluded.locked_until",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key.prefix,
                    key.token,
                    step,
                    counter,
                    state.failures.failures,
                    clamp_i64(state.failures.locked_until),
                ])
            })
            .map_err(db_err)?;
        Ok(())
    }

    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT approvals FROM allowance WHERE prefix = ?1 AND token = ?2 AND day = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![key.prefix, key.token, day], |r| r.get(0))
                    .optional()
            })
            .map(|n| n.unwrap_or(0))
            .map_err(db_err)
    }

    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO allowance (prefix, token, day, approvals) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (prefix, token, day) DO UPDATE SET approvals = approvals + 1",
            )
            .and_then(|mut s| s.execute(params![key.prefix, key.token, day]))
            .map_err(db_err)?;
        Ok(())
    }

    fn insert_charge(&mut self, c: &ChargeRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO charges (id, prefix, token, code, amount_fen, status, funding, merchant, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.id,
                    c.card.prefix,
                    c.card.token,
                    c.code,
                    clamp_i64(c.amount.as_fen()),
                    c.status.as_str(),
                    c.funding,
                    c.merchant,
                    clamp_i64(c.at),
                ])
            })
            .map_err(db_err)?;
        Ok(())
    }

    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id, prefix, token, code, amount_fen, status, funding, merchant, at
                 FROM charges WHERE id = ?1",
            )
            .map_err(db_err)?;
        let mut rows = stmt.query([id]).map_err(db_err)?;
        match rows.next().map_err(db_err)? {
            Some(row) => read_charge(row).map(Some),
            None => Ok(None),
        }
    }

    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE charges SET status = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id, status.as_str()]))
            .map_err(db_err)?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract::{check_all, sample_card};

    #[test]
    fn passes_the_store_contract_in_memory() {
        check_all(&mut || Box::new(SqliteStore::open_in_memory().unwrap()));
    }

    #[test]
    fn passes_the_store_contract_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        check_all(&mut || {
            n += 1;
            Box::new(SqliteStore::open(dir.path().join(format!("{n}.db"))).unwrap())
        });
    }

    #[test]
    fn state_survives_reopening_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.db");
        let card = sample_card(13, 99);
        {
            let mut store = SqliteStore::open(&path).unwrap();
            let mut tx = store.begin(TxMode::Write).unwrap();
            tx.insert_card(&card).unwrap();
            tx.add_approval(card.key, 3).unwrap();
            tx.commit().unwrap();
            let mode: String = store
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
        let mut store = SqliteStore::open(&path).unwrap();
        let mut tx = store.begin(TxMode::Read).unwrap();
        assert_eq!(tx.card(card.key).unwrap(), Some(card.clone()));
        assert_eq!(tx.approvals_on(card.key, 3).unwrap(), 1);
    }

    #[test]
    fn debug_shows_no_secret() {
        let store = SqliteStore::open_in_memory().unwrap();
        let shown = format!("{store:?}");
        assert!(shown.starts_with("SqliteStore"), "{shown}");
        let card = sample_card(13, 1);
        let shown = format!("{card:?}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains("13, 13"), "{shown}");
    }

    #[test]
    fn unreadable_file_is_a_database_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-db");
        std::fs::write(&path, vec![0x55u8; 8192]).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(err.kind(), "database");
    }
}
