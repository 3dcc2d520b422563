//! The server's database access: writer threads with group commit, and
//! a pool of read-only stores.
//!
//! Every write is a job queued for the writer thread. The writer takes all
//! the jobs waiting (up to [`BATCH`]), runs each in its own savepoint inside
//! one write transaction, commits once, and only then answers each job: an
//! answer is sent after its commit is durable (`synchronous = FULL`), and if
//! that commit fails every job of the batch is told so, never SUCCESS. One
//! fsync then serves a whole batch, which is what lets a busy issuer keep up.
//! A job that fails rolls back its own savepoint only.
//!
//! Now and then (every [`SWEEP_EVERY`]) the writer also closes USERPAYING
//! payments past their deadline and forgets expired request nonces.
//!
//! Reads use read-only stores on blocking threads: WAL mode lets them run
//! while the writer commits. Every SQL statement lives in the store.
//!
//! On PostgreSQL the same writer runs the same batches (one transaction,
//! a savepoint per job, one commit), and readers share the writer's
//! connection pool. There, several writers (default [`PG_WRITERS`]) take
//! batches from the one queue and run them at once, each on its own
//! connection: a batch spends most of its time waiting for round trips to
//! the server, so one writer leaves both the database and the node idle.
//! SQLite keeps one writer, since it has one write lock per file.
//!
//! Batches running at once, on one node or on several nodes sharing a
//! database, are ordered by the store's row locks where they touch the
//! same card or merchant number: a second payment of a card waits for the
//! batch holding that card to commit. Two batches can deadlock when each
//! holds a card the other one's later job wants. PostgreSQL then fails one
//! statement with 40P01 (after `deadlock_timeout`); that job's savepoint
//! is rolled back, releasing the locks it took, and the job alone is
//! answered with an error (nothing of it is stored, the till queries and
//! reverses as after any error), while the rest of both batches commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::custody::Vault;
use crate::payments::PaymentService;
use crate::store::{AnyStore, DbLocation, SqliteStore, Store, StoreError, StoreTx, TxMode};

/// Read stores kept open between requests.
const IDLE_READERS: usize = 8;
/// Jobs waiting for the writer before senders wait too (backpressure).
const QUEUE: usize = 1024;
/// Most jobs in one transaction.
pub(crate) const BATCH: usize = 256;
/// How often expired USERPAYING payments and nonces are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Writer threads per node on PostgreSQL, unless configured otherwise.
pub const PG_WRITERS: usize = 4;

/// The batch this job was in did not commit (or never began): nothing of
/// the job is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotCommitted {
    /// The job never ran, because its transaction could not begin (the
    /// database is down or unreachable): the request may simply be sent
    /// again later. Otherwise the client cannot tell whether it was done.
    pub never_ran: bool,
}

impl NotCommitted {
    const UNKNOWN: NotCommitted = NotCommitted { never_ran: false };
    const NEVER_RAN: NotCommitted = NotCommitted { never_ran: true };
}

/// What a job leaves: whether its savepoint is kept, and how to answer
/// once the fate of the batch is known (`true`: committed).
struct Done {
    keep: bool,
    answer: Box<dyn FnOnce(bool) + Send>,
}

/// Runs in the group transaction; given `None` when that transaction could
/// not begin, and then answers at once that it never ran.
type TxJob = Box<dyn FnOnce(Option<(&mut dyn StoreTx, &PaymentService)>) -> Done + Send>;
type StoreJob = Box<dyn FnOnce(&mut AnyStore) + Send>;

enum Msg {
    /// Batched: runs in a savepoint of the group transaction.
    Tx(TxJob),
    /// Alone, with the whole store (provisioning commits by itself).
    Store(StoreJob),
    Sweep,
    Stop,
}

pub(crate) struct Db {
    jobs: mpsc::Sender<Msg>,
    location: DbLocation,
    vault: Arc<Vault>,
    readers: Mutex<Vec<AnyStore>>,
    stats: Arc<Stats>,
}

/// Counters the benchmark reads.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub commits: AtomicU64,
    pub jobs: AtomicU64,
}

/// Owns the writer threads; [`DbHandle::close`] stops them after the
/// queued jobs.
pub(crate) struct DbHandle {
    db: Arc<Db>,
    threads: Vec<JoinHandle<()>>,
}

impl DbHandle {
    /// Opens (creating or migrating if needed) the database, with
    /// `pg_writers` writer threads on PostgreSQL (at least one) and one on
    /// SQLite. Blocking.
    pub fn open(
        location: &DbLocation,
        vault: Arc<Vault>,
        service: PaymentService,
        pg_writers: usize,
    ) -> Result<DbHandle, StoreError> {
        let store = location.open(Arc::clone(&vault))?;
        let (readers, writers) = match &store {
            // Readers and writers share one pool.
            AnyStore::Postgres(pg) => (vec![AnyStore::Postgres(pg.clone())], pg_writers.max(1)),
            AnyStore::Sqlite(_) => (Vec::new(), 1),
        };
        let mut stores = vec![store];
        while stores.len() < writers {
            match &stores[0] {
                AnyStore::Postgres(pg) => stores.push(AnyStore::Postgres(pg.clone())),
                AnyStore::Sqlite(_) => break,
            }
        }
        let (jobs, queue) = mpsc::channel::<Msg>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        let stats = Arc::new(Stats::default());
        let last_sweep = Arc::new(Mutex::new(Instant::now()));
        let mut threads = Vec::with_capacity(stores.len());
        for (i, store) in stores.into_iter().enumerate() {
            let writer = Writer {
                store,
                service: service.clone(),
                queue: Arc::clone(&queue),
                stats: Arc::clone(&stats),
                last_sweep: Arc::clone(&last_sweep),
            };
            let thread = std::thread::Builder::new()
                .name(format!("paycode-db-writer-{i}"))
                .spawn(move || writer.run());
            match thread {
                Ok(t) => threads.push(t),
                Err(e) => {
                    // The writers already started end when `jobs` is dropped.
                    return Err(StoreError::Database(format!(
                        "cannot start a writer thread: {e}"
                    )));
                }
            }
        }
        let ticks = jobs.clone();
        // Ends when the writer has stopped and the queue is gone.
        let _ = std::thread::Builder::new()
            .name("paycode-db-sweep".into())
            .spawn(move || loop {
                std::thread::sleep(SWEEP_EVERY);
                if ticks.blocking_send(Msg::Sweep).is_err() {
                    break;
                }
            });
        Ok(DbHandle {
            db: Arc::new(Db {
                jobs,
                location: location.clone(),
                vault,
                readers: Mutex::new(readers),
                stats,
            }),
            threads,
        })
    }

    pub fn db(&self) -> Arc<Db> {
        Arc::clone(&self.db)
    }

    /// Runs the jobs already queued, then closes the writers' connections.
    pub async fn close(self) {
        // One Stop per writer: each one ends at the first it takes.
        for _ in &self.threads {
            let _ = self.db.jobs.send(Msg::Stop).await;
        }
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
        eprintln!(
            "paycode serve: {} write jobs in {} commits",
            self.db.stats.jobs.load(Ordering::Relaxed),
            self.db.stats.commits.load(Ordering::Relaxed)
        );
    }
}

struct Writer {
    store: AnyStore,
    service: PaymentService,
    /// Shared by the writers: the one holding it gathers the next batch.
    queue: Arc<Mutex<mpsc::Receiver<Msg>>>,
    stats: Arc<Stats>,
    /// Shared too, so that one writer sweeps each time it is due.
    last_sweep: Arc<Mutex<Instant>>,
}

/// What a writer does next.
enum Work {
    Batch(Vec<TxJob>),
    Store(StoreJob),
    Stop,
}

impl Writer {
    fn run(mut self) {
        let mut next = None;
        loop {
            match self.take(&mut next) {
                Work::Stop => return,
                Work::Store(job) => {
                    // A panicking job drops its reply channel (the request
                    // gets a 500) and rolls its transaction back on unwind.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&mut self.store)));
                }
                Work::Batch(batch) => self.batch(batch),
            }
        }
    }

    /// Waits for the next message (or takes `next`, one put aside while
    /// gathering) and, for a job, gathers the jobs queued behind it. The
    /// queue is released before the batch runs, so another writer can
    /// gather the next one meanwhile.
    fn take(&self, next: &mut Option<Msg>) -> Work {
        let Ok(mut queue) = self.queue.lock() else {
            return Work::Stop;
        };
        let msg = match next.take() {
            Some(m) => m,
            None => match queue.blocking_recv() {
                Some(m) => m,
                None => return Work::Stop,
            },
        };
        match msg {
            Msg::Stop => Work::Stop,
            Msg::Store(job) => Work::Store(job),
            Msg::Sweep => Work::Batch(Vec::new()),
            Msg::Tx(first) => {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match queue.try_recv() {
                        Ok(Msg::Tx(job)) => batch.push(job),
                        Ok(Msg::Sweep) => {}
                        Ok(other) => {
                            *next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                Work::Batch(batch)
            }
        }
    }

    /// Whether this writer sweeps now; claims the sweep if so.
    fn sweep_due(&self) -> bool {
        let Ok(mut last) = self.last_sweep.lock() else {
            return false;
        };
        if last.elapsed() < SWEEP_EVERY {
            return false;
        }
        *last = Instant::now();
        true
    }

    /// Runs `jobs` (and the sweep, when due) in one transaction, commits,
    /// then answers every job.
    fn batch(&mut self, jobs: Vec<TxJob>) {
        let sweep = self.sweep_due();
        if jobs.is_empty() && !sweep {
            return;
        }
        let count = jobs.len() as u64;
        let mut answers = Vec::with_capacity(jobs.len());
        let committed = match self.store.begin(TxMode::Write) {
            Ok(mut tx) => {
                for job in jobs {
                    answers.push(run_job(tx.as_mut(), &self.service, job));
                }
                if sweep {
                    sweep_in(tx.as_mut(), &self.service);
                }
                match tx.commit() {
                    Ok(()) => true,
                    Err(e) => {
                        eprintln!("paycode serve: a group commit failed: {e}");
                        false
                    }
                }
            }
            Err(e) => {
                eprintln!("paycode serve: cannot begin a write transaction: {e}");
                for job in jobs {
                    let _ = catch_unwind(AssertUnwindSafe(|| job(None)));
                }
                false
            }
        };
        if committed {
            self.stats.commits.fetch_add(1, Ordering::Relaxed);
        }
        self.stats.jobs.fetch_add(count, Ordering::Relaxed);
        for answer in answers.into_iter().flatten() {
            answer(committed);
        }
    }
}

/// One job in its own savepoint; `None` when it panicked (its reply channel
/// is gone, the request gets a 500) or its savepoint could not be made.
fn run_job(
    tx: &mut dyn StoreTx,
    service: &PaymentService,
    job: TxJob,
) -> Option<Box<dyn FnOnce(bool) + Send>> {
    let ran = catch_unwind(AssertUnwindSafe(|| -> Result<_, StoreError> {
        let mut savepoint = tx.nested()?;
        let done = job(Some((savepoint.as_mut(), service)));
        if done.keep {
            savepoint.commit()?;
        }
        Ok(done.answer)
    }));
    match ran {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(e)) => {
            eprintln!("paycode serve: a savepoint failed: {e}");
            None
        }
        Err(_) => None,
    }
}

fn sweep_in(tx: &mut dyn StoreTx, service: &PaymentService) {
    let now = super::now();
    let Ok(mut savepoint) = tx.nested() else {
        return;
    };
    let swept = service
        .close_expired(savepoint.as_mut(), now)
        .map_err(|e| e.to_string())
        .and_then(|_| savepoint.prune_nonces(now).map_err(|e| e.to_string()));
    match swept {
        Ok(_) => {
            let _ = savepoint.commit();
        }
        Err(e) => eprintln!("paycode serve: the sweep failed: {e}"),
    }
}

impl Db {
    /// Runs `f` in a savepoint of the writer's next group commit and waits
    /// for the commit. `Ok` keeps the savepoint's writes, `Err` rolls them
    /// back; either is answered only once the batch has committed.
    pub async fn write<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<NotCommitted> + Send + 'static,
        F: FnOnce(&mut dyn StoreTx, &PaymentService) -> Result<R, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<R, E>>();
        let job: TxJob = Box::new(move |ctx| {
            let Some((tx, service)) = ctx else {
                let _ = reply.send(Err(E::from(NotCommitted::NEVER_RAN)));
                return Done {
                    keep: false,
                    answer: Box::new(|_| {}),
                };
            };
            let result = f(tx, service);
            Done {
                keep: result.is_ok(),
                answer: Box::new(move |committed| {
                    let _ = reply.send(if committed {
                        result
                    } else {
                        Err(E::from(NotCommitted::UNKNOWN))
                    });
                }),
            }
        });
        self.jobs
            .send(Msg::Tx(job))
            .await
            .map_err(|_| E::from(NotCommitted::NEVER_RAN))?;
        answer.await.map_err(|_| E::from(NotCommitted::UNKNOWN))?
    }

    /// Runs `f` with the whole store on the writer thread, alone.
    pub async fn with_store<R, F>(&self, f: F) -> Result<R, NotCommitted>
    where
        R: Send + 'static,
        F: FnOnce(&mut AnyStore) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: StoreJob = Box::new(move |store| {
            let _ = reply.send(f(store));
        });
        self.jobs
            .send(Msg::Store(job))
            .await
            .map_err(|_| NotCommitted::NEVER_RAN)?;
        answer.await.map_err(|_| NotCommitted::UNKNOWN)
    }

    /// Runs `f` with a read-only store on a blocking thread.
    pub async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut AnyStore) -> Result<R, StoreError> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || -> Result<R, StoreError> {
            let mut store = db.take_reader()?;
            let result = f(&mut store);
            db.give_back(store);
            result
        })
        .await
        .map_err(|_| StoreError::Database("a read job failed".into()))?
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn take_reader(&self) -> Result<AnyStore, StoreError> {
        let mut idle = self
            .readers
            .lock()
            .map_err(|_| StoreError::Database("the reader list is poisoned".into()))?;
        match &self.location {
            DbLocation::Postgres(_) => match idle.first() {
                // One store, one shared pool: every reader is a clone.
                Some(AnyStore::Postgres(pg)) => Ok(AnyStore::Postgres(pg.clone())),
                _ => Err(StoreError::Database("no PostgreSQL pool".into())),
            },
            DbLocation::Sqlite(path) => match idle.pop() {
                Some(store) => Ok(store),
                None => {
                    drop(idle);
                    Ok(AnyStore::Sqlite(SqliteStore::open_read_only(
                        path,
                        Arc::clone(&self.vault),
                    )?))
                }
            },
        }
    }

    fn give_back(&self, store: AnyStore) {
        if matches!(store, AnyStore::Postgres(_)) {
            return;
        }
        if let Ok(mut idle) = self.readers.lock() {
            if idle.len() < IDLE_READERS {
                idle.push(store);
            }
        }
    }
}
