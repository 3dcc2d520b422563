//! kill -9 in the middle of a charge run, then a restart on the same
//! database: every approval a till was told about is in the database
//! exactly once, and no code is approved twice, before or after.
//! Runs the real `paycode serve` binary on 127.0.0.1.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use paycode_issuer::server::client::ApiClient;
use paycode_issuer::server::load::next_code;
use paycode_wallet::core::link::Card;
use serde_json::json;

const CARDS: usize = 16;
const WORKERS: usize = 8;
/// Approvals heard before the kill.
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
        .args(["--charge-rate", "0"])
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

/// What one till saw: codes it sent, and the approvals it was told of.
#[derive(Default)]
struct Seen {
    sent: Vec<String>,
    /// (code, charge_id)
    approved: Vec<(String, String)>,
}

async fn till(addr: SocketAddr, cards: Vec<Card>, heard: Arc<AtomicUsize>) -> Seen {
    let mut client = ApiClient::new(addr);
    let mut seen = Seen::default();
    let mut last: Vec<Option<(u64, u8)>> = vec![None; cards.len()];
    // Round robin over this till's cards, up to the daily allowance each.
    for round in 0..10 {
        for (i, card) in cards.iter().enumerate() {
            let Some((code, at)) = next_code(card, last[i], (round % 2) as u8) else {
                continue;
            };
            last[i] = Some(at);
            seen.sent.push(code.clone());
            let body = json!({ "code": code, "amount": "1.00", "merchant": "Crash Test" });
            let Ok(reply) = client.post_json("/api/charge", &body).await else {
                return seen; // killed
            };
            let answer = reply.json();
            assert_eq!(answer["result"], "approved", "{answer}");
            seen.approved
                .push((code, answer["charge_id"].as_str().unwrap().to_owned()));
            heard.fetch_add(1, Ordering::SeqCst);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_run_loses_no_approval_and_approves_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut first = spawn_server(&db);

    let mut setup = ApiClient::new(first.addr);
    let mut cards = Vec::new();
    for _ in 0..CARDS {
        let reply = setup.post_json("/api/cards", &json!({})).await.unwrap();
        let link = reply.json()["link"].as_str().unwrap().to_owned();
        cards.push(Card::from_link(&link).unwrap());
    }

    let heard = Arc::new(AtomicUsize::new(0));
    let mut tills = Vec::new();
    for w in 0..WORKERS {
        let mine: Vec<Card> = cards
            .iter()
            .skip(w)
            .step_by(WORKERS)
            .map(|c| Card::from_link(&c.to_link()).unwrap())
            .collect();
        tills.push(tokio::spawn(till(first.addr, mine, Arc::clone(&heard))));
    }
    // kill -9 once some approvals are out and more are in flight.
    for _ in 0..600 {
        if heard.load(Ordering::SeqCst) >= KILL_AFTER {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let mut sent = Vec::new();
    let mut acknowledged = Vec::new();
    for t in tills {
        let seen = t.await.unwrap();
        sent.extend(seen.sent);
        acknowledged.extend(seen.approved);
    }
    assert!(acknowledged.len() >= KILL_AFTER, "{}", acknowledged.len());
    assert!(
        acknowledged.len() < CARDS * 10,
        "the kill came after the run ended; nothing was tested"
    );
    let codes: HashSet<&String> = acknowledged.iter().map(|(code, _)| code).collect();
    assert_eq!(codes.len(), acknowledged.len(), "a code approved twice");

    // Restart on the same file.
    let second = spawn_server(&db);
    let mut client = ApiClient::new(second.addr);

    // Every acknowledged approval is in the history, once, as approved.
    let mut history: HashMap<String, String> = HashMap::new();
    for card in &cards {
        let reply = client
            .get(&format!("/api/cards/{}/history?limit=100", card.token))
            .await
            .unwrap();
        for c in reply.json()["charges"].as_array().unwrap() {
            let id = c["charge_id"].as_str().unwrap().to_owned();
            let result = c["result"].as_str().unwrap().to_owned();
            assert!(
                history.insert(id, result).is_none(),
                "a charge listed twice"
            );
        }
    }
    for (_, id) in &acknowledged {
        assert_eq!(
            history.get(id).map(String::as_str),
            Some("approved"),
            "acknowledged {id} lost"
        );
    }
    // And in the database: each code at most once, acknowledged ones with
    // their id.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let twice: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT code FROM charges GROUP BY code HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(twice, 0);
    for (code, id) in &acknowledged {
        let (stored_id, status): (String, String) = conn
            .query_row(
                "SELECT id, status FROM charges WHERE code = ?1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((&stored_id, status.as_str()), (id, "approved"));
    }
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM charges", [], |r| r.get(0))
        .unwrap();
    // Acknowledged, or committed just before the kill without an answer.
    let committed: HashSet<String> = conn
        .prepare("SELECT code FROM charges")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // At most the in-flight charges were committed without an answer.
    assert!(stored as usize >= acknowledged.len());
    assert!(stored as usize <= sent.len());
    drop(conn);
    println!(
        "sent {}, acknowledged {}, stored {stored} (the rest were in flight at the kill)",
        sent.len(),
        acknowledged.len()
    );

    // No code the database holds is approved again after the restart
    // (replays, or superseded by a newer code of the card; the card may
    // lock after five such tries). Codes lost in flight may go through now:
    // that is their first approval.
    for code in &sent {
        let reply = client
            .post_json("/api/charge", &json!({ "code": code, "amount": "1.00" }))
            .await
            .unwrap();
        let answer = reply.json();
        if committed.contains(code) {
            assert_ne!(answer["result"], "approved", "{code} approved twice");
            assert!([409, 429].contains(&reply.status), "{answer}");
        }
    }
    let again: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM (SELECT code FROM charges GROUP BY code HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(again, 0);

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
    // Neither run printed a card link or key.
    for out in [&first.output, &second.output] {
        let text = out.lock().unwrap();
        assert!(
            !text.contains("paycode://") && !text.contains("secret="),
            "{text}"
        );
    }
}
