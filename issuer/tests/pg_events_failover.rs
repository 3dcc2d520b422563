//! The phones' live results across a failover: two nodes on the pair
//! `PAYCODE_PG_STANDBY=on .ci/pg.sh` starts, a phone's stream on each; the
//! primary is killed and its standby promoted; both streams get a gap once
//! their node listens on the new primary, and the next result reaches
//! both. Kills the primary, so it is the only test in its binary, on a
//! pair of its own.

mod event_stream;
mod pg_support;
mod server_support;

use std::str::FromStr;

use event_stream::{gap_then_result, pay, Stream};
use paycode_issuer::store::postgres::scratch;
use pg_support::{kill_cluster, pg_ctl, spawn_node};
use server_support::{new_card, Till};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test through PAYCODE_PG_STANDBY=on .ci/pg.sh")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failover_the_streams_get_a_gap_and_later_results() {
    let primary_data = env("PAYCODE_TEST_PG_DATA");
    let standby_data = env("PAYCODE_TEST_PG_STANDBY_DATA");
    let pair = env("PAYCODE_TEST_PG_PAIR");
    let admin = scratch::admin_url();
    let primary_port = tokio_postgres::Config::from_str(&admin)
        .unwrap()
        .get_ports()[0];
    let created = scratch::database("events_failover");
    let db = scratch::with_database(&pair, created.rsplit('/').next().unwrap());

    let nodes = [spawn_node(&db), spawn_node(&db)];
    let (a, b) = (nodes[0].addr, nodes[1].addr);
    let mut card = new_card(a).await;
    let mut on_a = Stream::open(a, &card).await;
    let mut on_b = Stream::open(b, &card).await;
    let mut till = Till::new(b).await;
    let before = pay(&mut till, "F1", &mut card, "1.00").await;
    for stream in [&mut on_a, &mut on_b] {
        stream.expect_result(&before).await;
    }

    tokio::task::spawn_blocking(move || kill_cluster(&primary_data, primary_port))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || pg_ctl(&standby_data, &["promote"]))
        .await
        .unwrap();
    gap_then_result([&mut on_a, &mut on_b], &mut till, "F2", &mut card, "2.00").await;
}
