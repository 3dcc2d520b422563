//! A small bounded load run in the test suite (the full one is
//! `cargo run --release -p paycode-issuer --example load`): distinct valid
//! codes of many cards over many connections, every one approved once.

// The example's generator itself, with the support files it expects beside it.
#[path = "server_support/api_client.rs"]
mod api_client;
#[path = "../examples/load/run.rs"]
mod run;
#[path = "server_support/wallet_codes.rs"]
mod wallet_codes;

use std::net::SocketAddr;

use api_client::ApiClient;
use paycode_issuer::server::{start, RateLimit, ServerConfig};
use run::LoadConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_charges_over_sixteen_connections_are_all_approved() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path().join("load.db"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../www"),
    );
    // Generous, but on: the limiter is part of the path being loaded.
    config.demo = true;
    config.client_rate = RateLimit {
        per_second: 100_000.0,
        burst: 100_000,
    };
    let server = start(config).await.unwrap();
    let report = run::run(
        server.addr(),
        LoadConfig {
            charges: 200,
            connections: 16,
            per_card: 10,
        },
    )
    .await
    .unwrap();
    println!("{report}");
    assert_eq!(report.cards, 20);
    assert_eq!(report.charges, 200);
    assert_eq!(report.approved(), 200, "{:?}", report.results);
    assert!(report.quantile(0.99) >= report.quantile(0.5));

    // The store agrees: ten payments on each card, no more.
    let conn = rusqlite::Connection::open(dir.path().join("load.db")).unwrap();
    let per_card: Vec<i64> = conn
        .prepare("SELECT COUNT(*) FROM payments WHERE status = 'SUCCESS' GROUP BY prefix, token")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(per_card.len(), 20);
    assert!(per_card.iter().all(|n| *n == 10), "{per_card:?}");
    let journals: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM journals WHERE kind = 'payment'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(journals, 200);
    // Still serving after the run.
    let mut c = ApiClient::new(server.addr());
    assert_eq!(c.get("/v1/wallet/history").await.unwrap().status, 401);
    server.shutdown().await.unwrap();
}
