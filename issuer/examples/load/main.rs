//! Load run against `paycode serve` on loopback:
//!
//!   cargo run --release -p paycode-issuer --example load -- --charges 20000 --connections 64
//!
//! Starts its own server (fresh database in a temporary folder, or the
//! database `--db PATH|postgres://…` names; no rate limit) unless
//! `--addr IP:PORT[,IP:PORT…]` names running ones (nodes of one database,
//! say; the connections are spread over them), provisions
//! charges / per-card cards, charges distinct valid codes of them and prints
//! throughput and latency quantiles.
//!
//! With `--nodes N` (PostgreSQL only) it starts N servers in this process
//! on the one database and spreads the connections over them (the
//! benchmark runs its nodes as `paycode serve` processes instead). `--writers`
//! sets each node's PostgreSQL writer threads. The servers' per-request
//! log lines are off unless `--log on`: printing 40,000 of them slows the
//! run it measures.

// The client and the wallet's codes are the tests' own (one copy each).
#[path = "../../tests/server_support/api_client.rs"]
mod api_client;
#[allow(dead_code)] // `LoadReport::approved` is for tests/load.rs.
mod run;
#[path = "../../tests/server_support/wallet_codes.rs"]
mod wallet_codes;

use std::net::SocketAddr;
use std::process::ExitCode;

use paycode_issuer::server::{start, RateLimit, ServerConfig, PG_WRITERS};
use paycode_issuer::store::DbLocation;
use run::{LoadConfig, MAX_PER_CARD};

fn usage() -> ExitCode {
    eprintln!(
        "usage: load [--charges 20000] [--connections 64] [--per-card 1..={MAX_PER_CARD}] \
         [--addr 127.0.0.1:PORT[,…] | --db PATH|URL [--nodes 1] [--writers {PG_WRITERS}] [--log on|off]]"
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
    let mut target: Option<Vec<SocketAddr>> = None;
    let mut db: Option<DbLocation> = None;
    let mut nodes: usize = 1;
    let mut writers = PG_WRITERS;
    let mut request_log = false;
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
            "--addr" => value
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<SocketAddr>, _>>()
                .map(|v| target = Some(v))
                .is_ok(),
            "--nodes" => value.parse().map(|v| nodes = v).is_ok() && nodes >= 1,
            "--writers" => value.parse().map(|v| writers = v).is_ok() && writers >= 1,
            "--log" => match value.as_str() {
                "on" => {
                    request_log = true;
                    true
                }
                "off" => {
                    request_log = false;
                    true
                }
                _ => false,
            },
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

    let mut own = Vec::new();
    let _dir;
    let addrs = match target {
        Some(addrs) => addrs,
        None => {
            let dir = match tempfile::tempdir() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("no temporary folder: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let db = db.unwrap_or_else(|| dir.path().join("load.db").into());
            if nodes > 1 && db.sqlite_path().is_some() {
                eprintln!("--nodes above 1 needs a PostgreSQL --db: an SQLite file has one owner");
                return usage();
            }
            let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
            let mut server_config =
                ServerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), db, www);
            server_config.client_rate = RateLimit::OFF;
            server_config.merchant_rate = RateLimit::OFF;
            server_config.demo = true;
            server_config.pg_writers = writers;
            server_config.request_log = request_log;
            _dir = dir;
            let mut addrs = Vec::with_capacity(nodes);
            for _ in 0..nodes {
                match start(server_config.clone()).await {
                    Ok(server) => {
                        addrs.push(server.addr());
                        own.push(server);
                    }
                    Err(e) => {
                        eprintln!("cannot start the server: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            addrs
        }
    };
    let against: Vec<String> = addrs.iter().map(|a| format!("http://{a}/")).collect();
    println!(
        "load: {} charges over {} connections, {} per card, against {}",
        config.charges,
        config.connections,
        config.per_card,
        against.join(" ")
    );
    let report = run::run_on(&addrs, config).await;
    for server in own {
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
