//! The primary lost under load, its synchronous standby promoted: the
//! nodes, given both hosts in one multi-host URL with
//! `target_session_attrs=read-write`, carry on against the new primary by
//! themselves. While no primary is up, payments are refused at once with
//! 503 and Retry-After; every payment a till was told succeeded is on the
//! new primary, and none is there twice.
//!
//! Needs the pair .ci/pg.sh starts with `PAYCODE_PG_STANDBY=on`, which
//! this test destroys: it is the only test in its binary. Each phase
//! begins when the tills have shown the previous one happened, never
//! after a fixed wait.

mod pg_support;
mod server_support;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paycode_issuer::store::postgres::scratch;
use pg_support::{kill_cluster, pg_ctl, spawn_node};
use server_support::wallet_codes::wait_next_code;
use server_support::{assert_ledger_clean, balance_fen, eventually, DemoCard, Reply, Till};

/// A till gives up on a request after this long.
const TILL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a phase may take to show itself before the test fails.
const PHASE_LIMIT: Duration = Duration::from_secs(60);
/// Cards per till: each takes at most 10 payments a day without a PIN.
const CARDS: usize = 6;
const TILLS: usize = 4;

/// When a request was sent: the primary up; being killed; dead with the
/// standby not yet promoted; promoted.
const BEFORE_KILL: u8 = 0;
const KILLING: u8 = 1;
const NO_PRIMARY: u8 = 2;
const PROMOTED: u8 = 3;

/// What one till saw.
#[derive(Default)]
struct Seen {
    /// (out_trade_no, payment_id, card) of every SUCCESS.
    paid: Vec<(String, String, usize)>,
    /// Answers of 500: the outcome is unknown until the till asks.
    unknown: Vec<(String, usize)>,
    /// Answers of 503: the payment never ran.
    refused: Vec<String>,
    /// 503s answered before the kill began: (out_trade_no, answer).
    refused_before_kill: Vec<(String, String)>,
    /// 503s of requests sent once the primary was dead, before the
    /// promotion.
    refused_without_primary: usize,
    /// SUCCESSes of requests sent after the standby was promoted.
    paid_after_promotion: usize,
    slowest: Duration,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test through PAYCODE_PG_STANDBY=on .ci/pg.sh")
    })
}

/// Pays round robin over its cards until `stop`, recording into `seen`.
async fn run_till(
    w: usize,
    mut till: Till,
    mut cards: Vec<DemoCard>,
    seen: Arc<Mutex<Seen>>,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
) -> (Till, Vec<DemoCard>) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        // A card's next payment goes to the card after the one that took
        // (or may have taken) the last; refusals do not count.
        let card = {
            let s = seen.lock().unwrap();
            (s.paid.len() + s.unknown.len()) % CARDS
        };
        let out_trade_no = format!("F{w}-{n}");
        n += 1;
        // Refusals use up a step's counters too: the outage may outlast
        // them, and then the wallet waits for the next step.
        let (code, at) = wait_next_code(&cards[card].card, cards[card].last, 0).await;
        cards[card].last = Some(at);
        let sent_in = phase.load(Ordering::SeqCst);
        let started = Instant::now();
        let reply = tokio::time::timeout(TILL_TIMEOUT, till.pay(&out_trade_no, &code, "0.01"))
            .await
            .unwrap_or_else(|_| panic!("{out_trade_no}: no answer within the till's timeout"));
        let answered_in = phase.load(Ordering::SeqCst);
        let v = reply.json();
        let refused = {
            let mut s = seen.lock().unwrap();
            s.slowest = s.slowest.max(started.elapsed());
            record(
                &mut s,
                &mut till,
                out_trade_no,
                card,
                (sent_in, answered_in),
                &reply,
                &v,
            )
        };
        if refused {
            // Shorter than Retry-After, to meet the outage more often.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    (till, cards)
}

/// Notes one answer; whether it was a refusal.
fn record(
    s: &mut Seen,
    till: &mut Till,
    out_trade_no: String,
    card: usize,
    (sent_in, answered_in): (u8, u8),
    reply: &Reply,
    v: &serde_json::Value,
) -> bool {
    match reply.status {
        200 if v["status"] == "SUCCESS" => {
            let id = v["payment_id"].as_str().unwrap().to_owned();
            s.paid.push((out_trade_no, id, card));
            if sent_in == PROMOTED {
                s.paid_after_promotion += 1;
            }
        }
        503 => {
            assert_eq!(reply.header("retry-after"), Some("1"), "{v}");
            // A request sent before the kill may still meet it (queued
            // behind a batch); an answer that came back before it may not.
            if answered_in == BEFORE_KILL {
                s.refused_before_kill
                    .push((out_trade_no.clone(), v.to_string()));
            }
            if sent_in == NO_PRIMARY {
                s.refused_without_primary += 1;
            }
            s.refused.push(out_trade_no);
        }
        500 => {
            s.unknown.push((out_trade_no, card));
            till.reconnect();
        }
        other => panic!("{out_trade_no}: {other} {v}"),
    }
    reply.status == 503
}

/// The primary's replication as it stands: (sync_state of the standby,
/// synchronous_commit).
async fn replication(admin: &str) -> (String, String) {
    let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(conn);
    let state = client
        .query_one(
            "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'paycode_standby'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let commit = client
        .query_one("SHOW synchronous_commit", &[])
        .await
        .unwrap()
        .get(0);
    drop(client);
    let _ = driver.await;
    (state, commit)
}

/// Waits until every till's record satisfies `f`; fails naming `what`.
async fn until_every_till(seen: &[Arc<Mutex<Seen>>], what: &str, f: impl Fn(&Seen) -> bool) {
    let done = eventually(PHASE_LIMIT, || seen.iter().all(|s| f(&s.lock().unwrap()))).await;
    assert!(done, "not every till saw {what} within {PHASE_LIMIT:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_primary_killed_under_load_the_standby_promoted_nothing_acknowledged_is_lost() {
    let primary_data = env("PAYCODE_TEST_PG_DATA");
    let standby_data = env("PAYCODE_TEST_PG_STANDBY_DATA");
    let pair = env("PAYCODE_TEST_PG_PAIR");
    let standby = env("PAYCODE_TEST_PG_STANDBY");
    let admin = scratch::admin_url();
    let primary_port = tokio_postgres::Config::from_str(&admin)
        .unwrap()
        .get_ports()[0];
    // An acknowledged commit is on the standby too.
    assert_eq!(
        replication(&admin).await,
        ("sync".to_owned(), "on".to_owned())
    );

    let created = scratch::database("failover");
    let name = created.rsplit('/').next().unwrap();
    let db = scratch::with_database(&pair, name);
    let on_standby = scratch::with_database(&standby, name);

    let nodes = [spawn_node(&db), spawn_node(&db)];
    let (mut tills, mut before) = (Vec::new(), Vec::new());
    for w in 0..TILLS {
        let node = nodes[w % 2].addr;
        let mut cards = Vec::new();
        for _ in 0..CARDS {
            let card = server_support::new_card(node).await;
            before.push(balance_fen(Path::new(&db), &card, 0));
            cards.push(card);
        }
        tills.push((w, Till::new(node).await, cards));
    }
    let phase = Arc::new(AtomicU8::new(BEFORE_KILL));
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Vec<_> = (0..TILLS)
        .map(|_| Arc::new(Mutex::new(Seen::default())))
        .collect();
    let mut tasks = Vec::new();
    for (w, till, cards) in tills {
        tasks.push(tokio::spawn(run_till(
            w,
            till,
            cards,
            Arc::clone(&seen[w]),
            Arc::clone(&phase),
            Arc::clone(&stop),
        )));
    }

    // Under load: every till has been paid a few times.
    until_every_till(&seen, "3 payments", |s| s.paid.len() >= 3).await;
    phase.store(KILLING, Ordering::SeqCst);
    tokio::task::spawn_blocking(move || kill_cluster(&primary_data, primary_port))
        .await
        .unwrap();
    phase.store(NO_PRIMARY, Ordering::SeqCst);
    // No primary: the standby is read-only, so every till is refused.
    until_every_till(&seen, "a 503 without a primary", |s| {
        s.refused_without_primary >= 1
    })
    .await;
    tokio::task::spawn_blocking(move || pg_ctl(&standby_data, &["promote"]))
        .await
        .unwrap();
    phase.store(PROMOTED, Ordering::SeqCst);
    // The nodes find the new primary by themselves.
    until_every_till(&seen, "3 payments after the promotion", |s| {
        s.paid_after_promotion >= 3
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let mut ended = Vec::new();
    for t in tasks {
        ended.push(t.await.unwrap());
    }

    // On the new primary: every acknowledged payment, with its id; no
    // refused one; an unknown outcome settled by the till rule (query,
    // then reverse). Each card is debited exactly once per SUCCESS.
    let (mut paid, mut refused, mut unknown) = (0, 0, 0);
    let mut slowest = Duration::ZERO;
    for (w, (till, cards)) in ended.iter_mut().enumerate() {
        let s = std::mem::take(&mut *seen[w].lock().unwrap());
        assert_eq!(s.refused_before_kill, [], "a 503 while the primary was up");
        slowest = slowest.max(s.slowest);
        till.reconnect();
        let mut debits = [0i64; CARDS];
        for (out_trade_no, id, card) in &s.paid {
            let v = till.query(out_trade_no).await.json();
            assert_eq!(
                (v["status"].as_str(), v["payment_id"].as_str()),
                (Some("SUCCESS"), Some(id.as_str())),
                "{v}"
            );
            debits[*card] += 1;
        }
        for out_trade_no in &s.refused {
            let reply = till.query(out_trade_no).await;
            assert_eq!(
                reply.status, 404,
                "{out_trade_no} was refused: {:?}",
                reply.body
            );
        }
        for (out_trade_no, card) in &s.unknown {
            let reply = till.query(out_trade_no).await;
            let v = if reply.status == 404 {
                till.reverse(out_trade_no).await.json()
            } else {
                reply.json()
            };
            match v["status"].as_str() {
                Some("SUCCESS") => debits[*card] += 1,
                Some("CLOSED" | "REVERSED") => {}
                _ => panic!("{out_trade_no}: {v}"),
            }
        }
        for (c, card) in cards.iter().enumerate() {
            assert_eq!(
                balance_fen(Path::new(&on_standby), card, 0),
                before[w * CARDS + c] - debits[c],
                "till {w} card {c}: debited other than once per payment"
            );
        }
        paid += s.paid.len();
        refused += s.refused.len();
        unknown += s.unknown.len();
    }
    assert!(slowest < TILL_TIMEOUT, "{slowest:?}");
    assert_ledger_clean(Path::new(&on_standby));
    println!("acknowledged {paid}, 503 {refused}, unknown {unknown}, slowest {slowest:?}");
}
