//! A phone's signed `GET /v1/wallet/events` stream, for the tests of
//! events across nodes (pg_events, pg_events_failover).
#![allow(dead_code)] // Each test file uses its own part.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use paycode_issuer::signing::{card_authorization, CardSigner, RequestParts};
use paycode_wallet::core::channel::channel_key;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::server_support::{nonce, now, DemoCard, Till};

/// Longest wait for any one event.
pub const WITHIN: Duration = Duration::from_secs(30);

/// An open `GET /v1/wallet/events` stream.
pub struct Stream {
    body: Incoming,
    buffer: String,
}

impl Stream {
    /// Opens the stream, signed with the card's channel key.
    pub async fn open(addr: SocketAddr, card: &DemoCard) -> Stream {
        let target = "/v1/wallet/events";
        let key = channel_key(&card.card.secret);
        let me = CardSigner {
            prefix: card.card.layout.prefix,
            token: card.card.token,
        };
        let parts = RequestParts {
            method: "GET",
            path_and_query: target,
            ts: now(),
            nonce: &nonce(),
            body: b"",
        };
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::get(target)
            .header(hyper::header::HOST, addr.to_string())
            .header(
                hyper::header::AUTHORIZATION,
                card_authorization(&key[..], me, &parts),
            )
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        // The sender goes with the connection task: keep it alive.
        std::mem::forget(sender);
        let mut stream = Stream {
            body: response.into_body(),
            buffer: String::new(),
        };
        assert_eq!(stream.next().await.0, "hello");
        stream
    }

    /// The next `(event, data)`; keep-alive comments are skipped.
    pub async fn next(&mut self) -> (String, Value) {
        let deadline = Instant::now() + WITHIN;
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
