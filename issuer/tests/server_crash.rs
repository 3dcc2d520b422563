//! kill -9 in the middle of a run of signed payments, then a restart on
//! the same database: `ledger check` is clean, every SUCCESS a till was
//! told about is in the ledger exactly once, and a query of every
//! out_trade_no sent gives a final state (one that never arrived is
//! reversed, as the till rule does, and stays CLOSED).
//! Runs the real `paycode serve` binary on 127.0.0.1.

mod server_support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use server_support::{assert_ledger_clean, ApiClient, DemoCard, Till};

const CARDS: usize = 16;
const WORKERS: usize = 8;
/// Payments acknowledged before the kill.
const KILL_AFTER: usize = 40;

struct Server {
    child: Child,
    addr: SocketAddr,
    /// Everything it printed, stdout and stderr.
    output: Arc<Mutex<String>>,
}

fn spawn_server(db: &Path) -> Server {
    let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
    let mut child = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["serve", "--addr", "127.0.0.1:0", "--www", www])
        .arg("--db")
        .arg(db)
        .args(["--demo", "--merchant-rate", "0", "--client-rate", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paycode serve starts");
    let output = Arc::new(Mutex::new(String::new()));
    let (first_line, port) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let out = Arc::clone(&output);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = first_line.send(line.clone());
            out.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let err = Arc::clone(&output);
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        err.lock().unwrap().push_str(&text);
    });
    let line = port
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints where it listens");
    let url = line
        .strip_prefix("paycode serve: listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let addr = url.trim_end_matches('/').parse().unwrap();
    Server {
        child,
        addr,
        output,
    }
}

/// What one till saw: out_trade_nos it sent, and the payments it was told
/// succeeded.
#[derive(Default)]
struct Seen {
    sent: Vec<String>,
    /// (out_trade_no, payment_id)
    paid: Vec<(String, String)>,
}

async fn run_till(
    w: usize,
    mut till: Till,
    mut cards: Vec<DemoCard>,
    heard: Arc<AtomicUsize>,
) -> (Till, Seen) {
    let mut seen = Seen::default();
    // Round robin over this till's cards, up to the daily allowance each.
    for round in 0..10 {
        for card in cards.iter_mut() {
            let code = card.next((round % 2) as u8);
            let out_trade_no = format!("C{w}-{}", seen.sent.len());
            seen.sent.push(out_trade_no.clone());
            let body = server_support::pay_body(&out_trade_no, &code, "1.00");
            let auth = till.sign(
                "POST",
                "/v1/payments",
                &body,
                server_support::now(),
                &server_support::nonce(),
            );
            let Ok(reply) = till
                .send_as(hyper::Method::POST, "/v1/payments", &body, Some(&auth))
                .await
            else {
                return (till, seen); // killed
            };
            let answer = reply.json();
            assert_eq!(answer["status"], "SUCCESS", "{answer}");
            seen.paid.push((
                out_trade_no,
                answer["payment_id"].as_str().unwrap().to_owned(),
            ));
            heard.fetch_add(1, Ordering::SeqCst);
        }
    }
    (till, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_run_loses_no_payment_and_pays_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut first = spawn_server(&db);

    let mut cards = Vec::new();
    for _ in 0..CARDS {
        cards.push(server_support::new_card(first.addr).await);
    }
    let heard = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut keys = Vec::new();
    for (w, mine) in deal(cards, WORKERS).into_iter().enumerate() {
        let till = Till::new(first.addr).await;
        keys.push(hex::encode(&till.key));
        tasks.push(tokio::spawn(run_till(w, till, mine, Arc::clone(&heard))));
    }
    // kill -9 once some payments are answered and more are in flight.
    for _ in 0..600 {
        if heard.load(Ordering::SeqCst) >= KILL_AFTER {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let mut tills = Vec::new();
    let mut sent = 0;
    let mut paid = 0;
    for t in tasks {
        let (till, seen) = t.await.unwrap();
        sent += seen.sent.len();
        paid += seen.paid.len();
        tills.push((till, seen));
    }
    assert!(paid >= KILL_AFTER, "{paid}");
    assert!(
        paid < CARDS * 10,
        "the kill came after the run ended; nothing was tested"
    );

    // Restart on the same file.
    let second = spawn_server(&db);
    assert_ledger_clean(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let journals = |reference: &str| -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM journals WHERE kind = 'payment' AND reference = ?1",
            [reference],
            |r| r.get(0),
        )
        .unwrap()
    };
    let mut reversed = 0;
    let mut ids = HashSet::new();
    for (till, seen) in &mut tills {
        till.addr = second.addr;
        till.client = ApiClient::new(second.addr);
        // Every SUCCESS a till heard of: SUCCESS still, in the ledger once.
        for (out_trade_no, id) in &seen.paid {
            let v = till.query(out_trade_no).await.json();
            assert_eq!(
                (v["status"].as_str(), v["payment_id"].as_str()),
                (Some("SUCCESS"), Some(id.as_str())),
                "{v}"
            );
            assert_eq!(journals(id), 1, "{id} in the ledger {} times", journals(id));
            assert!(ids.insert(id.clone()), "{id} answered twice");
        }
        // Every out_trade_no sent has a final state; one that never arrived
        // is reversed (the till rule) and cannot pay later.
        for out_trade_no in &seen.sent {
            let reply = till.query(out_trade_no).await;
            let v = match reply.status {
                404 => {
                    reversed += 1;
                    till.reverse(out_trade_no).await.json()
                }
                _ => reply.json(),
            };
            let status = v["status"].as_str().unwrap_or_default().to_owned();
            assert!(
                ["SUCCESS", "FAILED", "CLOSED"].contains(&status.as_str()),
                "{out_trade_no}: {v}"
            );
            if status == "SUCCESS" {
                assert_eq!(journals(v["payment_id"].as_str().unwrap()), 1, "{v}");
            }
        }
    }
    drop(conn);
    assert_ledger_clean(&db);
    println!("sent {sent}, acknowledged {paid}, reversed as never arrived {reversed}");

    // SIGTERM: a clean stop.
    let mut second = second;
    let status = Command::new("kill")
        .args(["-TERM", &second.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = second.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    std::thread::sleep(Duration::from_millis(100));
    let text = second.output.lock().unwrap().clone();
    assert!(text.contains("stopped"), "{text}");
    // Neither run printed a card link, a card key or a merchant key.
    for out in [&first.output, &second.output] {
        let text = out.lock().unwrap();
        assert!(
            !text.contains("paycode://") && !text.contains("secret="),
            "{text}"
        );
        for key in &keys {
            assert!(!text.contains(key.as_str()), "a merchant key in the log");
        }
    }
}

/// `items` dealt round robin into `n` hands.
fn deal<T>(items: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut hands: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        hands[i % n].push(item);
    }
    hands
}
