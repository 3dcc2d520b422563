//! The server's database access: one writer thread, a pool of readers.
//!
//! Every write (provisioning, charges, PIN completion) is a job run in order
//! on the writer thread, which owns the [`Verifier`] and its SQLite store;
//! SQLite admits one writer at a time, so queueing here loses nothing and
//! spares requests SQLite's sleep-and-retry busy waiting. Each job is still
//! the verifier's own `BEGIN IMMEDIATE` transaction, so other processes
//! (the `paycode` CLI) on the same file stay safe too.
//!
//! Reads (history, PIN hashes) use read-only connections on blocking
//! threads: WAL mode lets them run while the writer commits.
//!
//! PIN hashes live in a table of this module, `card_pins`, beside the
//! store's tables: the store knows nothing of PINs.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use super::error::ApiError;
use super::pin::PinHash;
use crate::store::{CardKey, SqliteStore, StoreError};
use crate::verifier::{Verifier, VerifierConfig};

/// Same patience as the store's own connections.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Read connections kept open between requests.
const IDLE_READERS: usize = 8;
/// Jobs waiting for the writer before senders wait too (backpressure).
const QUEUE: usize = 1024;

const PIN_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS card_pins (
    prefix INTEGER NOT NULL,
    token  INTEGER NOT NULL,
    salt   BLOB    NOT NULL,
    hash   BLOB    NOT NULL,
    rounds INTEGER NOT NULL,
    PRIMARY KEY (prefix, token),
    FOREIGN KEY (prefix, token) REFERENCES cards (prefix, token)
);
";

/// What the writer thread owns.
pub(crate) struct Writer {
    pub verifier: Verifier<SqliteStore>,
    /// For this module's own table (PIN hashes).
    aux: Connection,
}

impl Writer {
    pub fn insert_pin(&mut self, key: CardKey, pin: &PinHash) -> Result<(), StoreError> {
        self.aux
            .execute(
                "INSERT INTO card_pins (prefix, token, salt, hash, rounds) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.prefix, key.token, &pin.salt[..], &pin.hash[..], pin.rounds],
            )
            .map_err(sql_err)?;
        Ok(())
    }
}

type Job = Box<dyn FnOnce(&mut Writer) + Send>;

enum Msg {
    Job(Job),
    Stop,
}

pub(crate) struct Db {
    jobs: mpsc::Sender<Msg>,
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
}

/// Owns the writer thread; [`DbHandle::close`] stops it after the queued jobs.
pub(crate) struct DbHandle {
    db: Arc<Db>,
    thread: Option<JoinHandle<()>>,
}

pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl DbHandle {
    /// Opens (creating if needed) the database: the store's schema, then
    /// this module's table. Blocking.
    pub fn open(path: &Path, config: VerifierConfig) -> Result<DbHandle, StoreError> {
        let store = SqliteStore::open(path)?;
        let aux = Connection::open(path).map_err(sql_err)?;
        aux.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
        // Per connection: FULL like the store, so a PIN row is as durable as its card.
        aux.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(sql_err)?;
        aux.execute_batch(PIN_SCHEMA).map_err(sql_err)?;
        let mut writer = Writer {
            verifier: Verifier::new(store, config),
            aux,
        };
        let (jobs, mut queue) = mpsc::channel::<Msg>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("paycode-db-writer".into())
            .spawn(move || {
                while let Some(Msg::Job(job)) = queue.blocking_recv() {
                    // A panicking job drops its reply channel (the request
                    // gets a 500) and rolls its transaction back on unwind;
                    // the writer goes on with the next job.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&mut writer)));
                }
            })
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(DbHandle {
            db: Arc::new(Db {
                jobs,
                path: path.to_owned(),
                readers: Mutex::new(Vec::new()),
            }),
            thread: Some(thread),
        })
    }

    pub fn db(&self) -> Arc<Db> {
        Arc::clone(&self.db)
    }

    /// Runs the jobs already queued, then closes the writer's connections.
    pub async fn close(mut self) {
        let _ = self.db.jobs.send(Msg::Stop).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Db {
    /// Runs `f` on the writer thread and waits for its answer.
    pub async fn write<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Writer) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |w| {
            let _ = reply.send(f(w));
        });
        self.jobs
            .send(Msg::Job(job))
            .await
            .map_err(|_| ApiError::unavailable())?;
        answer
            .await
            .map_err(|_| ApiError::internal("the writer job failed"))
    }

    /// Runs `f` with a read-only connection on a blocking thread.
    pub async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || -> Result<R, StoreError> {
            let conn = db.take_reader()?;
            let result = f(&conn);
            db.give_back(conn);
            result
        })
        .await
        .map_err(|_| ApiError::internal("a read job failed"))?;
        result.map_err(ApiError::from)
    }

    fn take_reader(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = self.readers.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.readers.lock() {
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
    }
}

/// The PIN hash of the card a charge belongs to, and the charge's status.
pub(crate) struct PinLookup {
    pub status: String,
    pub pin: Option<PinHash>,
}

/// `None`: no charge has this id.
pub(crate) fn pin_for_charge(
    conn: &Connection,
    charge_id: &str,
) -> Result<Option<PinLookup>, StoreError> {
    conn.query_row(
        "SELECT c.status, p.salt, p.hash, p.rounds
         FROM charges c LEFT JOIN card_pins p ON p.prefix = c.prefix AND p.token = c.token
         WHERE c.id = ?1",
        [charge_id],
        |r| {
            let status: String = r.get(0)?;
            let salt: Option<Vec<u8>> = r.get(1)?;
            let hash: Option<Vec<u8>> = r.get(2)?;
            let rounds: Option<u32> = r.get(3)?;
            Ok((status, salt, hash, rounds))
        },
    )
    .optional()
    .map_err(sql_err)?
    .map(|(status, salt, hash, rounds)| {
        let pin = match (salt, hash, rounds) {
            (Some(salt), Some(hash), Some(rounds)) => Some(
                PinHash::from_stored(&salt, &hash, rounds)
                    .ok_or_else(|| StoreError::Corrupt("a stored PIN hash is unreadable".into()))?,
            ),
            _ => None,
        };
        Ok(PinLookup { status, pin })
    })
    .transpose()
}

/// One line of a card's history, as stored.
pub(crate) struct HistoryRow {
    pub id: String,
    pub amount_fen: u64,
    pub status: String,
    pub funding: u8,
    pub merchant: Option<String>,
    pub at: u64,
}

/// A card's funding sources (link form) and its newest charges.
pub(crate) struct History {
    pub funding: Vec<paycode_wallet::core::funding::Funding>,
    pub rows: Vec<HistoryRow>,
}

/// The card's funding sources and its newest `limit` charges; `None` when
/// there is no such card.
pub(crate) fn history(
    conn: &Connection,
    key: CardKey,
    limit: u32,
) -> Result<Option<History>, StoreError> {
    let funding: Option<String> = conn
        .query_row(
            "SELECT funding FROM cards WHERE prefix = ?1 AND token = ?2",
            params![key.prefix, key.token],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    let Some(funding) = funding else {
        return Ok(None);
    };
    let funding: Vec<String> = serde_json::from_str(&funding)
        .map_err(|_| StoreError::Corrupt("a card's funding list is unreadable".into()))?;
    let funding = funding
        .iter()
        .map(|f| paycode_wallet::core::funding::Funding::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| StoreError::Corrupt("a card's funding source is unreadable".into()))?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, amount_fen, status, funding, merchant, at FROM charges
             WHERE prefix = ?1 AND token = ?2 ORDER BY at DESC, rowid DESC LIMIT ?3",
        )
        .map_err(sql_err)?;
    let rows = stmt
        .query_map(params![key.prefix, key.token, limit], |r| {
            Ok(HistoryRow {
                id: r.get(0)?,
                amount_fen: r.get(1)?,
                status: r.get(2)?,
                funding: r.get(3)?,
                merchant: r.get(4)?,
                at: r.get(5)?,
            })
        })
        .map_err(sql_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql_err)?;
    Ok(Some(History { funding, rows }))
}
