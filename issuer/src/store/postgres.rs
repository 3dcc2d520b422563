//! The server database: PostgreSQL, shared by any number of issuer nodes.
//!
//! The client is tokio-postgres with a deadpool-postgres pool. It is the
//! well-kept async client of the Rust PostgreSQL project; the same client
//! gives LISTEN/NOTIFY and pipelining when they are wanted, and the pool
//! hands each transaction a connection and drops broken ones. The
//! [`Store`] trait is synchronous, so each call runs the async client with
//! `Runtime::block_on` on a small runtime this store owns — which is how
//! the synchronous `postgres` crate is built on tokio-postgres itself. The
//! server calls stores from its writer thread and `spawn_blocking`, never
//! from an async task, where `block_on` would not be allowed.
//!
//! Concurrency across nodes uses row locks, not SERIALIZABLE: a write
//! transaction runs READ COMMITTED and takes, in its first statements,
//! the locks its read-check-write needs, so nothing it then reads can be
//! changed under it and nothing needs to be retried:
//! - reading a card in [`TxMode::Write`] locks the card's row
//!   (`FOR NO KEY UPDATE`), so a second payment with the same card, on any
//!   node, waits until the first has committed and then sees its replay
//!   state, allowance, lockouts and balances. The card row and not the
//!   `card_state` row is locked because the card row always exists, while
//!   the state row is made by a card's first accepted code;
//! - looking a payment or refund up by its merchant's number in write mode
//!   first takes a transaction advisory lock on that number, so two nodes
//!   given the same out_trade_no one after the other cannot both miss the
//!   first's row; payments read by id (or to be swept) are locked
//!   `FOR UPDATE` (`SKIP LOCKED` for the sweep).
//!
//! SERIALIZABLE with retries would need the caller to re-run a payment on
//! 40001, which the group-commit writer cannot do for one job of a batch.
//! Lock order is always payment before card. A deadlock between two
//! batches that lock the same two cards in opposite orders is broken by
//! PostgreSQL (40P01); the job it hits fails alone, in its savepoint.
//!
//! Round trips, not statements, are what a payment waits for, so a
//! transaction sends its statements in as few as it can ([`pipeline`]):
//! writes whose answer nobody needs now (savepoints, releases, upserts of
//! a card's state and allowance, payment updates, number locks) are
//! queued and sent ahead of the next statement that is waited for, and a
//! card read in write mode brings the rest of the card's rows with it
//! ([`ahead`]), in one statement. A payment this transaction wrote is
//! looked up again from memory, and a payment's insert under a number just
//! found free under its lock is queued too. An approved payment over the
//! merchant API takes about 14 statements in 6 round trips (docs/BENCHMARKS.md).
//!
//! No call hangs: connecting, waiting for a pooled connection and each
//! statement have timeouts, server side and client side. A server that
//! cannot be reached is [`StoreError::Unavailable`]; any other failure is
//! a [`StoreError::Database`] that says what happened.

mod ahead;
mod lifecycle;
mod notify;
mod pipeline;
mod rows;
mod schema;
#[cfg(feature = "postgres-tests")]
pub mod scratch;
mod seal;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::runtime::Runtime;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::funding_order::{order_from_text, order_text};
use super::{
    Account, ActivationRecord, AuditEvent, AuditRecord, CardKey, CardRecord, CardState,
    ChargeRecord, ChargeStatus, CodeHash, Journal, Lockout, MerchantRecord, PaymentRecord, Posting,
    RefundRecord, Store, StoreError, StoreTx, StoredPin, TxMode,
};
use crate::custody::{KeyOwner, Vault};
use crate::payments::PaymentStatus;
use crate::secret::SecretKey;
use ahead::CardAhead;
pub use notify::PgEvents;
pub use pipeline::{traffic, Traffic};
use pipeline::{Answer, Owned, Queued, Step, Want};
use rows::{
    clamp_i64, funding_text, get_int, pg_err, read_card, read_charge, read_merchant, read_payment,
    read_posting, read_refund, PAYMENT_COLUMNS, REFUND_COLUMNS,
};

/// The newest schema version this program knows.
pub const SCHEMA_VERSION: i64 = schema::STEPS.len() as i64;

/// A ledger account's balance. SUM of BIGINT is NUMERIC; any real
/// balance fits back in BIGINT.
const BALANCE_SQL: &str =
    "SELECT COALESCE(SUM(amount_fen), 0)::BIGINT FROM postings WHERE account = $1";

/// Opening a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Waiting for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// One statement, lock waits included (PostgreSQL's `statement_timeout`).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The client's own limit on any one call: a server that stops answering
/// without closing the connection cannot hold a caller past it.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections per store (the server's writer and its readers share them).
const POOL_SIZE: usize = 16;

/// A pool of connections to one PostgreSQL database. Cloning shares the
/// pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    runtime: Arc<PgRuntime>,
    /// Seals card and merchant keys on insert, opens them on read: the
    /// database never holds a key in the clear.
    vault: Arc<Vault>,
    merchants: Arc<MerchantCache>,
}

/// Merchants already read. A merchant row is never changed or deleted
/// (the store has no statement that would), so a copy stays true.
#[derive(Default)]
struct MerchantCache(Mutex<HashMap<String, MerchantRecord>>);

/// Merchants kept before the cache starts again.
const MAX_CACHED_MERCHANTS: usize = 4096;

impl MerchantCache {
    fn get(&self, id: &str) -> Option<MerchantRecord> {
        self.0.lock().ok()?.get(id).cloned()
    }

    fn put(&self, merchant: &MerchantRecord) {
        if let Ok(mut cached) = self.0.lock() {
            if cached.len() >= MAX_CACHED_MERCHANTS {
                cached.clear();
            }
            cached.insert(merchant.id.clone(), merchant.clone());
        }
    }
}

/// No contents, no URL: the URL may carry a password.
impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// The runtime the pool's connections live on. Shut down in the
/// background on drop, so a store may be dropped anywhere, even in an
/// async task.
struct PgRuntime(Option<Runtime>);

impl Drop for PgRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl PgRuntime {
    fn get(&self) -> &Runtime {
        self.0.as_ref().expect("the runtime is only taken on drop")
    }

    /// Runs `fut` to its end or to [`CALL_TIMEOUT`].
    fn call<T>(&self, fut: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        self.get().block_on(async {
            tokio::time::timeout(CALL_TIMEOUT, fut)
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::Unavailable(format!(
                        "PostgreSQL did not answer within {} s",
                        CALL_TIMEOUT.as_secs()
                    )))
                })
        })
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`),
    /// bringing its schema up to date.
    pub fn open(url: &str, vault: Arc<Vault>) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Database(format!("not a usable PostgreSQL URL ({e})")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.keepalives_idle(Duration::from_secs(10));
        config.tcp_user_timeout(CALL_TIMEOUT);
        config.application_name("paycode");
        let ours = format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout=60000",
            STATEMENT_TIMEOUT.as_millis()
        );
        let options = match config.get_options() {
            Some(given) => format!("{given} {ours}"),
            None => ours,
        };
        config.options(options);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("paycode-pg")
            .enable_all()
            .build()
            .map_err(|e| {
                StoreError::Database(format!("cannot start the PostgreSQL runtime: {e}"))
            })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot make a PostgreSQL pool: {e}")))?;
        let store = PgStore {
            pool,
            runtime: Arc::new(PgRuntime(Some(runtime))),
            vault,
            merchants: Arc::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn connection(&self) -> Result<Object, StoreError> {
        let pool = self.pool.clone();
        self.runtime.call(async move {
            pool.get().await.map_err(|e| match e {
                deadpool_postgres::PoolError::Backend(e) => match pg_err(e) {
                    StoreError::Unavailable(m) | StoreError::Database(m) => {
                        StoreError::Unavailable(format!("cannot connect to PostgreSQL: {m}"))
                    }
                    other => other,
                },
                other => StoreError::Unavailable(format!("cannot connect to PostgreSQL: {other}")),
            })
        })
    }

    /// Applies the steps the database lacks, in one transaction under an
    /// advisory lock, so that nodes starting together migrate once.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.connection()?;
        self.runtime.call(async {
            let tx = client.transaction().await.map_err(pg_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::MIGRATION_LOCK])
                .await
                .map_err(pg_err)?;
            tx.batch_execute(schema::LEDGER_OF_STEPS)
                .await
                .map_err(pg_err)?;
            let version: i64 = tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
                .await
                .map_err(pg_err)?
                .get(0);
            if version > SCHEMA_VERSION {
                return Err(StoreError::Database(format!(
                    "the database schema is version {version}; this program knows up to {SCHEMA_VERSION}"
                )));
            }
            for (i, step) in schema::STEPS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(step).await.map_err(pg_err)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&(i as i64 + 1)],
                )
                .await
                .map_err(pg_err)?;
            }
            if (1..schema::KEYS_SEALED).contains(&version) {
                seal::seal_plain_keys(&tx, &self.vault).await?;
            }
            tx.commit().await.map_err(pg_err)
        })
    }
}

impl Store for PgStore {
    fn begin(&mut self, mode: TxMode) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let client = self.connection()?;
        let begin = match mode {
            TxMode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            TxMode::Write => "BEGIN ISOLATION LEVEL READ COMMITTED",
        };
        // Its own round trip: a server that is down shows here, before
        // any job runs, so the jobs can be told they never ran.
        pipeline::count(1);
        self.runtime
            .call(async { client.batch_execute(begin).await.map_err(pg_err) })?;
        Ok(Box::new(PgTx {
            conn: Conn::Top(Some(Box::new(Session {
                client,
                queued: RefCell::new(Vec::new()),
                cards: RefCell::new(HashMap::new()),
                payments: RefCell::new(HashMap::new()),
                absent: RefCell::new(HashSet::new()),
            }))),
            merchants: &self.merchants,
            runtime: &self.runtime,
            vault: &self.vault,
            depth: 0,
            write: mode == TxMode::Write,
            done: false,
        }))
    }
}

/// A transaction's connection, the writes it has queued
/// ([`pipeline`]), what it has read ahead of its cards ([`ahead`]) and the
/// payments it has written; shared by the transaction and its savepoints.
struct Session {
    client: Object,
    queued: RefCell<Vec<Queued>>,
    cards: RefCell<HashMap<CardKey, CardAhead>>,
    /// Payments this transaction inserted or updated, by merchant and
    /// out_trade_no, as they now are in the database. The transaction
    /// holds each one's row (an uncommitted insert is its own, an update
    /// locks the row), so no one else can change it before the commit,
    /// and a lookup of it (the wallet event after a payment) needs no
    /// statement.
    payments: RefCell<HashMap<(String, String), PaymentRecord>>,
    /// Out_trade_nos this transaction looked up under their lock and did
    /// not find: no one else can insert them before it ends.
    absent: RefCell<HashSet<(String, String)>>,
}

/// The session: owned by the outermost level, borrowed by savepoints.
enum Conn<'a> {
    Top(Option<Box<Session>>),
    Nested(&'a Session),
}

/// A transaction (depth 0) or a savepoint inside one (depth ≥ 1). Rolls
/// back on drop unless committed.
struct PgTx<'a> {
    conn: Conn<'a>,
    runtime: &'a PgRuntime,
    vault: &'a Vault,
    merchants: &'a MerchantCache,
    depth: u32,
    write: bool,
    done: bool,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl PgTx<'_> {
    fn session(&self) -> &Session {
        match &self.conn {
            Conn::Top(s) => s.as_ref().expect("the session is only taken on drop"),
            Conn::Nested(s) => s,
        }
    }

    fn savepoint(&self) -> String {
        format!("sp{}", self.depth)
    }

    /// Queues a write whose answer is not needed now ([`pipeline`]).
    fn queue(&self, sql: &str, params: Vec<Owned>) {
        self.session()
            .queued
            .borrow_mut()
            .push(Queued::write(sql, params));
    }

    /// Sends the queued writes and then `steps` in one round trip; the
    /// answers of `steps`.
    fn send(&self, steps: Vec<Step<'_>>) -> Result<Vec<Answer>, StoreError> {
        let session = self.session();
        let queued = std::mem::take(&mut *session.queued.borrow_mut());
        let ahead = queued.len();
        let mut all: Vec<Step<'_>> = queued.iter().map(Step::queued).collect();
        all.extend(steps);
        let client = &session.client;
        let mut answers = self
            .runtime
            .call(async { pipeline::send(client, &all).await })?;
        Ok(answers.split_off(ahead))
    }

    fn one(&self, sql: &str, params: Params<'_>, want: Want) -> Result<Answer, StoreError> {
        self.send(vec![Step::new(sql, params, want)])?
            .pop()
            .ok_or_else(|| StoreError::Database("a statement went unanswered".into()))
    }

    fn exec(&self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        Ok(self.one(sql, params, Want::Count)?.count())
    }

    /// An insert that does nothing on a key conflict: [`StoreError::Duplicate`]
    /// then, without the error that would abort the whole transaction.
    fn insert(&self, sql: &str, params: Params<'_>) -> Result<(), StoreError> {
        match self.exec(&format!("{sql} ON CONFLICT DO NOTHING"), params)? {
            0 => Err(StoreError::Duplicate),
            _ => Ok(()),
        }
    }

    fn rows<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        read: impl Fn(&tokio_postgres::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.one(sql, params, Want::Rows)?
            .rows()
            .iter()
            .map(read)
            .collect()
    }

    fn first<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        read: impl Fn(&tokio_postgres::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(sql, params, read)?.into_iter().next())
    }

    /// In a write transaction, holds `key` (a merchant's out_trade_no or
    /// out_refund_no) until the transaction ends. Queued: the lookup that
    /// follows is sent behind it and runs once the lock is held.
    fn lock_number(&self, kind: &str, merchant: &str, number: &str) {
        if self.write {
            let key = format!("{kind}\u{1f}{merchant}\u{1f}{number}");
            self.queue(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                vec![Box::new(key)],
            );
        }
    }

    /// `FOR UPDATE` in a write transaction (the row is about to change).
    fn for_update(&self) -> &'static str {
        if self.write {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    /// Whether this savepoint's release needs no round trip of its own:
    /// nothing was sent in it (the `SAVEPOINT` is taken back), or every
    /// statement of it has been answered without an error, so the release
    /// cannot fail but with the connection, which fails the whole
    /// transaction (it is queued, for the next statement or the commit).
    fn defer_release(&self, release: &str) -> bool {
        let mut queued = self.session().queued.borrow_mut();
        if queued.last().is_some_and(|q| q.opens == Some(self.depth)) {
            queued.pop();
            return true;
        }
        if queued.is_empty() {
            queued.push(Queued::write(release, Vec::new()));
            return true;
        }
        false
    }

    /// Keeps `p` as this transaction wrote it ([`Session::payments`]).
    fn wrote_payment(&self, p: &PaymentRecord) {
        self.session()
            .payments
            .borrow_mut()
            .insert((p.merchant.clone(), p.out_trade_no.clone()), p.clone());
    }

    /// Applies `f` to what was read ahead of `key`, if anything was.
    fn ahead<T>(&self, key: &CardKey, f: impl FnOnce(&mut CardAhead) -> T) -> Option<T> {
        self.session().cards.borrow_mut().get_mut(key).map(f)
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let session = self.session();
        session.cards.borrow_mut().clear();
        session.payments.borrow_mut().clear();
        session.absent.borrow_mut().clear();
        let sql = if self.depth == 0 {
            session.queued.borrow_mut().clear();
            "ROLLBACK".to_owned()
        } else {
            let mut queued = session.queued.borrow_mut();
            if let Some(i) = queued.iter().position(|q| q.opens == Some(self.depth)) {
                // Never sent: nothing of this level reached the server.
                queued.truncate(i);
                return;
            }
            // Sent, and with it everything queued before: what is left
            // was queued inside this level.
            queued.clear();
            let sp = self.savepoint();
            format!("ROLLBACK TO SAVEPOINT {sp}; RELEASE SAVEPOINT {sp}")
        };
        // A simple query, not prepared: in a failed transaction the server
        // parses nothing but the statements that end it.
        pipeline::count(sql.matches(';').count() + 1);
        let client = &session.client;
        let rolled_back = self
            .runtime
            .call(async { client.batch_execute(&sql).await.map_err(pg_err) });
        if rolled_back.is_err() {
            // A connection whose rollback failed may still be inside the
            // transaction: it must not go back to the pool.
            if let Conn::Top(s) = &mut self.conn {
                if let Some(s) = s.take() {
                    drop(Object::take(s.client));
                }
            }
        }
    }
}

fn key_params(key: &CardKey) -> (i64, i64) {
    (i64::from(key.prefix), i64::from(key.token))
}

impl StoreTx for PgTx<'_> {
    fn nested(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let depth = self.depth + 1;
        // Sent with the savepoint's first statement.
        self.session()
            .queued
            .borrow_mut()
            .push(Queued::savepoint(depth));
        Ok(Box::new(PgTx {
            conn: Conn::Nested(self.session()),
            runtime: self.runtime,
            vault: self.vault,
            merchants: self.merchants,
            depth,
            write: self.write,
            done: false,
        }))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let sql = if self.depth == 0 {
            "COMMIT".to_owned()
        } else {
            format!("RELEASE SAVEPOINT {}", self.savepoint())
        };
        if self.depth > 0 && self.defer_release(&sql) {
            self.done = true;
            return Ok(());
        }
        // Sent behind every queued write, whose errors it reports. On
        // failure `done` stays false and the drop rolls back.
        self.send(vec![Step::new(&sql, &[], Want::Count)])?;
        self.done = true;
        Ok(())
    }

    fn has_prefix(&mut self, prefix: u8) -> Result<bool, StoreError> {
        let found = self.first(
            "SELECT EXISTS (SELECT 1 FROM cards WHERE prefix = $1)",
            &[&i64::from(prefix)],
            |r| r.try_get::<_, bool>(0).map_err(pg_err),
        )?;
        Ok(found.unwrap_or(false))
    }

    fn card(&mut self, key: CardKey) -> Result<Option<CardRecord>, StoreError> {
        let (p, t) = key_params(&key);
        let columns = "SELECT prefix, token, length, issuer, secret, period, funding, created,
                              fall_through, revoked, key_version, expires
                       FROM cards WHERE prefix = $1 AND token = $2";
        if !self.write {
            return self.first(columns, &[&p, &t], |row| read_card(row, self.vault));
        }
        if let Some(card) = self.ahead(&key, |a| a.card.clone()) {
            // Locked by this transaction already, so unchanged.
            return Ok(Some(card));
        }
        let balance_account = Account::Card(key).id();
        // The lock that serialises payments of one card across nodes, and
        // behind it the card's other rows a payment reads ([`ahead`]).
        let locking = format!("{columns} FOR NO KEY UPDATE");
        let key_only: [&(dyn ToSql + Sync); 2] = [&p, &t];
        let mut answers = self
            .send(vec![
                Step::new(&locking, &key_only, Want::Rows),
                Step::new(
                    ahead::AHEAD_SQL,
                    &[&p, &t, &ahead::NOT_READ_AHEAD, &balance_account],
                    Want::Rows,
                ),
            ])?
            .into_iter()
            .map(Answer::rows);
        let (card, rest) = (
            answers.next().unwrap_or_default(),
            answers.next().unwrap_or_default(),
        );
        let Some(card) = card
            .first()
            .map(|row| read_card(row, self.vault))
            .transpose()?
        else {
            return Ok(None);
        };
        let Some(rest) = rest.first() else {
            return Err(StoreError::Database(
                "the read of a card's rows returned nothing".into(),
            ));
        };
        let read = CardAhead::read(card.clone(), rest)?;
        self.session().cards.borrow_mut().insert(key, read);
        Ok(Some(card))
    }

    fn insert_card(&mut self, card: &CardRecord) -> Result<(), StoreError> {
        let (p, t) = key_params(&card.key);
        self.insert(
            "INSERT INTO cards (prefix, token, length, issuer, secret, period, funding, created,
                                fall_through, revoked, key_version, expires)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &p,
                &t,
                &i64::from(card.length),
                &card.issuer,
                &self
                    .vault
                    .seal(KeyOwner::Card(card.key, card.key_version), &card.secret),
                &i64::from(card.period),
                &funding_text(&card.funding)?,
                &clamp_i64(card.created),
                &card.fall_through,
                &card.revoked,
                &i64::from(card.key_version),
                &card.expires.map(clamp_i64),
            ],
        )
    }

    fn set_revoked(&mut self, key: CardKey, revoked: bool) -> Result<bool, StoreError> {
        let (p, t) = key_params(&key);
        let n = self.exec(
            "UPDATE cards SET revoked = $3 WHERE prefix = $1 AND token = $2",
            &[&p, &t, &revoked],
        )?;
        self.ahead(&key, |a| a.card.revoked = revoked);
        Ok(n > 0)
    }

    fn replace_card_key(
        &mut self,
        key: CardKey,
        secret: &SecretKey,
        expires: Option<u64>,
    ) -> Result<Option<u32>, StoreError> {
        lifecycle::replace_card_key(self, key, secret, expires)
    }

    fn state(&mut self, key: CardKey) -> Result<CardState, StoreError> {
        if let Some(state) = self.ahead(&key, |a| a.state) {
            return Ok(state);
        }
        let (p, t) = key_params(&key);
        let row = self.first(ahead::STATE_SQL, &[&p, &t], ahead::state_of)?;
        Ok(row.unwrap_or_default())
    }

    fn set_state(&mut self, key: CardKey, state: &CardState) -> Result<(), StoreError> {
        let (p, t) = key_params(&key);
        let (step, counter) = match state.last_accepted {
            Some((s, c)) => (Some(clamp_i64(s)), Some(i64::from(c))),
            None => (None, None),
        };
        self.queue(
            "INSERT INTO card_state (prefix, token, last_step, last_counter)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (prefix, token) DO UPDATE SET
               last_step = excluded.last_step, last_counter = excluded.last_counter",
            vec![Box::new(p), Box::new(t), Box::new(step), Box::new(counter)],
        );
        self.ahead(&key, |a| a.state = *state);
        Ok(())
    }

    fn lockout(&mut self, key: CardKey, merchant: &str) -> Result<Lockout, StoreError> {
        if let Some(Some(lockout)) = self.ahead(&key, |a| a.lockout(merchant)) {
            return Ok(lockout);
        }
        let (p, t) = key_params(&key);
        let found = self.first(
            "SELECT failures, locked_until FROM lockouts
             WHERE prefix = $1 AND token = $2 AND merchant = $3",
            &[&p, &t, &merchant],
            |r| {
                Ok(Lockout {
                    failures: get_int(r, 0)?,
                    locked_until: get_int(r, 1)?,
                })
            },
        )?;
        Ok(found.unwrap_or_default())
    }

    fn set_lockout(&mut self, key: CardKey, merchant: &str, l: &Lockout) -> Result<(), StoreError> {
        let (p, t) = key_params(&key);
        self.queue(
            "INSERT INTO lockouts (prefix, token, merchant, failures, locked_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (prefix, token, merchant) DO UPDATE SET
               failures = excluded.failures, locked_until = excluded.locked_until",
            vec![
                Box::new(p),
                Box::new(t),
                Box::new(merchant.to_owned()),
                Box::new(i64::from(l.failures)),
                Box::new(clamp_i64(l.locked_until)),
            ],
        );
        self.ahead(&key, |a| a.set_lockout(merchant, *l));
        Ok(())
    }

    fn approvals_on(&mut self, key: CardKey, day: i64) -> Result<u32, StoreError> {
        if let Some(Some(n)) = self.ahead(&key, |a| a.approvals_on(day)) {
            return Ok(n);
        }
        let (p, t) = key_params(&key);
        let found = self.first(
            "SELECT approvals FROM allowance WHERE prefix = $1 AND token = $2 AND day = $3",
            &[&p, &t, &day],
            |r| get_int(r, 0),
        )?;
        Ok(found.unwrap_or(0))
    }

    fn add_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        let (p, t) = key_params(&key);
        self.queue(
            "INSERT INTO allowance (prefix, token, day, approvals) VALUES ($1, $2, $3, 1)
             ON CONFLICT (prefix, token, day) DO UPDATE SET approvals = allowance.approvals + 1",
            vec![Box::new(p), Box::new(t), Box::new(day)],
        );
        self.ahead(&key, |a| a.add_approval(day));
        Ok(())
    }

    fn remove_approval(&mut self, key: CardKey, day: i64) -> Result<(), StoreError> {
        let (p, t) = key_params(&key);
        self.queue(
            "UPDATE allowance SET approvals = approvals - 1
             WHERE prefix = $1 AND token = $2 AND day = $3 AND approvals > 0",
            vec![Box::new(p), Box::new(t), Box::new(day)],
        );
        self.ahead(&key, |a| a.remove_approval(day));
        Ok(())
    }

    fn insert_pin(&mut self, key: CardKey, pin: &StoredPin) -> Result<(), StoreError> {
        let (p, t) = key_params(&key);
        self.insert(
            "INSERT INTO card_pins (prefix, token, salt, hash, rounds) VALUES ($1, $2, $3, $4, $5)",
            &[&p, &t, &pin.salt, &pin.hash, &i64::from(pin.rounds)],
        )
    }

    fn funding_order(&mut self, key: CardKey) -> Result<Option<Vec<u8>>, StoreError> {
        let (p, t) = key_params(&key);
        let text = self.first(
            "SELECT funding_order FROM cards WHERE prefix = $1 AND token = $2",
            &[&p, &t],
            |r| r.try_get::<_, Option<String>>(0).map_err(pg_err),
        )?;
        text.flatten().as_deref().map(order_from_text).transpose()
    }

    fn set_funding_order(&mut self, key: CardKey, order: &[u8]) -> Result<bool, StoreError> {
        let (p, t) = key_params(&key);
        let n = self.exec(
            "UPDATE cards SET funding_order = $3 WHERE prefix = $1 AND token = $2",
            &[&p, &t, &order_text(order)],
        )?;
        Ok(n > 0)
    }

    fn pin(&mut self, key: CardKey) -> Result<Option<StoredPin>, StoreError> {
        let (p, t) = key_params(&key);
        self.first(
            "SELECT salt, hash, rounds FROM card_pins WHERE prefix = $1 AND token = $2",
            &[&p, &t],
            |r| {
                Ok(StoredPin {
                    salt: r.try_get(0).map_err(pg_err)?,
                    hash: r.try_get(1).map_err(pg_err)?,
                    rounds: get_int(r, 2)?,
                })
            },
        )
    }

    fn insert_charge(&mut self, c: &ChargeRecord) -> Result<(), StoreError> {
        let (p, t) = key_params(&c.card);
        self.insert(
            "INSERT INTO charges (id, prefix, token, code, amount_fen, status, funding, merchant, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &c.id,
                &p,
                &t,
                &c.code,
                &clamp_i64(c.amount.as_fen()),
                &c.status.as_str(),
                &i64::from(c.funding),
                &c.merchant,
                &clamp_i64(c.at),
            ],
        )
    }

    fn charge(&mut self, id: &str) -> Result<Option<ChargeRecord>, StoreError> {
        self.first(
            "SELECT id, prefix, token, code, amount_fen, status, funding, merchant, at
             FROM charges WHERE id = $1",
            &[&id],
            read_charge,
        )
    }

    fn set_charge_status(&mut self, id: &str, status: ChargeStatus) -> Result<(), StoreError> {
        self.exec(
            "UPDATE charges SET status = $2 WHERE id = $1",
            &[&id, &status.as_str()],
        )?;
        Ok(())
    }

    fn charges_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<ChargeRecord>, StoreError> {
        let (p, t) = key_params(&key);
        self.rows(
            "SELECT id, prefix, token, code, amount_fen, status, funding, merchant, at
             FROM charges WHERE prefix = $1 AND token = $2
             ORDER BY at DESC, seq DESC LIMIT $3",
            &[&p, &t, &i64::from(limit)],
            read_charge,
        )
    }

    fn insert_merchant(&mut self, m: &MerchantRecord) -> Result<(), StoreError> {
        self.insert(
            "INSERT INTO merchants (id, name, api_key, created) VALUES ($1, $2, $3, $4)",
            &[
                &m.id,
                &m.name,
                &self.vault.seal(KeyOwner::Merchant(&m.id), &m.api_key),
                &clamp_i64(m.created),
            ],
        )
    }

    fn merchant(&mut self, id: &str) -> Result<Option<MerchantRecord>, StoreError> {
        if let Some(m) = self.merchants.get(id) {
            return Ok(Some(m));
        }
        let found = self.first(
            "SELECT id, name, api_key, created FROM merchants WHERE id = $1",
            &[&id],
            |row| read_merchant(row, self.vault),
        )?;
        if let Some(m) = &found {
            self.merchants.put(m);
        }
        Ok(found)
    }

    fn remember_nonce(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, StoreError> {
        // A second node inserting the same nonce waits for the first's
        // commit and then finds it: a replay is refused on every node.
        match self.insert(
            "INSERT INTO nonces (merchant, nonce, expires_at) VALUES ($1, $2, $3)",
            &[&merchant, &nonce, &clamp_i64(expires_at)],
        ) {
            Ok(()) => Ok(true),
            Err(StoreError::Duplicate) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn prune_nonces(&mut self, now: u64) -> Result<u64, StoreError> {
        self.exec(
            "DELETE FROM nonces WHERE expires_at <= $1",
            &[&clamp_i64(now)],
        )
    }

    fn reseal_keys(&mut self, limit: u32) -> Result<u32, StoreError> {
        let current = self.vault.current_id().to_vec();
        let limit = i64::from(limit);
        let cards = self.rows(
            "SELECT prefix, token, secret, key_version FROM cards
             WHERE substring(secret from 5 for 8) <> $1 LIMIT $2 FOR UPDATE",
            &[&current, &limit],
            |r| {
                let key = CardKey {
                    prefix: get_int(r, 0)?,
                    token: get_int(r, 1)?,
                };
                let version: u32 = get_int(r, 3)?;
                Ok((key, version, r.try_get::<_, Vec<u8>>(2).map_err(pg_err)?))
            },
        )?;
        let mut done = 0;
        for (key, version, sealed) in cards {
            let owner = KeyOwner::Card(key, version);
            let plain = self.vault.open(owner, &sealed)?;
            let (p, t) = key_params(&key);
            self.exec(
                "UPDATE cards SET secret = $3 WHERE prefix = $1 AND token = $2",
                &[&p, &t, &self.vault.seal(owner, &plain)],
            )?;
            done += 1;
        }
        let left = limit - i64::from(done);
        let merchants = self.rows(
            "SELECT id, api_key FROM merchants
             WHERE substring(api_key from 5 for 8) <> $1 LIMIT $2 FOR UPDATE",
            &[&current, &left],
            |r| {
                Ok((
                    r.try_get::<_, String>(0).map_err(pg_err)?,
                    r.try_get::<_, Vec<u8>>(1).map_err(pg_err)?,
                ))
            },
        )?;
        for (id, sealed) in merchants {
            let owner = KeyOwner::Merchant(&id);
            let plain = self.vault.open(owner, &sealed)?;
            self.exec(
                "UPDATE merchants SET api_key = $2 WHERE id = $1",
                &[&id, &self.vault.seal(owner, &plain)],
            )?;
            done += 1;
        }
        Ok(done)
    }

    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        lifecycle::append_audit(self, event)
    }

    fn audit_events(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        lifecycle::audit_events(self, after, limit)
    }

    fn insert_journal(&mut self, j: &Journal) -> Result<i64, StoreError> {
        // One statement for the journal, its accounts and its postings:
        // the postings' foreign keys are checked at its end, when the
        // journal and accounts it inserted are there.
        let accounts: Vec<String> = j.legs.iter().map(|(a, _)| a.id()).collect();
        let amounts: Vec<i64> = j.legs.iter().map(|(_, n)| *n).collect();
        let id = self
            .first(
                "WITH journal AS (
                 INSERT INTO journals (kind, reference, at) VALUES ($1, $2, $3) RETURNING id
             ), new_accounts AS (
                 INSERT INTO accounts (id, created)
                 SELECT DISTINCT account, $3::BIGINT FROM unnest($4::TEXT[]) AS a (account)
                 ON CONFLICT (id) DO NOTHING
             ), legs AS (
                 INSERT INTO postings (journal, account, amount_fen)
                 SELECT journal.id, leg.account, leg.amount
                 FROM journal, unnest($4::TEXT[], $5::BIGINT[]) WITH ORDINALITY
                      AS leg (account, amount, n)
                 ORDER BY leg.n
             )
             SELECT id FROM journal",
                &[
                    &j.kind.as_str(),
                    &j.reference,
                    &clamp_i64(j.at),
                    &accounts,
                    &amounts,
                ],
                |r| r.try_get::<_, i64>(0).map_err(pg_err),
            )?
            .ok_or_else(|| StoreError::Database("a journal insert returned no id".into()))?;
        for (account, amount) in &j.legs {
            if let Account::Card(key) = account {
                self.ahead(key, |a| a.balance = a.balance.saturating_add(*amount));
            }
        }
        Ok(id)
    }

    fn balance(&mut self, account: &Account) -> Result<i64, StoreError> {
        if let Account::Card(key) = account {
            if let Some(balance) = self.ahead(key, |a| a.balance) {
                return Ok(balance);
            }
        }
        let found = self.first(BALANCE_SQL, &[&account.id()], |r| {
            r.try_get::<_, i64>(0).map_err(pg_err)
        })?;
        Ok(found.unwrap_or(0))
    }

    fn postings(&mut self) -> Result<Vec<Posting>, StoreError> {
        self.rows(
            "SELECT p.journal, j.kind, j.reference, p.account, p.amount_fen
             FROM postings p JOIN journals j ON j.id = p.journal ORDER BY p.journal, p.id",
            &[],
            read_posting,
        )
    }

    fn insert_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let f = p.funding.as_ref();
        let params: Vec<Owned> = vec![
            Box::new(p.id.clone()),
            Box::new(p.merchant.clone()),
            Box::new(p.out_trade_no.clone()),
            Box::new(p.fingerprint.clone()),
            Box::new(p.amount.map(|a| clamp_i64(a.as_fen()))),
            Box::new(p.currency.clone()),
            Box::new(p.description.clone()),
            Box::new(p.status.as_str()),
            Box::new(p.card.map(|c| i64::from(c.prefix))),
            Box::new(p.card.map(|c| i64::from(c.token))),
            Box::new(f.map(|f| i64::from(f.index))),
            Box::new(f.map(|f| f.kind.as_str())),
            Box::new(f.map(|f| f.label.clone())),
            Box::new(p.error.map(|e| e.as_str())),
            Box::new(clamp_i64(p.created)),
            Box::new(p.deadline.map(clamp_i64)),
            Box::new(p.allowance_day),
        ];
        let sql = format!(
            "INSERT INTO payments ({PAYMENT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        let number = (p.merchant.clone(), p.out_trade_no.clone());
        if self.write && self.session().absent.borrow_mut().remove(&number) {
            // Its number was looked up under its lock and is free, so only
            // a clash of random ids could refuse it: queued, and such a
            // Duplicate fails the savepoint's commit (a plain INSERT, so
            // that it aborts what it was sent in rather than be skipped).
            self.queue(&sql, params);
        } else {
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v.as_ref() as _).collect();
            self.insert(&sql, &refs)?;
        }
        self.wrote_payment(p);
        Ok(())
    }

    fn update_payment(&mut self, p: &PaymentRecord) -> Result<(), StoreError> {
        let f = p.funding.as_ref();
        self.queue(
            "UPDATE payments SET status = $2, prefix = $3, token = $4, funding_index = $5,
                funding_kind = $6, funding_label = $7, error = $8, deadline = $9,
                allowance_day = $10
             WHERE id = $1",
            vec![
                Box::new(p.id.clone()),
                Box::new(p.status.as_str()),
                Box::new(p.card.map(|c| i64::from(c.prefix))),
                Box::new(p.card.map(|c| i64::from(c.token))),
                Box::new(f.map(|f| i64::from(f.index))),
                Box::new(f.map(|f| f.kind.as_str())),
                Box::new(f.map(|f| f.label.clone())),
                Box::new(p.error.map(|e| e.as_str())),
                Box::new(p.deadline.map(clamp_i64)),
                Box::new(p.allowance_day),
            ],
        );
        self.wrote_payment(p);
        Ok(())
    }

    fn payment(
        &mut self,
        merchant: &str,
        out_trade_no: &str,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        if self.write {
            let written = self
                .session()
                .payments
                .borrow()
                .get(&(merchant.to_owned(), out_trade_no.to_owned()))
                .cloned();
            if written.is_some() {
                return Ok(written);
            }
        }
        self.lock_number("pay", merchant, out_trade_no);
        let found = self.first(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE merchant = $1 AND out_trade_no = $2{}",
                self.for_update()
            ),
            &[&merchant, &out_trade_no],
            read_payment,
        )?;
        if self.write && found.is_none() {
            self.session()
                .absent
                .borrow_mut()
                .insert((merchant.to_owned(), out_trade_no.to_owned()));
        }
        Ok(found)
    }

    fn payment_by_id(&mut self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
        self.first(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1{}",
                self.for_update()
            ),
            &[&id],
            read_payment,
        )
    }

    fn payments_due(&mut self, now: u64) -> Result<Vec<PaymentRecord>, StoreError> {
        // A payment another node is working on is left for the next sweep.
        let lock = if self.write {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        self.rows(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments
                 WHERE status = '{}' AND deadline <= $1 ORDER BY seq{lock}",
                PaymentStatus::Userpaying.as_str()
            ),
            &[&clamp_i64(now)],
            read_payment,
        )
    }

    fn payments_of(&mut self, key: CardKey, limit: u32) -> Result<Vec<PaymentRecord>, StoreError> {
        let (p, t) = key_params(&key);
        self.rows(
            &format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE prefix = $1 AND token = $2
                 ORDER BY created DESC, seq DESC LIMIT $3"
            ),
            &[&p, &t, &i64::from(limit)],
            read_payment,
        )
    }

    fn payments(&mut self) -> Result<Vec<PaymentRecord>, StoreError> {
        self.rows(
            &format!("SELECT {PAYMENT_COLUMNS} FROM payments ORDER BY seq"),
            &[],
            read_payment,
        )
    }

    fn insert_refund(&mut self, r: &RefundRecord) -> Result<(), StoreError> {
        self.insert(
            &format!("INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
            &[
                &r.id,
                &r.merchant,
                &r.out_refund_no,
                &r.payment_id,
                &clamp_i64(r.amount.as_fen()),
                &clamp_i64(r.created),
            ],
        )
    }

    fn refund(
        &mut self,
        merchant: &str,
        out_refund_no: &str,
    ) -> Result<Option<RefundRecord>, StoreError> {
        self.lock_number("refund", merchant, out_refund_no);
        self.first(
            &format!(
                "SELECT {REFUND_COLUMNS} FROM refunds WHERE merchant = $1 AND out_refund_no = $2"
            ),
            &[&merchant, &out_refund_no],
            read_refund,
        )
    }

    fn refunds_of(&mut self, payment_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        self.rows(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE payment = $1 ORDER BY seq"),
            &[&payment_id],
            read_refund,
        )
    }

    fn refunds(&mut self) -> Result<Vec<RefundRecord>, StoreError> {
        self.rows(
            &format!("SELECT {REFUND_COLUMNS} FROM refunds ORDER BY seq"),
            &[],
            read_refund,
        )
    }

    fn insert_activation(&mut self, a: &ActivationRecord) -> Result<(), StoreError> {
        let (p, t) = key_params(&a.card);
        self.insert(
            "INSERT INTO activations (code_hash, prefix, token, created, expires_at, redeemed_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &&a.code_hash[..],
                &p,
                &t,
                &clamp_i64(a.created),
                &clamp_i64(a.expires_at),
                &a.redeemed_at.map(clamp_i64),
            ],
        )
    }

    fn activation(&mut self, code_hash: &CodeHash) -> Result<Option<ActivationRecord>, StoreError> {
        self.first(
            "SELECT prefix, token, created, expires_at, redeemed_at FROM activations
             WHERE code_hash = $1",
            &[&&code_hash[..]],
            |r| rows::read_activation(r, code_hash),
        )
    }

    fn redeem_activation(&mut self, code_hash: &CodeHash, at: u64) -> Result<bool, StoreError> {
        // READ COMMITTED: a second redemption waits for the first's row
        // lock, then finds redeemed_at set and updates nothing.
        let n = self.exec(
            "UPDATE activations SET redeemed_at = $2
             WHERE code_hash = $1 AND redeemed_at IS NULL",
            &[&&code_hash[..], &clamp_i64(at)],
        )?;
        Ok(n == 1)
    }
}

#[cfg(all(test, feature = "postgres-tests"))]
mod tests;
