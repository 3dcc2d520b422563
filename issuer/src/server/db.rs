//! The server's database access: one writer thread, a pool of readers.
//!
//! Every write (provisioning, charges, PIN completion) is a job run in order
//! on the writer thread, which owns the [`Verifier`] and its SQLite store;
//! SQLite admits one writer at a time, so queueing here loses nothing and
//! spares requests SQLite's sleep-and-retry busy waiting. Each job is still
//! the verifier's own `BEGIN IMMEDIATE` transaction, so other processes
//! (the `paycode` CLI) on the same file stay safe too.
//!
//! Reads (history, PIN hashes) use read-only stores on blocking threads:
//! WAL mode lets them run while the writer commits. Every SQL statement
//! lives in the store.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::error::ApiError;
use super::pin::PinHash;
use crate::store::{CardKey, SqliteStore, Store, StoreError, StoredPin, TxMode};
use crate::verifier::{Verifier, VerifierConfig};

/// Read stores kept open between requests.
const IDLE_READERS: usize = 8;
/// Jobs waiting for the writer before senders wait too (backpressure).
const QUEUE: usize = 1024;

/// What the writer thread owns.
pub(crate) struct Writer {
    pub verifier: Verifier<SqliteStore>,
}

impl Writer {
    pub fn insert_pin(&mut self, key: CardKey, pin: &PinHash) -> Result<(), StoreError> {
        let mut tx = self.verifier.store_mut().begin(TxMode::Write)?;
        tx.insert_pin(
            key,
            &StoredPin {
                salt: pin.salt.to_vec(),
                hash: pin.hash.to_vec(),
                rounds: pin.rounds,
            },
        )?;
        tx.commit()
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
    readers: Mutex<Vec<SqliteStore>>,
}

/// Owns the writer thread; [`DbHandle::close`] stops it after the queued jobs.
pub(crate) struct DbHandle {
    db: Arc<Db>,
    thread: Option<JoinHandle<()>>,
}

impl DbHandle {
    /// Opens (creating or migrating if needed) the database. Blocking.
    pub fn open(path: &Path, config: VerifierConfig) -> Result<DbHandle, StoreError> {
        let store = SqliteStore::open(path)?;
        let mut writer = Writer {
            verifier: Verifier::new(store, config),
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

    /// Runs `f` with a read-only store on a blocking thread.
    pub async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut SqliteStore) -> Result<R, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || -> Result<R, StoreError> {
            let mut store = db.take_reader()?;
            let result = f(&mut store);
            db.give_back(store);
            result
        })
        .await
        .map_err(|_| ApiError::internal("a read job failed"))?;
        result.map_err(ApiError::from)
    }

    fn take_reader(&self) -> Result<SqliteStore, StoreError> {
        if let Some(store) = self.readers.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(store);
        }
        SqliteStore::open_read_only(&self.path)
    }

    fn give_back(&self, store: SqliteStore) {
        if let Ok(mut idle) = self.readers.lock() {
            if idle.len() < IDLE_READERS {
                idle.push(store);
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
    store: &mut SqliteStore,
    charge_id: &str,
) -> Result<Option<PinLookup>, StoreError> {
    let mut tx = store.begin(TxMode::Read)?;
    let Some(charge) = tx.charge(charge_id)? else {
        return Ok(None);
    };
    let pin = match tx.pin(charge.card)? {
        Some(p) => Some(
            PinHash::from_stored(&p.salt, &p.hash, p.rounds)
                .ok_or_else(|| StoreError::Corrupt("a stored PIN hash is unreadable".into()))?,
        ),
        None => None,
    };
    Ok(Some(PinLookup {
        status: charge.status.as_str().to_owned(),
        pin,
    }))
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

/// A card's funding sources and its newest charges.
pub(crate) struct History {
    pub funding: Vec<paycode_wallet::core::funding::Funding>,
    pub rows: Vec<HistoryRow>,
}

/// The card's funding sources and its newest `limit` charges; `None` when
/// there is no such card.
pub(crate) fn history(
    store: &mut SqliteStore,
    key: CardKey,
    limit: u32,
) -> Result<Option<History>, StoreError> {
    let mut tx = store.begin(TxMode::Read)?;
    let Some(card) = tx.card(key)? else {
        return Ok(None);
    };
    let rows = tx
        .charges_of(key, limit)?
        .into_iter()
        .map(|c| HistoryRow {
            id: c.id,
            amount_fen: c.amount.as_fen(),
            status: c.status.as_str().to_owned(),
            funding: c.funding,
            merchant: c.merchant,
            at: c.at,
        })
        .collect();
    Ok(Some(History {
        funding: card.funding,
        rows,
    }))
}
