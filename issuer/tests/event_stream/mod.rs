//! A phone's signed `GET /v1/wallet/events` stream, for the tests of
//! live results (wallet_events) and of events across nodes (pg_events,
//! pg_events_failover).
#![allow(dead_code)] // Each test file uses its own part.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::server_support::{card_signed, DemoCard, Till};

/// Longest wait for any one event.
pub const WITHIN: Duration = Duration::from_secs(30);

/// An open `GET /v1/wallet/events` stream.
pub struct Stream {
    body: Incoming,
    buffer: String,
}

/// The `PAYCODE-CARD` authorization of one events request by `card`.
pub fn signed(card: &DemoCard) -> String {
    card_signed(&card.card, "GET", TARGET, b"")
}

const TARGET: &str = "/v1/wallet/events";

/// Opens the stream with this `Authorization` (or none): the status, and
/// the stream when it is 200 (served as text/event-stream).
pub async fn open_as(addr: SocketAddr, auth: Option<&str>) -> (u16, Option<Stream>) {
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
    // The sender goes with the connection task: keep it alive.
    std::mem::forget(sender);
    let stream = Stream {
        body: response.into_body(),
        buffer: String::new(),
    };
    (status, Some(stream))
}

impl Stream {
    /// Opens the stream, signed with the card's channel key, past its
    /// `hello`.
    pub async fn open(addr: SocketAddr, card: &DemoCard) -> Stream {
        let (status, stream) = open_as(addr, Some(&signed(card))).await;
        assert_eq!(status, 200);
        let mut stream = stream.unwrap();
        assert_eq!(stream.next().await.0, "hello");
        stream
    }

    /// The next `(event, data)` within [`WITHIN`].
    pub async fn next(&mut self) -> (String, Value) {
        self.next_within(WITHIN).await
    }

    /// The next `(event, data)`; keep-alive comments are skipped.
    pub async fn next_within(&mut self, within: Duration) -> (String, Value) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data) = (String::new(), String::new());
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

    /// The next event is this payment's result.
    pub async fn expect_result(&mut self, paid: &Value) {
        let (event, data) = self.next().await;
        assert_eq!(event, "result", "{data}");
        assert_eq!(data["kind"], "payment", "{data}");
        assert_eq!(data["charge_id"], paid["payment_id"], "{data}");
        assert_eq!(data["result"], "approved", "{data}");
    }
}

/// A SUCCESS of `amount` from the card's next code.
pub async fn pay(till: &mut Till, no: &str, card: &mut DemoCard, amount: &str) -> Value {
    let paid = till.pay(no, &card.next(0), amount).await.json();
    assert_eq!(paid["status"], "SUCCESS", "{paid}");
    paid
}

/// After the database went away under two nodes: each stream hears a gap
/// once its node listens again, then the next payment (`no`, `amount`)
/// reaches every stream.
pub async fn gap_then_result(
    streams: [&mut Stream; 2],
    till: &mut Till,
    no: &str,
    card: &mut DemoCard,
    amount: &str,
) {
    let [a, b] = streams;
    for stream in [&mut *a, &mut *b] {
        let (event, _) = stream.next().await;
        assert_eq!(event, "gap");
    }
    let paid = pay(till, no, card, amount).await;
    for stream in [a, b] {
        stream.expect_result(&paid).await;
    }
}
