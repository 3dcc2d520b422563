//! What the payer's phone hears about its card: a payment that succeeded,
//! waits for the PIN (USERPAYING), failed, was reversed or refunded.
//!
//! Events are published only after the transaction that made them has
//! committed, so a phone never sees a result the issuer could still lose.
//! [`PaymentEvents`] is the small seam between whoever produces them (the
//! server's handlers, in process) and whoever carries them: the in-process
//! [`EventBus`] here, or the bus that crosses nodes on PostgreSQL
//! (`store::postgres::PgEvents`, LISTEN/NOTIFY), which implements the
//! same trait. A bus that may lose results (a connection that broke)
//! says so with a [`Heard::Gap`]: the listener then reads history.

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

/// What a listener hears from the bus.
#[derive(Clone, Debug, PartialEq)]
pub enum Heard {
    Result(WalletEvent),
    /// Results may have been lost: of this card, or with `None` of any
    /// card. A listener of a card it concerns reads history.
    Gap(Option<CardKey>),
}

impl Heard {
    /// Whether a listener of `card` must act on this.
    pub fn concerns(&self, card: CardKey) -> bool {
        match self {
            Heard::Result(e) => e.card == card,
            Heard::Gap(lost) => lost.is_none_or(|c| c == card),
        }
    }
}

/// Carries events from the payment side to the phones listening.
pub trait PaymentEvents: Send + Sync {
    /// Hands `event` to every listener of its card; no listener, no harm.
    /// Never fails the caller: the payment has committed already.
    fn publish(&self, event: WalletEvent);
    /// A new listener, from now on (missed results come from history).
    fn subscribe(&self) -> broadcast::Receiver<Heard>;
}

/// Events a listener may fall behind by before it misses some (it then
/// reads history, as after any gap).
const BACKLOG: usize = 1024;

/// The in-process bus: a tokio broadcast channel.
pub struct EventBus {
    sender: broadcast::Sender<Heard>,
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
        let _ = self.sender.send(Heard::Result(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Heard> {
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
        assert_eq!(a.try_recv().unwrap(), Heard::Result(event(2)));
        assert_eq!(b.try_recv().unwrap(), Heard::Result(event(2)));
        assert!(a.try_recv().is_err());
    }

    #[test]
    fn a_gap_concerns_its_card_or_every_card() {
        let mine = CardKey {
            prefix: 13,
            token: 1,
        };
        let theirs = CardKey {
            prefix: 13,
            token: 2,
        };
        assert!(Heard::Result(event(1)).concerns(mine));
        assert!(!Heard::Result(event(2)).concerns(mine));
        assert!(Heard::Gap(Some(mine)).concerns(mine));
        assert!(!Heard::Gap(Some(theirs)).concerns(mine));
        assert!(Heard::Gap(None).concerns(mine));
    }
}
