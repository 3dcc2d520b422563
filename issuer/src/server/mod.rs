//! `paycode serve`: the issuer over HTTP: the merchant API v1 for tills
//! (docs/MERCHANT_API.md), the card-signed wallet routes, and with `--demo` the
//! demo routes that mint cards and tills.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/payments`, `GET /v1/payments/{out_trade_no}`, `POST /v1/payments/{out_trade_no}/reverse`, `POST /v1/refunds` | signed; see docs/MERCHANT_API.md |
//! | `GET /v1/wallet/history[?limit=20]` | signed by the card (docs/FORMAT.md §11); `{"token", "prefix", "time", "charges": [{"charge_id", "status", "amount", "merchant", "time", "result", "funding"}]}`: the card's payments, newest first |
//! | `POST /api/cards` (demo) | `{"activation", "expires_at", "token", "prefix", "funding"}`: a new demo card with money on it, and a one-time activation link for it (no key) |
//! | `POST /v1/activations/redeem {"code"}` | the card once, `{"link", ...}` with its key; see [`activation`] |
//! | `POST /api/demo/till [{"name"}]` (demo) | `{"merchant", "name", "key"}`: a new demo merchant and its API key |
//!
//! `/v1/` refusals are `{"error": {"code", "message"}}`; `/api/` ones are
//! `{"error": KIND, "message"}`.
//!
//! Database work runs off the async executor: every write goes through one
//! writer thread that commits in groups ([`db`]), reads use a small pool
//! of read-only connections on blocking threads.

mod activation;
pub mod admin;
mod db;
mod demo;
mod error;
mod handlers;
mod headers;
mod host;
mod log;
mod origin;
mod pin;
mod rate;
mod request;
mod routes;
mod signed;
mod statics;
mod v1;
mod wallet;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

pub use db::PG_WRITERS;
pub use headers::{
    cashier_csp, wallet_csp, API_CSP, CASHIER_META_CSP, CASHIER_PERMISSIONS, HSTS, WALLET_META_CSP,
    WALLET_PERMISSIONS,
};
pub use origin::{Origin, OriginError, PublicUrl};
pub use rate::RateLimit;

use crate::bank::DemoBank;
use crate::payments::events::{EventBus, PaymentEvents};
use crate::payments::{PaymentConfig, PaymentService};
use crate::store::postgres::PgEvents;
use crate::store::{DbLocation, StoreError};

/// Largest request body accepted, in bytes. Every API request is a few
/// dozen bytes; anything bigger is a mistake or an attack.
pub const BODY_LIMIT: usize = 4 * 1024;

/// What a server is started with.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The SQLite file (created if missing) or PostgreSQL database, shared
    /// with the CLI.
    pub db: DbLocation,
    /// The static files (wallet and till pages).
    pub www: PathBuf,
    /// The payment rules (verifier, USERPAYING deadline).
    pub payments: PaymentConfig,
    /// The bank behind debit sources; tests make it slow or declining.
    pub bank: Arc<DemoBank>,
    /// The demo routes (`POST /api/cards`, `POST /api/demo/till`).
    pub demo: bool,
    /// Per merchant, on signed `/v1/` requests.
    pub merchant_rate: RateLimit,
    /// Per client address, on requests that are not authenticated.
    pub client_rate: RateLimit,
    /// Writer threads on PostgreSQL (SQLite always has one).
    pub pg_writers: usize,
    /// One stderr line per request; a load run turns it off, since
    /// printing them costs more than some of the requests.
    pub request_log: bool,
    /// `--kek-file`: the key-encryption key. `None`: `PAYCODE_KEK`,
    /// `PAYCODE_KEK_FILE` or the file beside an SQLite database
    /// ([`crate::custody::KekSource`]).
    pub kek_file: Option<PathBuf>,
    /// Origins that may frame the wallet (`--embed-origin`); none: no one.
    /// The cashier page is never framed.
    pub embed_origins: Vec<Origin>,
    /// Origins the wallet page may connect to besides its own
    /// (`--connect-origin`), in its CSP header's connect-src.
    pub connect_origins: Vec<Origin>,
    /// Where the server is reached from outside (`--public-url`): its host
    /// is answered besides the listen address and localhost, and an
    /// https:// URL turns on HSTS.
    pub public_url: Option<PublicUrl>,
    /// `--admin-key-file`: the key `/v1/admin/` requests are signed with.
    /// `None`: the admin routes refuse every request.
    pub admin_key: Option<Arc<admin::AdminKey>>,
    /// Issuer unix seconds for issuing and redeeming activations; tests
    /// give their own clock to reach the 10-minute limit without waiting.
    pub activation_clock: fn() -> u64,
}

impl ServerConfig {
    pub fn new(addr: SocketAddr, db: impl Into<DbLocation>, www: impl Into<PathBuf>) -> Self {
        ServerConfig {
            addr,
            db: db.into(),
            www: www.into(),
            payments: PaymentConfig::default(),
            bank: Arc::new(DemoBank::new()),
            demo: false,
            merchant_rate: RateLimit::default(),
            client_rate: RateLimit::default(),
            pg_writers: db::PG_WRITERS,
            request_log: true,
            kek_file: None,
            embed_origins: Vec::new(),
            connect_origins: Vec::new(),
            public_url: None,
            admin_key: None,
            activation_clock: now,
        }
    }
}

/// Write counters of a running server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteStats {
    /// Write transactions committed (each one fsync).
    pub commits: u64,
    /// Write jobs run (payments, queries, reversals, refunds, ...).
    pub jobs: u64,
}

fn stats_of(db: &db::Db) -> WriteStats {
    WriteStats {
        commits: db.stats().commits.load(Ordering::Relaxed),
        jobs: db.stats().jobs.load(Ordering::Relaxed),
    }
}

/// Why a server could not start.
#[derive(Debug)]
pub enum ServeError {
    Bind(SocketAddr, io::Error),
    Store(StoreError),
    NoWww(PathBuf),
    /// The database or the KEK file lies inside `--www`, where the static
    /// file server would hand it to anyone who asks.
    InsideWww {
        what: &'static str,
        path: PathBuf,
    },
    Io(io::Error),
}

impl ServeError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Bind(..) => "bind_failed",
            Self::Store(e) => e.kind(),
            Self::NoWww(_) => "no_www",
            Self::InsideWww { .. } => "secret_inside_www",
            Self::Io(_) => "io",
        }
    }
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            Self::Store(e) => e.fmt(f),
            Self::NoWww(p) => write!(
                f,
                "{} is not a directory; pass --www with the wallet's www/ folder",
                p.display()
            ),
            Self::InsideWww { what, path } => write!(
                f,
                "the {what} {} lies inside --www, which is served to anyone: keep it elsewhere",
                path.display()
            ),
            Self::Io(e) => write!(f, "server error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

impl From<StoreError> for ServeError {
    fn from(e: StoreError) -> Self {
        ServeError::Store(e)
    }
}

/// A server running on the current tokio runtime.
pub struct RunningServer {
    addr: SocketAddr,
    db: Arc<db::Db>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Commits and write jobs so far ("commits per payment").
    pub fn write_stats(&self) -> WriteStats {
        stats_of(&self.db)
    }

    /// Stops accepting, lets open requests finish, closes the database.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServeError::Io(io::Error::other(e.to_string()))),
        }
    }
}

/// Binds, opens the database and serves until [`RunningServer::shutdown`].
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServeError> {
    let (stop, stopped) = oneshot::channel::<()>();
    let (listener, app, db, closing, failures) = prepare(&config).await?;
    let addr = listener.local_addr().map_err(ServeError::Io)?;
    let shared = db.db();
    let task = tokio::spawn(async move {
        let result = serve_until(listener, app, closing, async {
            let _ = stopped.await;
        })
        .await;
        failures.flush(&db.db()).await;
        db.close().await;
        result
    });
    Ok(RunningServer {
        addr,
        db: shared,
        stop: Some(stop),
        task,
    })
}

/// Opens the database and binds, without serving yet (`paycode serve`
/// prints the address in between).
pub async fn bind(config: &ServerConfig) -> Result<BoundServer, ServeError> {
    let (listener, app, db, closing, failures) = prepare(config).await?;
    Ok(BoundServer {
        listener,
        app,
        db,
        closing,
        failures,
    })
}

/// A server bound to its address, not yet serving; see [`bind`].
pub struct BoundServer {
    listener: TcpListener,
    app: axum::Router,
    db: db::DbHandle,
    closing: watch::Sender<bool>,
    failures: Arc<admin::tally::FailureTally>,
}

impl BoundServer {
    pub fn addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Io)
    }

    /// Serves until `stop` resolves, then closes the database.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let result = serve_until(self.listener, self.app, self.closing, stop).await;
        // The last 401 counts, after the last request and before the close.
        self.failures.flush(&self.db.db()).await;
        self.db.close().await;
        result
    }
}

/// What [`prepare`] makes: the socket, the app, the database, the
/// switch that ends open event streams when the server stops, and the
/// 401 counts to write before the database closes.
type Prepared = (
    TcpListener,
    axum::Router,
    db::DbHandle,
    watch::Sender<bool>,
    Arc<admin::tally::FailureTally>,
);

async fn prepare(config: &ServerConfig) -> Result<Prepared, ServeError> {
    let db = open_db(config).await?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| ServeError::Bind(config.addr, e))?;
    let events = open_events(&config.db).await?;
    let (closing, closed) = watch::channel(false);
    let failures = Arc::new(admin::tally::FailureTally::default());
    tokio::spawn(admin::tally::flush_periodically(
        Arc::clone(&failures),
        db.db(),
        closed.clone(),
    ));
    let app = routes::router(config, db.db(), events, closed, Arc::clone(&failures));
    Ok((listener, app, db, closing, failures))
}

/// The bus for the phones' live results: in process on SQLite, which one
/// node owns; across every node on PostgreSQL (LISTEN/NOTIFY).
async fn open_events(db: &DbLocation) -> Result<Arc<dyn PaymentEvents>, ServeError> {
    Ok(match db {
        DbLocation::Sqlite(_) => Arc::new(EventBus::default()),
        DbLocation::Postgres(url) => Arc::new(PgEvents::listen(url).await?),
    })
}

async fn open_db(config: &ServerConfig) -> Result<db::DbHandle, ServeError> {
    if !config.www.is_dir() {
        return Err(ServeError::NoWww(config.www.clone()));
    }
    let location = config.db.clone();
    let kek = location.kek_source(config.kek_file.as_deref(), config.demo)?;
    let www = config.www.canonicalize().map_err(ServeError::Io)?;
    for (what, path) in [
        ("database", location.sqlite_path()),
        ("key-encryption key file", kek.path()),
    ] {
        if let Some(path) = path.filter(|p| lies_inside(p, &www)) {
            return Err(ServeError::InsideWww {
                what,
                path: path.to_owned(),
            });
        }
    }
    let service = PaymentService::new(config.payments, config.bank.clone());
    let writers = config.pg_writers;
    tokio::task::spawn_blocking(move || {
        let vault = kek.vault().map_err(StoreError::from)?;
        db::DbHandle::open(&location, vault, service, writers)
    })
    .await
    .map_err(|e| ServeError::Io(io::Error::other(e.to_string())))?
    .map_err(ServeError::from)
}

/// Whether `path` (which may not exist yet) is `dir` or below it, links
/// resolved.
fn lies_inside(path: &std::path::Path, dir: &std::path::Path) -> bool {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let Ok(parent) = parent.canonicalize() else {
        return false;
    };
    let full = match path.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    };
    let full = full.canonicalize().unwrap_or(full);
    full.starts_with(dir)
}

/// The server without its socket, for the fuzz targets (feature `fuzzing`):
/// the same router (routes, body limit, JSON extractors, handlers, panic
/// guard) and database writer as [`start`], driven in process with
/// `tower::ServiceExt::oneshot`. A loopback connection costs more than the
/// rest of a request together; without it the API's request decoding is
/// fuzzed at libFuzzer speed. `config.addr` is not used.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub struct InProcessServer {
    pub router: axum::Router,
    /// Keeps the writer thread's handle (and so the database) alive.
    db: db::DbHandle,
    /// Kept so that event streams stay open while the server lives.
    _closing: watch::Sender<bool>,
}

#[cfg(feature = "fuzzing")]
impl InProcessServer {
    pub fn write_stats(&self) -> WriteStats {
        stats_of(&self.db.db())
    }
}

/// Opens the database and builds the router as [`start`] does, without
/// binding; see [`InProcessServer`].
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub async fn in_process(config: &ServerConfig) -> Result<InProcessServer, ServeError> {
    let db = open_db(config).await?;
    let events = open_events(&config.db).await?;
    let (closing, closed) = watch::channel(false);
    Ok(InProcessServer {
        router: routes::router(
            config,
            db.db(),
            events,
            closed,
            Arc::new(admin::tally::FailureTally::default()),
        ),
        db,
        _closing: closing,
    })
}

async fn serve_until(
    listener: TcpListener,
    app: axum::Router,
    closing: watch::Sender<bool>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // Open event streams never finish by themselves: told to end, they let
    // the graceful shutdown complete.
    let stop = async move {
        stop.await;
        let _ = closing.send(true);
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .map_err(ServeError::Io)
}

/// Issuer time: unix seconds from the system clock.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
