//! A bounded load run against a server: provision cards, then pay
//! distinct valid codes of them with signed `/v1/payments` over many
//! connections (a demo merchant each; the server needs `--demo`), and measure.
//!
//! The `load` example's engine, and `tests/load.rs` reaches it through
//! `#[path]`; both provide `api_client` and `wallet_codes` beside it
//! (from `tests/server_support/`).
//!
//! Every code is one a real wallet would show: each card is charged in
//! order with a rising swipe counter (a new step restarts it), at most
//! [`MAX_PER_CARD`] times so that every charge stays within the daily
//! no-PIN allowance and is expected to be approved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_issuer::signing::{authorization, RequestParts};
use paycode_issuer::store::postgres::{self, Traffic};
use paycode_wallet::core::activation::ActivationLink;
use paycode_wallet::core::link::Card;
use rand::Rng;
use serde_json::json;

use super::api_client::{ApiClient, ClientError};
use super::wallet_codes::{unix_now, wait_next_code};

/// The default daily allowance is 10 charges without PIN per card.
pub const MAX_PER_CARD: usize = 10;

#[derive(Clone, Copy, Debug)]
pub struct LoadConfig {
    /// Charges to send in all.
    pub charges: usize,
    /// Connections (one worker each) sending them at once.
    pub connections: usize,
    /// Charges per card, 1..=MAX_PER_CARD.
    pub per_card: usize,
}

#[derive(Debug)]
pub struct LoadReport {
    pub cards: usize,
    pub provision_time: Duration,
    pub charges: usize,
    /// Answers by result: "approved", or the error kind.
    pub results: BTreeMap<String, usize>,
    pub charge_time: Duration,
    /// Per charge, sorted.
    pub latencies: Vec<Duration>,
    /// What this process sent PostgreSQL while charging (zero on SQLite).
    pub pg_traffic: Traffic,
}

impl LoadReport {
    pub fn approved(&self) -> usize {
        self.results.get("approved").copied().unwrap_or(0)
    }

    pub fn throughput(&self) -> f64 {
        self.charges as f64 / self.charge_time.as_secs_f64().max(1e-9)
    }

    /// The latency below which `q` (0..=1) of the charges were answered.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(
            f,
            "provisioned {} cards in {:.2} s",
            self.cards,
            self.provision_time.as_secs_f64()
        )?;
        writeln!(
            f,
            "{} charges in {:.2} s: {:.0} charges/s",
            self.charges,
            self.charge_time.as_secs_f64(),
            self.throughput()
        )?;
        writeln!(
            f,
            "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            ms(self.quantile(0.5)),
            ms(self.quantile(0.9)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0))
        )?;
        write!(f, "results: {:?}", self.results)?;
        if self.pg_traffic.round_trips > 0 {
            let per = |n: u64| n as f64 / self.charges.max(1) as f64;
            write!(
                f,
                "\npostgres per charge: {:.2} statements in {:.2} round trips",
                per(self.pg_traffic.statements),
                per(self.pg_traffic.round_trips)
            )?;
        }
        Ok(())
    }
}

/// Provisions the cards, then sends the charges; fails on the first
/// connection error (the server is expected to stay up).
pub async fn run(addr: SocketAddr, config: LoadConfig) -> Result<LoadReport, ClientError> {
    run_on(&[addr], config).await
}

/// [`run`] against several nodes sharing one database: connection `i`
/// goes to node `i % nodes.len()`, for provisioning and charges alike.
pub async fn run_on(nodes: &[SocketAddr], config: LoadConfig) -> Result<LoadReport, ClientError> {
    let Some(&first) = nodes.first() else {
        return Err(ClientError("no node to load".into()));
    };
    let node = |i: usize| nodes.get(i % nodes.len()).copied().unwrap_or(first);
    let per_card = config.per_card.clamp(1, MAX_PER_CARD);
    let connections = config.connections.max(1);
    let card_count = config.charges.div_ceil(per_card);

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut provisioners = Vec::new();
    for i in 0..connections.min(card_count.max(1)) {
        let next = Arc::clone(&next);
        let addr = node(i);
        provisioners.push(tokio::spawn(async move {
            let mut client = ApiClient::new(addr);
            let mut cards = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < card_count {
                cards.push(new_card(&mut client).await?);
            }
            Ok::<_, ClientError>(cards)
        }));
    }
    let mut cards = Vec::with_capacity(card_count);
    for p in provisioners {
        cards.extend(join(p).await??);
    }
    let provision_time = started.elapsed();

    // Worker w charges cards w, w + connections, ...: one card's codes go
    // in order on one connection, as they would from one wallet.
    let mut buckets: Vec<Vec<Card>> = (0..connections).map(|_| Vec::new()).collect();
    for (i, card) in cards.into_iter().enumerate() {
        buckets[i % connections].push(card);
    }
    let mut remaining = config.charges;
    let mut plans = Vec::new();
    for bucket in buckets {
        let mut plan = Vec::new();
        for card in bucket {
            let n = per_card.min(remaining);
            remaining -= n;
            if n > 0 {
                plan.push((card, n));
            }
        }
        plans.push(plan);
    }

    let started = Instant::now();
    let traffic_before = postgres::traffic();
    let mut workers = Vec::new();
    for (i, plan) in plans.into_iter().filter(|p| !p.is_empty()).enumerate() {
        workers.push(tokio::spawn(charge_cards(node(i), plan)));
    }
    let mut results = BTreeMap::new();
    let mut latencies = Vec::with_capacity(config.charges);
    for w in workers {
        let (r, l) = join(w).await??;
        for (k, v) in r {
            *results.entry(k).or_insert(0) += v;
        }
        latencies.extend(l);
    }
    let charge_time = started.elapsed();
    let pg_traffic = postgres::traffic().since(traffic_before);
    latencies.sort_unstable();
    Ok(LoadReport {
        cards: card_count,
        provision_time,
        charges: latencies.len(),
        results,
        charge_time,
        latencies,
        pg_traffic,
    })
}

async fn join<T>(handle: tokio::task::JoinHandle<T>) -> Result<T, ClientError> {
    handle
        .await
        .map_err(|e| ClientError(format!("worker failed: {e}")))
}

/// A demo card, as the wallet gets one: its activation link, redeemed.
async fn new_card(client: &mut ApiClient) -> Result<Card, ClientError> {
    let reply = client.post_json("/api/cards", &json!({})).await?;
    let body = reply.json();
    let activation = body["activation"]
        .as_str()
        .ok_or_else(|| ClientError(format!("provisioning answered {}", reply.status)))?;
    let code = ActivationLink::parse(activation)
        .map_err(|e| ClientError(format!("bad activation link: {e}")))?
        .code;
    let reply = client
        .post_json("/v1/activations/redeem", &json!({ "code": code }))
        .await?;
    let body = reply.json();
    let link = body["link"]
        .as_str()
        .ok_or_else(|| ClientError(format!("redemption answered {}", reply.status)))?;
    Card::from_link(link).map_err(|e| ClientError(format!("bad link: {e}")))
}

type Tally = (BTreeMap<String, usize>, Vec<Duration>);

/// A demo merchant's id and key (`POST /api/demo/till`, `--demo` only).
async fn new_till(client: &mut ApiClient) -> Result<(String, Vec<u8>), ClientError> {
    let reply = client
        .request(hyper::Method::POST, "/api/demo/till", None, "")
        .await?;
    let body = reply.json();
    let (Some(merchant), Some(key)) = (body["merchant"].as_str(), body["key"].as_str()) else {
        return Err(ClientError(format!(
            "the demo till answered {}",
            reply.status
        )));
    };
    let key = hex::decode(key).map_err(|e| ClientError(format!("bad key: {e}")))?;
    Ok((merchant.to_owned(), key))
}

/// Signed payments (`POST /v1/payments`) of each card's codes, as one
/// demo merchant per connection. "approved" counts SUCCESS answers.
async fn charge_cards(addr: SocketAddr, plan: Vec<(Card, usize)>) -> Result<Tally, ClientError> {
    let mut client = ApiClient::new(addr);
    let (merchant, key) = new_till(&mut client).await?;
    let mut results = BTreeMap::new();
    let mut latencies = Vec::new();
    for (card, n) in plan {
        let mut last = None;
        for i in 0..n {
            let funding = (i % card.funding.len().max(1)) as u8;
            let (code, at) = wait_next_code(&card, last, funding).await;
            last = Some(at);
            // At most 200.00: five a day from the demo balance of 1000.00.
            let fen: u64 = rand::rng().random_range(1..=20_000);
            let nonce: String = (0..24)
                .map(|_| char::from(b'a' + rand::rng().random_range(0..26u8)))
                .collect();
            let body = json!({
                "out_trade_no": format!("L{}", &nonce[..16]),
                "auth_code": code,
                "amount": format!("{}.{:02}", fen / 100, fen % 100),
                "currency": "CNY",
            })
            .to_string();
            let auth = authorization(
                &key,
                &merchant,
                &RequestParts {
                    method: "POST",
                    path_and_query: "/v1/payments",
                    ts: unix_now(),
                    nonce: &nonce,
                    body: body.as_bytes(),
                },
            );
            let headers = [
                ("content-type", "application/json"),
                ("authorization", auth.as_str()),
            ];
            let sent = Instant::now();
            let reply = client
                .send(hyper::Method::POST, "/v1/payments", &headers, body)
                .await?;
            latencies.push(sent.elapsed());
            let answer = reply.json();
            let kind = match answer["status"].as_str() {
                Some("SUCCESS") => "approved",
                Some("FAILED") => answer["error"]["code"].as_str().unwrap_or("FAILED"),
                Some(other) => other,
                None => answer["error"]["code"].as_str().unwrap_or("unreadable"),
            }
            .to_owned();
            *results.entry(kind).or_insert(0) += 1;
        }
    }
    Ok((results, latencies))
}
