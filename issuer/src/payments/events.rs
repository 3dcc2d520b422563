//! What the payer's phone hears about its card: a payment that succeeded,
//! waits for the PIN (USERPAYING), failed, was reversed or refunded.
//!
//! Events are published only after the transaction that made them has
//! committed, so a phone never sees a result the issuer could still lose.
//! [`PaymentEvents`] is the small seam between whoever produces them (the
//! server's handlers, in process) and whoever carries them: the in-process
//! [`EventBus`] here, or a bus fed from another process (PostgreSQL
//! LISTEN/NOTIFY) that implements the same trait.

use serde_json::Value;
use tokio::sync::broadcast;

use crate::store::CardKey;

/// One result for one card. `data` is the card's history row of the
/// payment as it now stands (merchant named as the issuer knows it).
#[derive(Clone, Debug, PartialEq)]
pub struct WalletEvent {
    pub card: CardKey,
    /// `payment`, `reverse` or `refund`: what happened.
    pub kind: &'static str,
    pub data: Value,
}

/// Carries events from the payment side to the phones listening.
pub trait PaymentEvents: Send + Sync {
    /// Hands `event` to every listener of its card; no listener, no harm.
    fn publish(&self, event: WalletEvent);
    /// A new listener, from now on (missed results come from history).
    fn subscribe(&self) -> broadcast::Receiver<WalletEvent>;
}

/// Events a listener may fall behind by before it misses some (it then
/// reads history, as after any gap).
const BACKLOG: usize = 1024;

/// The in-process bus: a tokio broadcast channel.
pub struct EventBus {
    sender: broadcast::Sender<WalletEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl PaymentEvents for EventBus {
    fn publish(&self, event: WalletEvent) {
        // Err only means nobody listens right now.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<WalletEvent> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(token: u32) -> WalletEvent {
        WalletEvent {
            card: CardKey { prefix: 13, token },
            kind: "payment",
            data: serde_json::json!({ "amount": "1.00" }),
        }
    }

    #[test]
    fn listeners_get_what_is_published_after_they_subscribe() {
        let bus = EventBus::default();
        bus.publish(event(1)); // nobody listens: dropped, no error
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.publish(event(2));
        assert_eq!(a.try_recv().unwrap(), event(2));
        assert_eq!(b.try_recv().unwrap(), event(2));
        assert!(a.try_recv().is_err());
    }
}
