//! Load run against `paycode serve` on loopback:
//!
//!   cargo run --release -p paycode-issuer --example load -- --charges 20000 --connections 64
//!
//! Starts its own server (fresh database in a temporary folder, or the
//! database `--db PATH|postgres://…` names; no rate limit) unless
//! `--addr IP:PORT` names a running one, provisions
//! charges / per-card cards, charges distinct valid codes of them and prints
//! throughput and latency quantiles.

// The client and the wallet's codes are the tests' own (one copy each).
#[path = "../../tests/server_support/api_client.rs"]
mod api_client;
#[allow(dead_code)] // `LoadReport::approved` is for tests/load.rs.
mod run;
#[path = "../../tests/server_support/wallet_codes.rs"]
mod wallet_codes;

use std::net::SocketAddr;
use std::process::ExitCode;

use paycode_issuer::server::{start, RateLimit, ServerConfig};
use paycode_issuer::store::DbLocation;
use run::{LoadConfig, MAX_PER_CARD};

fn usage() -> ExitCode {
    eprintln!(
        "usage: load [--charges 20000] [--connections 64] [--per-card 1..={MAX_PER_CARD}] [--addr 127.0.0.1:PORT | --db PATH|URL]"
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut config = LoadConfig {
        charges: 20_000,
        connections: 64,
        per_card: MAX_PER_CARD,
    };
    let mut target: Option<SocketAddr> = None;
    let mut db: Option<DbLocation> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            return usage();
        };
        let ok = match flag.as_str() {
            "--charges" => value.parse().map(|v| config.charges = v).is_ok(),
            "--connections" => value.parse().map(|v| config.connections = v).is_ok(),
            "--per-card" => value.parse().map(|v| config.per_card = v).is_ok(),
            "--addr" => value.parse().map(|v| target = Some(v)).is_ok(),
            "--db" => {
                db = Some(DbLocation::parse(value));
                true
            }
            _ => false,
        };
        if !ok {
            return usage();
        }
    }

    let mut own = None;
    let _dir;
    let addr = match target {
        Some(addr) => addr,
        None => {
            let dir = match tempfile::tempdir() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("no temporary folder: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
            let mut server_config = ServerConfig::new(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                db.unwrap_or_else(|| dir.path().join("load.db").into()),
                www,
            );
            server_config.client_rate = RateLimit::OFF;
            server_config.merchant_rate = RateLimit::OFF;
            server_config.demo = true;
            _dir = dir;
            match start(server_config).await {
                Ok(server) => {
                    let addr = server.addr();
                    own = Some(server);
                    addr
                }
                Err(e) => {
                    eprintln!("cannot start the server: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    println!(
        "load: {} charges over {} connections, {} per card, against http://{addr}/",
        config.charges, config.connections, config.per_card
    );
    let report = run::run(addr, config).await;
    if let Some(server) = own {
        let _ = server.shutdown().await;
    }
    match report {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("load run failed: {e}");
            ExitCode::FAILURE
        }
    }
}
