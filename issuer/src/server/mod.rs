//! `paycode serve`: the demo issuer over HTTP, for the wallet page (www/)
//! and the till page (www/cashier.html).
//!
//! The API uses the same [`Verifier`](crate::verifier::Verifier) and SQLite
//! store as the command line:
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/cards` | `{"link", "token", "prefix", "pin", "funding"}`: a new demo card. The link holds the card's key: it appears in this answer only, never in a URL or a log. |
//! | `POST /api/charge {"code", "amount", "merchant"?}` | `{"result": "approved"\|"pin_required"\|"rejected", "reason", "charge_id", "funding", "amount", "message"}` |
//! | `POST /api/charge/{id}/pin {"pin"}` | `{"result": "approved"\|"rejected", ...}`; a wrong PIN counts towards the card's lockout |
//! | `GET /api/cards/{token}/history[?prefix=13&limit=20]` | `{"charges": [{"charge_id", "amount", "merchant", "time", "result", "pin", "funding"}]}`, newest first |
//!
//! `amount` is yuan as a string ("12.50") or a JSON number (12.5), read
//! exactly (never through binary floating point arithmetic).
//!
//! Every refusal is JSON `{"error": KIND, "message"}` (a rejected charge also
//! carries `"result": "rejected"` and `"reason": KIND`) with a status that
//! fits: 400 unreadable JSON, 404 unknown card / charge / route, 409 replayed
//! or superseded code and charges not waiting for a PIN, 413 body over 4 KiB,
//! 415 not `application/json`, 422 invalid fields (amount, code, PIN,
//! merchant) and codes that fail their checks, 429 rate limited or card
//! locked (with `Retry-After`), 500 database trouble.
//!
//! Database work runs off the async executor: every write goes through one
//! writer thread (SQLite allows one writer at a time anyway, and queueing in
//! the process is fairer and faster than waiting on SQLite's busy lock),
//! reads use a small pool of read-only connections on blocking threads.

pub mod client;
mod command;
mod db;
mod error;
mod handlers;
pub mod load;
mod pin;
mod rate;
mod request;
mod routes;
mod statics;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use command::run_command;
pub use rate::RateLimit;

use crate::store::StoreError;
use crate::verifier::VerifierConfig;

/// Largest request body accepted, in bytes. Every API request is a few
/// dozen bytes; anything bigger is a mistake or an attack.
pub const BODY_LIMIT: usize = 4 * 1024;

/// What a server is started with.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The SQLite file (created if missing), shared with the CLI.
    pub db: PathBuf,
    /// The static files (wallet and till pages).
    pub www: PathBuf,
    pub verifier: VerifierConfig,
    /// Per client address, on the charge and PIN endpoints.
    pub charge_rate: RateLimit,
}

impl ServerConfig {
    pub fn new(addr: SocketAddr, db: impl Into<PathBuf>, www: impl Into<PathBuf>) -> Self {
        ServerConfig {
            addr,
            db: db.into(),
            www: www.into(),
            verifier: VerifierConfig::default(),
            charge_rate: RateLimit::default(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug)]
pub enum ServeError {
    Bind(SocketAddr, io::Error),
    Store(StoreError),
    NoWww(PathBuf),
    Io(io::Error),
}

impl ServeError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Bind(..) => "bind_failed",
            Self::Store(e) => e.kind(),
            Self::NoWww(_) => "no_www",
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
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// The address actually bound (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
    let (listener, app, db) = prepare(&config).await?;
    let addr = listener.local_addr().map_err(ServeError::Io)?;
    let task = tokio::spawn(async move {
        let result = serve_until(listener, app, async {
            let _ = stopped.await;
        })
        .await;
        db.close().await;
        result
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
    })
}

async fn prepare(
    config: &ServerConfig,
) -> Result<(TcpListener, axum::Router, db::DbHandle), ServeError> {
    let db = open_db(config).await?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| ServeError::Bind(config.addr, e))?;
    let app = routes::router(config, db.db());
    Ok((listener, app, db))
}

async fn open_db(config: &ServerConfig) -> Result<db::DbHandle, ServeError> {
    if !config.www.is_dir() {
        return Err(ServeError::NoWww(config.www.clone()));
    }
    let db_path = config.db.clone();
    let verifier = config.verifier;
    tokio::task::spawn_blocking(move || db::DbHandle::open(&db_path, verifier))
        .await
        .map_err(|e| ServeError::Io(io::Error::other(e.to_string())))?
        .map_err(ServeError::from)
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
    _db: db::DbHandle,
}

/// Opens the database and builds the router as [`start`] does, without
/// binding; see [`InProcessServer`].
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub async fn in_process(config: &ServerConfig) -> Result<InProcessServer, ServeError> {
    let db = open_db(config).await?;
    Ok(InProcessServer {
        router: routes::router(config, db.db()),
        _db: db,
    })
}

async fn serve_until(
    listener: TcpListener,
    app: axum::Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .map_err(ServeError::Io)
}

/// Issuer time: unix seconds from the system clock.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
