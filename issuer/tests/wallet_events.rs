//! `GET /v1/wallet/events`: the card's live results as Server-Sent Events,
//! signed on the card channel. A payment, a reversal and a refund each
//! reach the paying card's stream (merchant and funding as the issuer
//! knows them), never another card's; unsigned requests get the 401; an
//! open stream does not keep the server from shutting down.

mod event_stream;
mod server_support;

use std::time::Duration;

use event_stream::{open_as as open, signed};
use server_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_reach_the_paying_cards_stream_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(config(&dir)).await;
    let mut card = new_card(server.addr()).await;
    let mut other = new_card(server.addr()).await;
    let mut till = Till::new(server.addr()).await;

    assert_eq!(open(server.addr(), None).await.0, 401);
    let auth = signed(&card);
    let (status, stream) = open(server.addr(), Some(&auth)).await;
    assert_eq!(status, 200);
    let mut stream = stream.unwrap();
    // The same signed request again: the nonce is spent.
    assert_eq!(open(server.addr(), Some(&auth)).await.0, 401);

    let (event, hello) = stream.next_within(Duration::from_secs(5)).await;
    assert_eq!(event, "hello");
    let issuer_ms = hello["time_ms"].as_u64().unwrap();
    assert!(issuer_ms.abs_diff(now() * 1000) < 5_000, "{hello}");

    // Another card pays first: nothing of it reaches this stream.
    let theirs = till.pay("T-other", &other.next(0), "9.99").await.json();
    assert_eq!(theirs["status"], "SUCCESS", "{theirs}");
    let paid = till.pay("T-e1", &card.next(1), "12.50").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    let (event, result) = stream.next_within(Duration::from_secs(5)).await;
    assert_eq!(event, "result");
    assert_eq!(result["kind"], "payment", "{result}");
    assert_eq!(
        result["amount"], "12.50",
        "another card's payment reached this stream: {result}"
    );
    assert_eq!(result["result"], "approved");
    assert_eq!(result["merchant"], "Demo shop");
    assert_eq!(result["funding"]["label"], "ICBC ••1234");
    assert_eq!(result["charge_id"], paid["payment_id"]);

    let reversed = till.reverse("T-e1").await.json();
    assert_eq!(reversed["status"], "REVERSED", "{reversed}");
    let (_, result) = stream.next_within(Duration::from_secs(5)).await;
    assert_eq!(
        (result["kind"].as_str(), result["result"].as_str()),
        (Some("reverse"), Some("reversed"))
    );

    let paid = till.pay("T-e2", &card.next(0), "20.00").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    let (_, result) = stream.next_within(Duration::from_secs(5)).await;
    assert_eq!(result["amount"], "20.00");
    let refunded = till.refund("T-e2", "R-e2", "5.00").await.json();
    assert_eq!(refunded["status"], "SUCCESS", "{refunded}");
    let (_, result) = stream.next_within(Duration::from_secs(5)).await;
    assert_eq!(result["kind"], "refund", "{result}");
    assert_eq!(result["status"], "PARTIALLY_REFUNDED", "{result}");

    // An open stream ends with the server instead of holding it up.
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("the open event stream kept the server from stopping")
        .unwrap();
}
