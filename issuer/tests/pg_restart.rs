//! PostgreSQL stopped and started again under load: while it is down,
//! payments are refused at once with 503 and Retry-After (never a hang
//! past a till's timeout); once it is back the nodes carry on by
//! themselves; no payment a till was told succeeded is lost. Stops the
//! cluster .ci/pg.sh started (`PAYCODE_TEST_PG_DATA`, `PAYCODE_TEST_PG_BIN`),
//! so it is the only test in this binary.

mod pg_support;
mod server_support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_issuer::store::postgres::scratch;
use pg_support::{pg_ctl, spawn_node};
use server_support::{assert_ledger_clean, DemoCard, Till};

/// A till gives up on a request after this long.
const TILL_TIMEOUT: Duration = Duration::from_secs(20);

/// What one till saw.
#[derive(Default)]
struct Seen {
    /// (out_trade_no, payment_id) of every SUCCESS.
    paid: Vec<(String, String)>,
    /// 503 answers, each with Retry-After.
    unavailable: usize,
    /// Other failures (a batch caught by the stop: outcome unknown).
    unknown: Vec<String>,
    slowest: Duration,
}

/// Cards per till: each takes at most 10 payments a day without a PIN.
const CARDS: usize = 8;

/// Pays round robin over `cards` (at most 10 attempts each) until `stop`.
async fn run_till(
    w: usize,
    mut till: Till,
    mut cards: Vec<DemoCard>,
    stop: Arc<AtomicBool>,
) -> (Till, Seen) {
    let mut seen = Seen::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) && n < CARDS * 10 {
        let out_trade_no = format!("R{w}-{n}");
        let code = cards[n % CARDS].next(0);
        n += 1;
        let started = Instant::now();
        let reply = tokio::time::timeout(TILL_TIMEOUT, till.pay(&out_trade_no, &code, "0.01"))
            .await
            .unwrap_or_else(|_| panic!("{out_trade_no}: no answer within the till's timeout"));
        seen.slowest = seen.slowest.max(started.elapsed());
        let v = reply.json();
        match reply.status {
            200 if v["status"] == "SUCCESS" => {
                seen.paid
                    .push((out_trade_no, v["payment_id"].as_str().unwrap().to_owned()));
            }
            503 => {
                assert_eq!(reply.header("retry-after"), Some("1"), "{v}");
                seen.unavailable += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            500 => {
                seen.unknown.push(out_trade_no);
                till.reconnect();
            }
            other => panic!("{out_trade_no}: {other} {v}"),
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    (till, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_load_fails_cleanly_and_loses_nothing() {
    let db = scratch::database("restart");
    let nodes = [spawn_node(&db), spawn_node(&db)];
    let stop = Arc::new(AtomicBool::new(false));
    let (mut tills, mut tasks) = (Vec::new(), Vec::new());
    for w in 0..4 {
        let node = nodes[w % 2].addr;
        let mut cards = Vec::new();
        for _ in 0..CARDS {
            cards.push(server_support::new_card(node).await);
        }
        tills.push((w, Till::new(node).await, cards));
    }
    for (w, till, cards) in tills {
        tasks.push(tokio::spawn(run_till(w, till, cards, Arc::clone(&stop))));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let data = std::env::var("PAYCODE_TEST_PG_DATA").expect("PAYCODE_TEST_PG_DATA (.ci/pg.sh)");
    let stop_data = data.clone();
    tokio::task::spawn_blocking(move || pg_ctl(&stop_data, &["-m", "fast", "stop"]))
        .await
        .unwrap();
    // Down for a while, under load.
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::spawn_blocking(move || pg_ctl(&data, &["start"]))
        .await
        .unwrap();
    // Back: the nodes reconnect by themselves; give them a moment to take
    // payments again, then stop the tills.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    let unavailable: usize = seen.iter().map(|(_, s)| s.unavailable).sum();
    assert!(unavailable > 0, "no request met the stopped database");
    let slowest = seen.iter().map(|(_, s)| s.slowest).max().unwrap();
    assert!(slowest < TILL_TIMEOUT, "{slowest:?}");

    // Both nodes pay again, without a restart of their own.
    for node in &nodes {
        let mut card = server_support::new_card(node.addr).await;
        let mut till = Till::new(node.addr).await;
        let v = till.pay("AFTER", &card.next(0), "0.01").await.json();
        assert_eq!(v["status"], "SUCCESS", "{v}");
    }
    // Every acknowledged payment is there, once; an unknown outcome is
    // settled by the till rule (query, then reverse).
    let (mut paid, mut unknown) = (0, 0);
    for (till, s) in &mut seen {
        till.reconnect();
        for (out_trade_no, id) in &s.paid {
            let v = till.query(out_trade_no).await.json();
            assert_eq!(
                (v["status"].as_str(), v["payment_id"].as_str()),
                (Some("SUCCESS"), Some(id.as_str())),
                "{v}"
            );
        }
        for out_trade_no in &s.unknown {
            let reply = till.query(out_trade_no).await;
            let v = if reply.status == 404 {
                till.reverse(out_trade_no).await.json()
            } else {
                reply.json()
            };
            let status = v["status"].as_str().unwrap_or_default().to_owned();
            assert!(
                ["SUCCESS", "CLOSED", "REVERSED"].contains(&status.as_str()),
                "{v}"
            );
        }
        paid += s.paid.len();
        unknown += s.unknown.len();
    }
    assert!(paid > 0, "nothing was paid");
    assert_ledger_clean(Path::new(&db));
    println!("acknowledged {paid}, 503 {unavailable}, unknown {unknown}, slowest {slowest:?}");
}
