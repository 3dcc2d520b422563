//! The embedded default store: one SQLite file in WAL mode.
//!
//! Write transactions are `BEGIN IMMEDIATE`, so the read-check-write of a
//! charge holds SQLite's single write lock from its first read; a second
//! process charging the same code waits (busy timeout) and then sees the
//! first one's result. Savepoints nest inside them. Unsigned values are
//! stored as SQLite's signed 64-bit integers; times past `i64::MAX` seconds
//! are clamped to it.

mod rows;
mod schema;
mod seal;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::funding_order::{order_from_text, order_text};
use super::{
    audit, Account, ActivationRecord, AuditEvent, AuditRecord, CardKey, CardRecord, CardState,
    ChargeRecord, ChargeStatus, CodeHash, Journal, Lockout, MerchantRecord, PaymentRecord, Posting,
    RefundRecord, Store, StoreError, StoreTx, StoredPin, TxMode,
};
use crate::custody::{KeyOwner, Vault};
use crate::payments::PaymentStatus;
use crate::secret::SecretKey;
use rows::{
    clamp_i64, corrupt, db_err, funding_text, read_card, read_charge, read_payment, read_posting,
    read_refund, PAYMENT_COLUMNS, REFUND_COLUMNS,
};

/// How long a transaction waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Bumped with every schema change; `open` brings older files up to date.
pub const SCHEMA_VERSION: i64 = schema::STEPS.len() as i64;

pub struct SqliteStore {
    conn: Connection,
    /// Seals card and merchant keys on insert, opens them on read: the
    /// file never holds a key in the clear.
    vault: Arc<Vault>,
}

/// No contents: the database holds secrets.
impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.conn.path())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, migrating an
    /// older schema.
    /// A new file is created readable by its owner only (0600); SQLite
    /// gives its -wal and -shm files the same mode.
    pub fn open(path: impl AsRef<Path>, vault: Arc<Vault>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        create_private(path)?;
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
        Self::setup(conn, vault)
    }

    /// Opens an existing, up-to-date database file for reading only (a
    /// server's readers, beside the one writer that migrated it).
    pub fn open_read_only(
        path: impl AsRef<Path>,
        vault: Arc<Vault>,
    ) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_with_flags(
            path.as_ref(),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            StoreError::Database(format!("cannot open {}: {e}", path.as_ref().display()))
        })?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db_err)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Database(format!(
                "the database schema is version {version}, not {SCHEMA_VERSION}; open it for writing first"
            )));
        }
        Ok(SqliteStore { conn, vault })
    }

    /// A private database that vanishes with the value (tests, benches),
    /// its keys sealed under a KEK that vanishes with it.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::setup(
            Connection::open_in_memory().map_err(db_err)?,
            Arc::new(Vault::ephemeral()),
        )
    }

    fn setup(mut conn: Connection, vault: Arc<Vault>) -> Result<SqliteStore, StoreError> {
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
        // A payment touches about eight B-tree pages at random places
        // (payment, nonce, postings, card state, allowance); a group commit
        // writes each touched page to the WAL once. Checkpointing every
        // 10,000 pages (about 40 MB) instead of SQLite's 1,000 copies a hot
        // page into the database once per many commits rather than once per
        // few, and a 64 MiB page cache keeps the indexes in memory: together
        // the signed load runs about 15% faster (docs/BENCHMARKS.md).
        conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000;")
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
        for step in &schema::STEPS[usize::try_from(version).unwrap_or(0)..] {
            tx.execute_batch(step).map_err(db_err)?;
        }
        if (1..schema::KEYS_SEALED).contains(&version) {
            seal::seal_plain_keys(&tx, &vault)?;
        }
        if version < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(SqliteStore { conn, vault })
    }
}

impl Store for SqliteStore {
    fn begin(&mut self, mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let begin = match mode {
            TxMode::Read => "BEGIN DEFERRED",
            TxMode::Write => "BEGIN IMMEDIATE",
        };
        self.conn.execute_batch(begin).map_err(db_err)?;
        Ok(Box::new(SqliteTx {
            conn: &self.conn,
            vault: &self.vault,
            depth: 0,
            done: false,
        }))
    }
}

/// A transaction (depth 0) or a savepoint inside one (depth ≥ 1), ended by
/// plain SQL so that both nest the same way. Rolls back on drop unless
/// committed.
struct SqliteTx<'a> {
    conn: &'a Connection,
    vault: &'a Vault,
    depth: u32,
    done: bool,
}

impl SqliteTx<'_> {
    fn savepoint(&self) -> String {
        format!("sp{}", self.depth)
    }

    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(params))
            .map_err(db_err)
    }

    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(db_err)?;
        let mut rows = stmt.query(params).map_err(db_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_err)? {
            out.push(read(row)?);
        }
        Ok(out)
    }

    fn first<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(sql, params, read)?.into_iter().next())
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Errors are ignored: a failed rollback leaves nothing committed.
        let _ = if self.depth == 0 {
            self.conn.execute_batch("ROLLBACK")
        } else {
            let sp = self.savepoint();
            self.conn
                .execute_batch(&format!("ROLLBACK TO {sp}; RELEASE {sp}"))
        };
    }
}

impl StoreTx for SqliteTx<'_> {
    fn nested(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let child = SqliteTx {
            conn: self.conn,
            vault: self.vault,
            depth: self.depth + 1,
            done: true,
        };
        self.conn
            .execute_batch(&format!("SAVEPOINT {}", child.savepoint()))
            .map_err(db_err)?;
        Ok(Box::new(SqliteTx {
            done: false,
            ..child
        }))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let sql = if self.depth == 0 {
            "COMMIT".to_owned()
        } else {
            format!("RELEASE {}", self.savepoint())
        };
        // On failure `done` stays false and the drop rolls back.
        self.conn.execute_batch(&sql).map_err(db_err)?;
        self.done = true;
        Ok(())
    }

    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM cards WHERE prefix = ?1)")
            .and_then(|mut s| s.query_row([prefix], |r| r.get(0)))
            .map_err(db_err)
    }

    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError> {
        self.first(
            "SELECT prefix, token, length, issuer, secret, period, funding, created,
                    fall_through, revoked, key_version, expires
             FROM cards WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |row| read_card(row, self.vault),
        )
    }

    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO cards (prefix, token, length, issuer, secret, period, funding, created,
                                fall_through, revoked, key_version, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                card.key.prefix,
                card.key.token,
                card.length,
                card.issuer,
                self.vault
                    .seal(KeyOwner::Card(card.key, card.key_version), &card.secret),
                card.period,
                funding_text(&card.funding)?,
                clamp_i64(card.created),
                card.fall_through,
                card.revoked,
                card.key_version,
                card.expires.map(clamp_i64),
            ],
        )?;
        Ok(())
    }

    fn set_revoked(&mut self, key: CardKey, revoked: bool) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE cards SET revoked = ?3 WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token, revoked],
        )?;
        Ok(n > 0)
    }

    fn replace_card_key(
        &mut self,
        key: CardKey,
        secret: &SecretKey,
        expires: Option<u64>,
    ) -> Result<Option<u32>, StoreError> {
        let Some(old) = self.first(
            "SELECT key_version FROM cards WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |r| r.get::<_, u32>(0).map_err(db_err),
        )?
        else {
            return Ok(None);
        };
        let version = old
            .checked_add(1)
            .ok_or_else(|| corrupt("a card's key version is at its largest"))?;
        self.exec(
            "UPDATE cards SET secret = ?3, key_version = ?4, expires = ?5, revoked = 0
             WHERE prefix = ?1 AND token = ?2",
            params![
                key.prefix,
                key.token,
                self.vault.seal(KeyOwner::Card(key, version), secret),
                version,
                expires.map(clamp_i64),
            ],
        )?;
        Ok(Some(version))
    }

    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError> {
        let row = self.first(
            "SELECT last_step, last_counter FROM card_state WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |r| {
                let step: Option<i64> = r.get(0).map_err(db_err)?;
                let counter: Option<u8> = r.get(1).map_err(db_err)?;
                Ok((step, counter))
            },
        )?;
        let last_accepted = match row {
            Some((Some(step), Some(counter))) => Some((
                u64::try_from(step).map_err(|_| corrupt("negative step"))?,
                counter,
            )),
            _ => None,
        };
        Ok(CardState { last_accepted })
    }

    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError> {
        let (step, counter) = match state.last_accepted {
            Some((s, c)) => (Some(clamp_i64(s)), Some(c)),
            None => (None, None),
        };
        self.exec(
            "INSERT INTO card_state (prefix, token, last_step, last_counter)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (prefix, token) DO UPDATE SET
               last_step = excluded.last_step, last_counter = excluded.last_counter",
            params![key.prefix, key.token, step, counter],
        )?;
        Ok(())
    }

    fn lockout(&mut self, key: CardKey, merchant: &str) -> Result<Lockout, StoreError> {
        let found = self.first(
            "SELECT failures, locked_until FROM lockouts
             WHERE prefix = ?1 AND token = ?2 AND merchant = ?3",
            params![key.prefix, key.token, merchant],
            |r| {
                let locked_until: i64 = r.get(1).map_err(db_err)?;
                Ok(Lockout {
                    failures: r.get(0).map_err(db_err)?,
                    locked_until: u64::try_from(locked_until)
                        .map_err(|_| corrupt("negative lock time"))?,
                })
            },
        )?;
        Ok(found.unwrap_or_default())
    }

    fn set_lockout(&mut self, key: CardKey, merchant: &str, l: &Lockout) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO lockouts (prefix, token, merchant, failures, locked_until)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (prefix, token, merchant) DO UPDATE SET
               failures = excluded.failures, locked_until = excluded.locked_until",
            params![
                key.prefix,
                key.token,
                merchant,
                l.failures,
                clamp_i64(l.locked_until)
            ],
        )?;
        Ok(())
    }

    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError> {
        self.conn
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
        self.exec(
            "INSERT INTO allowance (prefix, token, day, approvals) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (prefix, token, day) DO UPDATE SET approvals = approvals + 1",
            params![key.prefix, key.token, day],
        )?;
        Ok(())
    }

    fn remove_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        self.exec(
            "UPDATE allowance SET approvals = approvals - 1
             WHERE prefix = ?1 AND token = ?2 AND day = ?3 AND approvals > 0",
            params![key.prefix, key.token, day],
        )?;
        Ok(())
    }

    fn insert_pin(&mut self, key: CardKey, pin: &StoredPin) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO card_pins (prefix, token, salt, hash, rounds) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.prefix, key.token, pin.salt, pin.hash, pin.rounds],
        )?;
        Ok(())
    }

    fn pin(&mut self, key: CardKey) -> Result<Option<StoredPin>, StoreError> {
        self.first(
            "SELECT salt, hash, rounds FROM card_pins WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |r| {
                Ok(StoredPin {
                    salt: r.get(0).map_err(db_err)?,
                    hash: r.get(1).map_err(db_err)?,
                    rounds: r.get(2).map_err(db_err)?,
                })
            },
        )
    }

    fn funding_order(&mut self, key: CardKey) -> Result<Option<Vec<u8>>, StoreError> {
        let text = self.first(
            "SELECT funding_order FROM cards WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |r| r.get::<_, Option<String>>(0).map_err(db_err),
        )?;
        text.flatten().as_deref().map(order_from_text).transpose()
    }

    fn set_funding_order(&mut self, key: CardKey, order: &[u8]) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE cards SET funding_order = ?3 WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token, order_text(order)],
        )?;
        Ok(n > 0)
    }

    fn insert_charge(&mut self, c: &ChargeRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO charges (id, prefix, token, code, amount_fen, status, funding, merchant, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.id,
                c.card.prefix,
                c.card.token,
                c.code,
                clamp_i64(c.amount.as_fen()),
                c.status.as_str(),
                c.funding,
                c.merchant,
                clamp_i64(c.at),
            ],
        )?;
        Ok(())
    }

    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError> {
        self.first(
            "SELECT id, prefix, token, code, amount_fen, status, funding, merchant, at
             FROM charges WHERE id = ?1",
            [id],
            read_charge,
        )
    }

    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError> {
        self.exec(
            "UPDATE charges SET status = ?2 WHERE id = ?1",
            params![id, status.as_str()],
        )?;
        Ok(())
    }

    fn charges_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<ChargeRecord>, StoreError> {
        self.rows(
            "SELECT id, prefix, token, code, amount_fen, status, funding, merchant, at
             FROM charges WHERE prefix = ?1 AND token = ?2
             ORDER BY at DESC, rowid DESC LIMIT ?3",
            params![key.prefix, key.token, limit],
            read_charge,
        )
    }

    fn insert_merchant(&mut self, m: &MerchantRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO merchants (id, name, api_key, created) VALUES (?1, ?2, ?3, ?4)",
            params![
                m.id,
                m.name,
                self.vault.seal(KeyOwner::Merchant(&m.id), &m.api_key),
                clamp_i64(m.created)
            ],
        )?;
        Ok(())
    }

    fn merchant(&mut self, id: &str) -> Result<Option<MerchantRecord>, StoreError> {
        self.first(
            "SELECT id, name, api_key, created FROM merchants WHERE id = ?1",
            [id],
            |row| rows::read_merchant(row, self.vault),
        )
    }

    fn remember_nonce(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            "INSERT INTO nonces (merchant, nonce, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (merchant, nonce) DO NOTHING",
            params![merchant, nonce, clamp_i64(expires_at)],
        )?;
        Ok(n == 1)
    }

    fn prune_nonces(&mut self, now: u64) -> Result<u64, StoreError> {
        let n = self.exec(
            "DELETE FROM nonces WHERE expires_at <= ?1",
            [clamp_i64(now)],
        )?;
        Ok(n as u64)
    }

    fn reseal_keys(&mut self, limit: u32) -> Result<u32, StoreError> {
        seal::reseal(self.conn, self.vault, limit)
    }

    fn append_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO audit (at, kind, prefix, token, merchant, address, count, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                clamp_i64(e.at),
                e.kind.as_str(),
                e.card.map(|c| c.prefix),
                e.card.map(|c| c.token),
                e.merchant,
                e.address,
                clamp_i64(e.count.max(1)),
                audit::bounded(&e.detail),
            ],
        )?;
        Ok(())
    }

    fn audit_events(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        self.rows(
            "SELECT seq, at, kind, prefix, token, merchant, address, count, detail
             FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            params![after, limit],
            rows::read_audit,
        )
    }

    fn insert_journal(&mut self, j: &Journal) -> Result<i64, StoreError> {
        self.exec(
            "INSERT INTO journals (kind, reference, at) VALUES (?1, ?2, ?3)",
            params![j.kind.as_str(), j.reference, clamp_i64(j.at)],
        )?;
        let id = self.conn.last_insert_rowid();
        for (account, amount) in &j.legs {
            let account = account.id();
            self.exec(
                "INSERT INTO accounts (id, created) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                params![account, clamp_i64(j.at)],
            )?;
            self.exec(
                "INSERT INTO postings (journal, account, amount_fen) VALUES (?1, ?2, ?3)",
                params![id, account, amount],
            )?;
        }
        Ok(id)
    }

    fn balance(&mut self, account: &Account) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached("SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE account = ?1")
            .and_then(|mut s| s.query_row([account.id()], |r| r.get(0)))
            .map_err(db_err)
    }

    fn postings(&mut self) -> Result<Vec<Posting>, StoreError> {
        self.rows(
            "SELECT p.journal, j.kind, j.reference, p.account, p.amount_fen
             FROM postings p JOIN journals j ON j.id = p.journal ORDER BY p.journal, p.id",
            [],
            read_posting,
        )
    }

    fn insert_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let f = p.funding.as_ref();
        self.exec(
            &format!(
                "INSERT INTO payments ({PAYMENT_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ),
            params![
                p.id,
                p.merchant,
                p.out_trade_no,
                p.fingerprint,
                p.amount.map(|a| clamp_i64(a.as_fen())),
                p.currency,
                p.description,
                p.status.as_str(),
                p.card.map(|c| c.prefix),
                p.card.map(|c| c.token),
                f.map(|f| f.index),
                f.map(|f| f.kind.as_str()),
                f.map(|f| f.label.as_str()),
                p.error.map(|e| e.as_str()),
                clamp_i64(p.created),
                p.deadline.map(clamp_i64),
                p.allowance_day,
            ],
        )?;
        Ok(())
    }

    fn update_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let f = p.funding.as_ref();
        self.exec(
            "UPDATE payments SET status = ?2, prefix = ?3, token = ?4, funding_index = ?5,
                funding_kind = ?6, funding_label = ?7, error = ?8, deadline = ?9,
                allowance_day = ?10
             WHERE id = ?1",
            params![
                p.id,
                p.status.as_str(),
                p.card.map(|c| c.prefix),
                p.card.map(|c| c.token),
                f.map(|f| f.index),
                f.map(|f| f.kind.as_str()),
                f.map(|f| f.label.as_str()),
                p.error.map(|e| e.as_str()),
                p.deadline.map(clamp_i64),
                p.allowance_day,
            ],
        )?;
        Ok(())
    }

    fn payment(
        &mut self,
        merchant: &str,
        out_trade_no: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.first(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE merchant = ?1 AND out_trade_no = ?2"
            ),
            params![merchant, out_trade_no],
            read_payment,
        )
    }

    fn payment_by_id(&mut self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        self.first(
            &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?1"),
            [id],
            read_payment,
        )
    }

    fn payments_due(&mut self, now: u64) -> Result<Vec<PaymentRecord>, StoreError> {
        self.rows(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments
                 WHERE status = '{}' AND deadline <= ?1",
                PaymentStatus::Userpaying.as_str()
            ),
            [clamp_i64(now)],
            read_payment,
        )
    }

    fn payments_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<PaymentRecord>, StoreError> {
        self.rows(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE prefix = ?1 AND token = ?2
                 ORDER BY created DESC, rowid DESC LIMIT ?3"
            ),
            params![key.prefix, key.token, limit],
            read_payment,
        )
    }

    fn payments(&mut self) -> Result<Vec<PaymentRecord>, StoreError> {
        self.rows(
            &format!("SELECT {PAYMENT_COLUMNS} FROM payments ORDER BY rowid"),
            [],
            read_payment,
        )
    }

    fn insert_refund(&mut self, r: &RefundRecord) -> Result<(), StoreError> {
        self.exec(
            &format!("INSERT INTO refunds ({REFUND_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![
                r.id,
                r.merchant,
                r.out_refund_no,
                r.payment_id,
                clamp_i64(r.amount.as_fen()),
                clamp_i64(r.created),
            ],
        )?;
        Ok(())
    }

    fn refund(
        &mut self,
        merchant: &str,
        out_refund_no: &str,
    ) -> Result<Option<RefundRecord>, StoreError> {
        self.first(
            &format!(
                "SELECT {REFUND_COLUMNS} FROM refunds WHERE merchant = ?1 AND out_refund_no = ?2"
            ),
            params![merchant, out_refund_no],
            read_refund,
        )
    }

    fn refunds_of(&mut self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        self.rows(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE payment = ?1 ORDER BY rowid"),
            [payment_id],
            read_refund,
        )
    }

    fn refunds(&mut self) -> Result<Vec<RefundRecord>, StoreError> {
        self.rows(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds ORDER BY rowid"),
            [],
            read_refund,
        )
    }

    fn insert_activation(&mut self, a: &ActivationRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO activations (code_hash, prefix, token, created, expires_at, redeemed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                &a.code_hash[..],
                a.card.prefix,
                a.card.token,
                clamp_i64(a.created),
                clamp_i64(a.expires_at),
                a.redeemed_at.map(clamp_i64),
            ],
        )?;
        Ok(())
    }

    fn activation(&mut self, code_hash: &CodeHash) -> Result<Option<ActivationRecord>, StoreError> {
        self.first(
            "SELECT prefix, token, created, expires_at, redeemed_at FROM activations
             WHERE code_hash = ?1",
            [&code_hash[..]],
            |r| rows::read_activation(r, code_hash),
        )
    }

    fn redeem_activation(&mut self, code_hash: &CodeHash, at: u64) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE activations SET redeemed_at = ?2
             WHERE code_hash = ?1 AND redeemed_at IS NULL",
            params![&code_hash[..], clamp_i64(at)],
        )?;
        Ok(n == 1)
    }
}

/// Creates an absent database file readable and writable by its owner
/// only, whatever the umask; an existing file is left as it is.
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests;
