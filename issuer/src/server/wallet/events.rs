//! `GET /v1/wallet/events`, signed by the card: a Server-Sent Events
//! stream of the card's results as they commit.
//!
//! - `event: hello`, first, `{"time_ms"}`: the issuer's clock, so the
//!   wallet can correct its estimate of it (with half the round trip).
//! - `event: result`, `{"kind": "payment"|"reverse"|"refund", ...}` and the
//!   payment's history row (as `GET /v1/wallet/history` lists it).
//! - `event: gap`: this stream fell behind, or the bus lost results (a
//!   node's PostgreSQL connection broke); read history.
//!
//! A comment every [`KEEP_ALIVE`] keeps proxies from closing an idle
//! stream and lets the wallet notice a dead one. The stream ends when the
//! server shuts down.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::auth::CardSigned;
use super::WalletState;
use crate::payments::events::{Heard, WalletEvent};
use crate::server::v1::error::V1Error;
use crate::store::CardKey;

pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Listener {
    card: CardKey,
    events: broadcast::Receiver<Heard>,
    closing: watch::Receiver<bool>,
    hello: bool,
}

fn result_event(e: &WalletEvent) -> Event {
    let mut data = e.data.clone();
    data["kind"] = json!(e.kind);
    Event::default().event("result").data(data.to_string())
}

impl Listener {
    /// The next SSE event for this card; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.hello) {
            let hello = json!({ "time_ms": now_ms() });
            return Some(Event::default().event("hello").data(hello.to_string()));
        }
        loop {
            tokio::select! {
                biased;
                _ = self.closing.wait_for(|closing| *closing) => return None,
                received = self.events.recv() => match received {
                    Ok(heard) if !heard.concerns(self.card) => {}
                    Ok(Heard::Result(e)) => return Some(result_event(&e)),
                    Ok(Heard::Gap(_)) | Err(RecvError::Lagged(_)) => {
                        return Some(Event::default().event("gap").data("{}"));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

pub(crate) async fn events(
    State(state): State<Arc<WalletState>>,
    signed: CardSigned,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, V1Error> {
    let card = signed.card;
    // Subscribed before the nonce commits: nothing that commits after the
    // wallet's history read can fall between the two.
    let listener = Listener {
        card,
        events: state.events.subscribe(),
        closing: state.closing.clone(),
        hello: true,
    };
    state
        .db
        .write(move |tx, _| signed.remember_nonce(tx))
        .await?;
    let stream = stream::unfold(listener, |mut l| async move {
        l.next().await.map(|e| (Ok(e), l))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
