//! The phones' live results across issuer nodes on one PostgreSQL
//! database (LISTEN/NOTIFY): a result published on one node is heard once
//! on every node, the publishing one included; a listener whose
//! connection broke hears a gap when it is back, and a result a node
//! could not send reaches the other nodes as a gap of its card; after a
//! database restart an open event stream gets a gap and later results.
//! Restarts the cluster .ci/pg.sh started, so this binary's tests take
//! turns ([`CLUSTER`]).

mod event_stream;
mod pg_support;
mod server_support;

use std::time::{Duration, Instant};

use event_stream::{gap_then_result, pay, Stream, WITHIN};
use paycode_issuer::payments::events::{Heard, PaymentEvents, WalletEvent};
use paycode_issuer::store::postgres::{scratch, PgEvents};
use paycode_issuer::store::CardKey;
use pg_support::{pg_ctl, spawn_node};
use serde_json::json;
use server_support::{new_card, Till};
use tokio::sync::broadcast;

/// Held by each test: one of them stops the whole cluster.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CARD: CardKey = CardKey {
    prefix: 13,
    token: 42,
};

fn event(amount: &str) -> WalletEvent {
    WalletEvent {
        card: CARD,
        kind: "payment",
        data: json!({ "charge_id": format!("pay_{amount}"), "amount": amount }),
    }
}

async fn heard(rx: &mut broadcast::Receiver<Heard>) -> Heard {
    tokio::time::timeout(WITHIN, rx.recv())
        .await
        .expect("nothing heard in time")
        .expect("the bus is open")
}

/// One statement on the cluster's admin database.
async fn admin(sql: &str) {
    let (client, connection) =
        tokio_postgres::connect(&scratch::admin_url(), tokio_postgres::NoTls)
            .await
            .unwrap();
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = driver.await;
}

fn name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bus_hears_a_result_once_and_a_lost_one_as_a_gap() {
    let _turn = CLUSTER.lock().await;
    let db = scratch::database("events_bus");
    let a = PgEvents::listen(&format!("{db}?application_name=events_a"))
        .await
        .unwrap();
    let b = PgEvents::listen(&db).await.unwrap();
    let (mut heard_a, mut heard_b) = (a.subscribe(), b.subscribe());

    a.publish(event("1.00"));
    a.publish(event("2.00"));
    for rx in [&mut heard_a, &mut heard_b] {
        // The publisher too, once: the second result comes next.
        assert_eq!(heard(rx).await, Heard::Result(event("1.00")));
        assert_eq!(heard(rx).await, Heard::Result(event("2.00")));
    }

    // A's connection breaks, and it cannot come back yet.
    let name = name_of(&db).to_owned();
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = '{name}' AND application_name = 'events_a'"
    ))
    .await;
    let start = Instant::now();
    while a.is_listening() {
        assert!(
            start.elapsed() < WITHIN,
            "A did not notice its connection end"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a.publish(event("3.00")); // cannot be sent: owed
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;

    // A tells its own listeners that it was away, then everyone that
    // this card's result was lost.
    assert_eq!(heard(&mut heard_a).await, Heard::Gap(None));
    assert_eq!(heard(&mut heard_a).await, Heard::Gap(Some(CARD)));
    assert_eq!(heard(&mut heard_b).await, Heard::Gap(Some(CARD)));
    assert!(a.is_listening());
    a.publish(event("4.00"));
    for rx in [&mut heard_a, &mut heard_b] {
        assert_eq!(heard(rx).await, Heard::Result(event("4.00")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_on_one_node_hears_a_till_on_another_and_a_database_restart() {
    let _turn = CLUSTER.lock().await;
    let db = scratch::database("events_nodes");
    let nodes = [spawn_node(&db), spawn_node(&db)];
    let (a, b) = (nodes[0].addr, nodes[1].addr);
    let mut card = new_card(a).await;
    // The card's phone on A, and a second phone of it on B, where the
    // till pays: each hears every result once.
    let mut on_a = Stream::open(a, &card).await;
    let mut on_b = Stream::open(b, &card).await;
    let mut till = Till::new(b).await;

    let first = pay(&mut till, "E1", &mut card, "1.00").await;
    let second = pay(&mut till, "E2", &mut card, "2.00").await;
    for stream in [&mut on_a, &mut on_b] {
        stream.expect_result(&first).await;
        stream.expect_result(&second).await;
    }

    let data = std::env::var("PAYCODE_TEST_PG_DATA").expect("PAYCODE_TEST_PG_DATA (.ci/pg.sh)");
    let stop = data.clone();
    tokio::task::spawn_blocking(move || pg_ctl(&stop, &["-m", "fast", "stop"]))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || pg_ctl(&data, &["start"]))
        .await
        .unwrap();
    gap_then_result([&mut on_a, &mut on_b], &mut till, "E3", &mut card, "3.00").await;
}
