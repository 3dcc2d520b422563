//! Wallet events across issuer nodes: PostgreSQL LISTEN/NOTIFY, no broker.
//!
//! Every node keeps one connection of its own (not from the pool) that
//! `LISTEN`s on [`CHANNEL`] and feeds the node's local broadcast. A node
//! publishes a result, after its payment has committed, with `pg_notify`
//! on that same connection; PostgreSQL delivers it to every listening
//! session, the publisher's own included, so a phone on the publishing
//! node hears it once, by the same path as everyone else, and never
//! directly as well.
//!
//! The NOTIFY runs in a transaction of its own, not in the payment's: a
//! notifying commit holds a lock on PostgreSQL's notification queue that
//! every other notifying commit waits for, and payment commits must not
//! queue behind one another. Results go in batches, one statement each.
//!
//! NOTIFY is at most once: what is sent while a listener is away is gone.
//! So the bus says when it may have lost something ([`Heard::Gap`]), and
//! the phone then reads history:
//! - a listener that reconnects (database restarted, failed over, or the
//!   connection broke) tells its own listeners `Gap(None)`;
//! - a result this node could not send (no connection, a failed NOTIFY, a
//!   full queue) is owed as a gap for its card, sent to every node once
//!   the connection is back;
//! - a result too big for a notification travels as a gap for its card.
//!
//! A failed NOTIFY is logged (never its payload) and never reaches the
//! payment: [`PaymentEvents::publish`] only queues. The payload is the
//! card's history row (amount, merchant name, status, funding label):
//! nothing secret, and well under PostgreSQL's 8000-byte limit.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls, Socket, Statement};

use crate::payments::events::{Heard, PaymentEvents, WalletEvent};
use crate::store::{CardKey, StoreError};

/// The one channel every node listens on.
pub const CHANNEL: &str = "paycode_wallet_events";
/// Largest payload sent as a result; a bigger one goes as a gap. Half of
/// PostgreSQL's limit: a history row is a few hundred bytes.
pub const MAX_PAYLOAD: usize = 4000;
/// Results a local listener may fall behind by (then it gets a gap).
const BACKLOG: usize = 1024;
/// Results waiting to be sent before more are dropped (and owed as gaps).
const QUEUE: usize = 4096;
/// Most notifications in one statement.
const BATCH: usize = 256;
/// Most cards owed a gap one by one; past that, every card is.
const MAX_OWED: usize = 256;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Any one statement on the connection.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// An idle connection is checked this often, so a server that vanished
/// without closing it is noticed without waiting for TCP.
const PING_EVERY: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MOST: Duration = Duration::from_secs(2);

/// The notification's payload.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "n", rename_all = "snake_case")]
enum Note {
    Result {
        prefix: u8,
        token: u32,
        kind: String,
        data: Value,
    },
    Gap {
        prefix: u8,
        token: u32,
    },
    GapAll,
}

/// The kinds of result a node publishes (`WalletEvent::kind`).
const KINDS: [&str; 3] = ["payment", "reverse", "refund"];

impl Note {
    fn of(event: &WalletEvent) -> Note {
        Note::Result {
            prefix: event.card.prefix,
            token: event.card.token,
            kind: event.kind.to_owned(),
            data: event.data.clone(),
        }
    }

    fn gap(card: CardKey) -> Note {
        Note::Gap {
            prefix: card.prefix,
            token: card.token,
        }
    }

    /// What a listener hears; a result of an unknown kind is heard as a
    /// gap of its card, so the phone still reads it from history.
    fn heard(self) -> Heard {
        match self {
            Note::Result {
                prefix,
                token,
                kind,
                data,
            } => {
                let card = CardKey { prefix, token };
                match KINDS.iter().copied().find(|k| *k == kind) {
                    Some(kind) => Heard::Result(WalletEvent { card, kind, data }),
                    None => Heard::Gap(Some(card)),
                }
            }
            Note::Gap { prefix, token } => Heard::Gap(Some(CardKey { prefix, token })),
            Note::GapAll => Heard::Gap(None),
        }
    }
}

/// The payload for `event`: the result, or a gap of its card when the
/// result does not fit.
fn payload_of(event: &WalletEvent) -> String {
    match serde_json::to_string(&Note::of(event)) {
        Ok(text) if text.len() <= MAX_PAYLOAD => text,
        Ok(text) => {
            eprintln!(
                "paycode events: a {} result of {} bytes is sent as a gap",
                event.kind,
                text.len()
            );
            gap_payload(Some(event.card))
        }
        Err(_) => gap_payload(Some(event.card)),
    }
}

fn gap_payload(card: Option<CardKey>) -> String {
    let note = card.map_or(Note::GapAll, Note::gap);
    serde_json::to_string(&note).expect("a gap note always serialises")
}

/// Cards whose results this node failed to send.
#[derive(Debug, Default, PartialEq)]
enum Owed {
    #[default]
    Nothing,
    Cards(Vec<CardKey>),
    Everyone,
}

impl Owed {
    fn add(&mut self, card: CardKey) {
        match self {
            Owed::Nothing => *self = Owed::Cards(vec![card]),
            Owed::Cards(cards) if cards.contains(&card) => {}
            Owed::Cards(cards) if cards.len() >= MAX_OWED => *self = Owed::Everyone,
            Owed::Cards(cards) => cards.push(card),
            Owed::Everyone => {}
        }
    }

    fn payloads(&self) -> Vec<String> {
        match self {
            Owed::Nothing => Vec::new(),
            Owed::Cards(cards) => cards.iter().map(|c| gap_payload(Some(*c))).collect(),
            Owed::Everyone => vec![gap_payload(None)],
        }
    }
}

/// Shared by [`PgEvents::publish`] and the connection's task.
#[derive(Default)]
struct Link {
    /// The connection is up and listening: results are queued to send.
    listening: bool,
    owed: Owed,
}

type Shared = Arc<Mutex<Link>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Link> {
    // A panic elsewhere cannot leave a Link half updated: keep going.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`PaymentEvents`] across every node on one PostgreSQL database.
pub struct PgEvents {
    local: broadcast::Sender<Heard>,
    outbox: mpsc::Sender<WalletEvent>,
    shared: Shared,
    task: JoinHandle<()>,
}

impl PgEvents {
    /// Connects to the database at `url` and listens, before it returns,
    /// so that nothing published after it is missed; then keeps listening,
    /// reconnecting by itself, on the current tokio runtime.
    pub async fn listen(url: &str) -> Result<PgEvents, StoreError> {
        let config = config_of(url)?;
        let (local, _) = broadcast::channel(BACKLOG);
        let session = connect(&config, &local).await.map_err(|e| {
            StoreError::Unavailable(format!("cannot listen for wallet events: {e}"))
        })?;
        // Listening already: what is published from now on is sent.
        let shared = Arc::new(Mutex::new(Link {
            listening: true,
            owed: Owed::Nothing,
        }));
        let (outbox, queued) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(
            config,
            local.clone(),
            Arc::clone(&shared),
            queued,
            session,
        ));
        Ok(PgEvents {
            local,
            outbox,
            shared,
            task,
        })
    }

    /// Whether the connection is up and listening.
    pub fn is_listening(&self) -> bool {
        lock(&self.shared).listening
    }
}

impl Drop for PgEvents {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PaymentEvents for PgEvents {
    fn publish(&self, event: WalletEvent) {
        let card = event.card;
        let mut link = lock(&self.shared);
        if !link.listening {
            // Sent as a gap once the connection is back.
            link.owed.add(card);
            return;
        }
        if self.outbox.try_send(event).is_err() {
            eprintln!("paycode events: too many results waiting to be sent; owed as a gap");
            link.owed.add(card);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Heard> {
        self.local.subscribe()
    }
}

fn config_of(url: &str) -> Result<Config, StoreError> {
    let mut config = Config::from_str(url)
        .map_err(|e| StoreError::Database(format!("not a usable PostgreSQL URL ({e})")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.keepalives_idle(PING_EVERY);
    config.tcp_user_timeout(CALL_TIMEOUT + PING_EVERY);
    if config.get_application_name().is_none() {
        config.application_name("paycode-events");
    }
    Ok(config)
}

/// A listening connection: its client, and the task that reads its
/// notifications into the local broadcast until the connection ends.
struct Session {
    client: Client,
    reader: JoinHandle<String>,
    /// Sends a batch of payloads: `$1` the channel, `$2` the payloads.
    notify: Statement,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Connects and `LISTEN`s; the error says why not (no URL, no secret).
async fn connect(config: &Config, local: &broadcast::Sender<Heard>) -> Result<Session, String> {
    let (client, connection) = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(NoTls))
        .await
        .map_err(|_| "PostgreSQL did not answer in time".to_owned())?
        .map_err(|e| e.to_string())?;
    let reader = tokio::spawn(read(connection, local.clone()));
    let ready = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        client
            .prepare("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .await
    };
    match call(ready).await {
        Ok(notify) => Ok(Session {
            client,
            reader,
            notify,
        }),
        Err(e) => {
            reader.abort();
            Err(e)
        }
    }
}

/// Hands every notification on [`CHANNEL`] to the local listeners; returns
/// why the connection ended.
async fn read(
    mut connection: Connection<Socket, NoTlsStream>,
    local: broadcast::Sender<Heard>,
) -> String {
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANNEL => {
                match serde_json::from_str::<Note>(n.payload()) {
                    // Err only means nobody listens right now.
                    Ok(note) => {
                        let _ = local.send(note.heard());
                    }
                    Err(e) => eprintln!("paycode events: a notification not understood: {e}"),
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return e.to_string(),
            None => return "the server closed the connection".to_owned(),
        }
    }
}

/// The connection's life: send what is published, reconnect when it
/// breaks. Ends when the [`PgEvents`] is dropped.
async fn run(
    config: Config,
    local: broadcast::Sender<Heard>,
    shared: Shared,
    mut queued: mpsc::Receiver<WalletEvent>,
    first: Session,
) {
    let mut session = Some(first);
    let mut retry = RETRY_FIRST;
    loop {
        let mut current = match session.take() {
            Some(s) => s,
            None => match connect(&config, &local).await {
                Ok(s) => {
                    retry = RETRY_FIRST;
                    // What was sent while this node was away is gone.
                    let _ = local.send(Heard::Gap(None));
                    s
                }
                Err(e) => {
                    eprintln!("paycode events: cannot listen ({e}); trying again");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(RETRY_MOST);
                    continue;
                }
            },
        };
        lock(&shared).listening = true;
        let why = send_until_broken(&mut current, &shared, &mut queued).await;
        lock(&shared).listening = false;
        match why {
            Some(why) => eprintln!("paycode events: the connection broke ({why}); reconnecting"),
            None => return,
        }
    }
}

/// Sends queued results (and gaps owed) until the connection breaks: why,
/// or `None` when the publisher is gone.
async fn send_until_broken(
    session: &mut Session,
    shared: &Shared,
    queued: &mut mpsc::Receiver<WalletEvent>,
) -> Option<String> {
    let mut events = Vec::new();
    loop {
        let owed = std::mem::take(&mut lock(shared).owed);
        if owed == Owed::Nothing {
            tokio::select! {
                ended = &mut session.reader => {
                    return Some(ended.unwrap_or_else(|e| e.to_string()));
                }
                n = queued.recv_many(&mut events, BATCH) => if n == 0 {
                    return None;
                },
                _ = tokio::time::sleep(PING_EVERY) => {
                    if let Err(e) = call(session.client.batch_execute("")).await {
                        return Some(e);
                    }
                    continue;
                }
            }
        }
        let mut payloads = owed.payloads();
        payloads.extend(events.iter().map(payload_of));
        let sent = call(
            session
                .client
                .execute(&session.notify, &[&CHANNEL, &payloads]),
        )
        .await;
        if let Err(e) = sent {
            eprintln!(
                "paycode events: NOTIFY of {} results failed ({e}); owed as gaps",
                payloads.len()
            );
            let mut link = lock(shared);
            restore(&mut link.owed, owed);
            for event in events.drain(..) {
                link.owed.add(event.card);
            }
            return Some(e);
        }
        events.clear();
    }
}

/// Puts gaps that could not be sent back with any owed since.
fn restore(now: &mut Owed, earlier: Owed) {
    match earlier {
        Owed::Nothing => {}
        Owed::Cards(cards) => cards.into_iter().for_each(|c| now.add(c)),
        Owed::Everyone => *now = Owed::Everyone,
    }
}

/// One statement with [`CALL_TIMEOUT`]; the error as text.
async fn call<T>(
    statement: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, statement).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("PostgreSQL did not answer in time".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CARD: CardKey = CardKey {
        prefix: 13,
        token: 7,
    };

    fn event(data: Value) -> WalletEvent {
        WalletEvent {
            card: CARD,
            kind: "refund",
            data,
        }
    }

    fn heard(payload: &str) -> Heard {
        serde_json::from_str::<Note>(payload).unwrap().heard()
    }

    #[test]
    fn a_result_travels_whole() {
        let e = event(json!({ "charge_id": "pay_1", "amount": "1.00" }));
        assert_eq!(heard(&payload_of(&e)), Heard::Result(e));
    }

    #[test]
    fn the_largest_history_row_fits_a_notification() {
        // Every field at its longest, in 4-byte characters: merchant
        // names are at most 64 characters, bank names 32.
        let wide = |n: usize| "\u{1d11e}".repeat(n);
        let bank = wide(32);
        let e = event(json!({
            "charge_id": format!("pay_{}", "f".repeat(24)),
            "status": "PARTIALLY_REFUNDED",
            "amount": "92233720368547758.07",
            "merchant": wide(64),
            "time": u64::MAX,
            "result": "approved",
            "funding": {
                "index": 255,
                "source": format!("debit:{bank}:1234"),
                "label": format!("{bank} ••1234"),
            },
        }));
        let payload = payload_of(&e);
        assert!(payload.len() < MAX_PAYLOAD / 4, "{} bytes", payload.len());
        assert_eq!(heard(&payload), Heard::Result(e));
    }

    #[test]
    fn a_result_too_big_goes_as_a_gap_of_its_card() {
        let e = event(json!({ "merchant": "x".repeat(MAX_PAYLOAD) }));
        assert_eq!(heard(&payload_of(&e)), Heard::Gap(Some(CARD)));
    }

    #[test]
    fn a_result_of_an_unknown_kind_is_heard_as_a_gap() {
        let payload = r#"{"n":"result","prefix":13,"token":7,"kind":"chargeback","data":{}}"#;
        assert_eq!(heard(payload), Heard::Gap(Some(CARD)));
        assert_eq!(heard(r#"{"n":"gap_all"}"#), Heard::Gap(None));
    }

    #[test]
    fn gaps_owed_are_per_card_until_too_many() {
        let mut owed = Owed::default();
        assert!(owed.payloads().is_empty());
        owed.add(CARD);
        owed.add(CARD);
        assert_eq!(owed.payloads(), vec![gap_payload(Some(CARD))]);
        for token in 0..MAX_OWED as u32 {
            owed.add(CardKey { prefix: 14, token });
        }
        assert_eq!(owed, Owed::Everyone);
        assert_eq!(owed.payloads(), vec![gap_payload(None)]);
        let mut now = Owed::default();
        restore(&mut now, Owed::Cards(vec![CARD]));
        assert_eq!(now, Owed::Cards(vec![CARD]));
    }
}
