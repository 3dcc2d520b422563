//! Several `paycode serve` processes (nodes) on one PostgreSQL database:
//! one code paid at eight tills spread over three nodes succeeds once; the
//! retry of an out_trade_no on another node answers the same payment; a
//! node killed with SIGKILL under load loses nothing and pays nothing
//! twice while the others go on. Runs the real binary on 127.0.0.1 with
//! the `postgres-tests` feature, on the cluster `PAYCODE_TEST_PG` names.

mod pg_support;
mod server_support;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pg_support::{spawn_node, Node};

use paycode_issuer::store::postgres::scratch;
use server_support::{assert_ledger_clean, balance_fen, DemoCard, Till};

fn nodes(db: &str, n: usize) -> Vec<Node> {
    (0..n).map(|_| spawn_node(db)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_tills_over_three_nodes_pay_one_code_once() {
    let db = scratch::database("one_code");
    let nodes = nodes(&db, 3);
    let mut card = server_support::new_card(nodes[0].addr).await;
    let before = balance_fen(Path::new(&db), &card, 0);
    let code = card.next(0);
    let mut tills = Vec::new();
    for i in 0..8 {
        tills.push(Till::new(nodes[i % 3].addr).await);
    }
    let start = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = tills
        .into_iter()
        .enumerate()
        .map(|(i, mut till)| {
            let (code, start) = (code.clone(), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                till.pay(&format!("ONE{i}"), &code, "1.00").await.json()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let success = answers.iter().filter(|a| a["status"] == "SUCCESS").count();
    let used = answers
        .iter()
        .filter(|a| a.to_string().contains("AUTH_CODE_USED"))
        .count();
    assert_eq!((success, used), (1, 7), "{answers:?}");
    assert_eq!(
        balance_fen(Path::new(&db), &card, 0),
        before - 100,
        "one debit of 1.00"
    );
    assert_ledger_clean(Path::new(&db));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_on_another_node_answers_the_same_payment() {
    let db = scratch::database("retry_elsewhere");
    let nodes = nodes(&db, 2);
    let mut card = server_support::new_card(nodes[0].addr).await;
    let before = balance_fen(Path::new(&db), &card, 0);
    let mut till = Till::new(nodes[0].addr).await;
    let code = card.next(0);
    let first = till.pay("RETRY1", &code, "2.50").await.json();
    assert_eq!(first["status"], "SUCCESS", "{first}");
    // The till's connection to the first node is lost; it retries the
    // same request on the second.
    till.addr = nodes[1].addr;
    till.reconnect();
    let again = till.pay("RETRY1", &code, "2.50").await.json();
    assert_eq!(again["payment_id"], first["payment_id"], "{again}");
    assert_eq!(again["status"], "SUCCESS");
    let queried = till.query("RETRY1").await.json();
    assert_eq!(queried["payment_id"], first["payment_id"]);
    assert_eq!(balance_fen(Path::new(&db), &card, 0), before - 250);
    assert_ledger_clean(Path::new(&db));
}

/// Pays the till's cards round robin until told to stop or its node goes.
async fn run_till(
    w: usize,
    mut till: Till,
    mut cards: Vec<DemoCard>,
    heard: Arc<AtomicUsize>,
) -> (Till, Vec<String>, Vec<(String, String)>) {
    let (mut sent, mut paid) = (Vec::new(), Vec::new());
    for round in 0..10 {
        for card in cards.iter_mut() {
            let code = card.next((round % 2) as u8);
            let out_trade_no = format!("K{w}-{}", sent.len());
            sent.push(out_trade_no.clone());
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
                return (till, sent, paid); // its node was killed
            };
            let answer = reply.json();
            assert_eq!(answer["status"], "SUCCESS", "{answer}");
            paid.push((
                out_trade_no,
                answer["payment_id"].as_str().unwrap().to_owned(),
            ));
            heard.fetch_add(1, Ordering::SeqCst);
        }
    }
    (till, sent, paid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_nothing_and_the_others_go_on() {
    let db = scratch::database("node_kill");
    let mut nodes = nodes(&db, 3);
    // Payments acknowledged by each node's tills.
    let heard: Vec<_> = (0..3).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let (mut tills, mut tasks) = (Vec::new(), Vec::new());
    for w in 0..6 {
        let node = nodes[w % 3].addr;
        let mut cards = Vec::new();
        for _ in 0..2 {
            cards.push(server_support::new_card(node).await);
        }
        tills.push((w, Till::new(node).await, cards));
    }
    // Every till is ready before the first pays.
    for (w, till, cards) in tills {
        let heard = Arc::clone(&heard[w % 3]);
        tasks.push((w % 3, tokio::spawn(run_till(w, till, cards, heard))));
    }
    // The first node goes once its tills have 5 of their 40 payments.
    for _ in 0..3000 {
        if heard[0].load(Ordering::SeqCst) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    nodes[0].child.kill().unwrap(); // SIGKILL
    nodes[0].child.wait().unwrap();
    let survivor = nodes[1].addr;
    let mut total_paid = 0;
    for (node, task) in tasks {
        let (mut till, sent, paid) = task.await.unwrap();
        if node != 0 {
            // The other nodes' tills finished their whole run.
            assert_eq!(paid.len(), 20, "a till of node {node} stopped early");
        }
        total_paid += paid.len();
        till.addr = survivor;
        till.reconnect();
        for (out_trade_no, id) in &paid {
            let v = till.query(out_trade_no).await.json();
            assert_eq!(
                (v["status"].as_str(), v["payment_id"].as_str()),
                (Some("SUCCESS"), Some(id.as_str())),
                "{v}"
            );
        }
        // What the killed node never answered gets a final state.
        for out_trade_no in sent.iter().skip(paid.len()) {
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
    }
    assert!(
        total_paid < 120,
        "the kill came after the run ended; nothing was tested"
    );
    // The surviving nodes take new payments.
    for node in &nodes[1..] {
        let mut card = server_support::new_card(node.addr).await;
        let mut till = Till::new(node.addr).await;
        let v = till.pay("AFTER", &card.next(0), "1.00").await.json();
        assert_eq!(v["status"], "SUCCESS", "{v}");
    }
    assert_ledger_clean(Path::new(&db));
}
