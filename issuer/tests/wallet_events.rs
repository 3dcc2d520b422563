//! `GET /v1/wallet/events`: the card's live results as Server-Sent Events,
//! signed on the card channel. A payment, a reversal and a refund each
//! reach the paying card's stream (merchant and funding as the issuer
//! knows them), never another card's; unsigned requests get the 401; an
//! open stream does not keep the server from shutting down.

mod server_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use paycode_issuer::signing::{card_authorization, CardSigner, RequestParts};
use paycode_wallet::core::channel::channel_key;
use serde_json::Value;
use server_support::*;
use tokio::net::TcpStream;

const TARGET: &str = "/v1/wallet/events";

/// An open event stream: the response body and what is buffered of it.
struct Stream {
    body: Incoming,
    buffer: String,
}

impl Stream {
    /// The next `(event, data)`; comments (keep-alives) are skipped.
    async fn next(&mut self, within: Duration) -> (String, Value) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty() {
                    return (event, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.body.frame())
                .await
                .expect("no event in time")
                .expect("the stream ended")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

/// Opens the stream with this `Authorization` (or none): status, and the
/// stream when it is 200.
async fn open(addr: std::net::SocketAddr, auth: Option<&str>) -> (u16, Option<Stream>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(connection);
    let mut request = hyper::Request::get(TARGET).header(hyper::header::HOST, addr.to_string());
    if let Some(a) = auth {
        request = request.header(hyper::header::AUTHORIZATION, a);
    }
    let response = sender
        .send_request(request.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    let kind = response.headers()[hyper::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    // The sender goes with the connection task: keep it alive in the body.
    std::mem::forget(sender);
    (
        status,
        Some(Stream {
            body: response.into_body(),
            buffer: String::new(),
        }),
    )
}

fn signed(card: &DemoCard) -> String {
    let key = channel_key(&card.card.secret);
    let me = CardSigner {
        prefix: card.card.layout.prefix,
        token: card.card.token,
    };
    let parts = RequestParts {
        method: "GET",
        path_and_query: TARGET,
        ts: now(),
        nonce: &nonce(),
        body: b"",
    };
    card_authorization(&key[..], me, &parts)
}

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

    let (event, hello) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(event, "hello");
    let issuer_ms = hello["time_ms"].as_u64().unwrap();
    assert!(issuer_ms.abs_diff(now() * 1000) < 5_000, "{hello}");

    // Another card pays first: nothing of it reaches this stream.
    let theirs = till.pay("T-other", &other.next(0), "9.99").await.json();
    assert_eq!(theirs["status"], "SUCCESS", "{theirs}");
    let paid = till.pay("T-e1", &card.next(1), "12.50").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    let (event, result) = stream.next(Duration::from_secs(5)).await;
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
    let (_, result) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(
        (result["kind"].as_str(), result["result"].as_str()),
        (Some("reverse"), Some("reversed"))
    );

    let paid = till.pay("T-e2", &card.next(0), "20.00").await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    let (_, result) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(result["amount"], "20.00");
    let refunded = till.refund("T-e2", "R-e2", "5.00").await.json();
    assert_eq!(refunded["status"], "SUCCESS", "{refunded}");
    let (_, result) = stream.next(Duration::from_secs(5)).await;
    assert_eq!(result["kind"], "refund", "{result}");
    assert_eq!(result["status"], "PARTIALLY_REFUNDED", "{result}");

    // An open stream ends with the server instead of holding it up.
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("the open event stream kept the server from stopping")
        .unwrap();
}
