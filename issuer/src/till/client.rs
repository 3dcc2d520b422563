//! The merchant API's four operations, one signed request each. The till
//! rule that strings them together for a sale is in [`rule`](super::rule).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::Method;
use rand::Rng;
use serde::de::DeserializeOwned;

use super::transport::{exchange, Endpoint, Reply};
use super::wire::{ErrorEnvelope, PayRequest, Payment, Refund, RefundRequest};
use super::{check_order_no, Credentials, TillError};
use crate::money::parse_amount;
use crate::signing::{authorization, RequestParts};

/// Timeouts and the till rule's pacing. The defaults are the doc's: 10 s
/// per request, a query every 5 s for 30 s, then up to 3 reverses 2 s apart.
#[derive(Clone, Copy, Debug)]
pub struct TillConfig {
    pub request_timeout: Duration,
    pub poll_interval: Duration,
    /// How long after sending the payment the till keeps querying.
    pub poll_for: Duration,
    pub reverse_tries: u32,
    pub reverse_pause: Duration,
    /// Unix seconds for `ts`; the system clock unless a test says otherwise.
    pub clock: fn() -> u64,
}

impl Default for TillConfig {
    fn default() -> Self {
        TillConfig {
            request_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            poll_for: Duration::from_secs(30),
            reverse_tries: 3,
            reverse_pause: Duration::from_secs(2),
            clock: system_clock,
        }
    }
}

pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

const NONCE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// 22 characters of 64: 132 random bits.
fn new_nonce() -> String {
    let mut rng = rand::rng();
    (0..22)
        .map(|_| char::from(NONCE_ALPHABET[rng.random_range(0..NONCE_ALPHABET.len())]))
        .collect()
}

/// A till's connection to the issuer, as one merchant.
#[derive(Clone, Debug)]
pub struct TillClient {
    endpoint: Endpoint,
    credentials: Credentials,
    pub config: TillConfig,
}

impl TillClient {
    pub fn new(endpoint: Endpoint, credentials: Credentials, config: TillConfig) -> Self {
        TillClient {
            endpoint,
            credentials,
            config,
        }
    }

    pub fn merchant(&self) -> &str {
        &self.credentials.merchant
    }

    /// `POST /v1/payments`, once. The answer may be USERPAYING, or the
    /// request may time out: [`sale`](Self::sale) handles both.
    pub async fn pay(&self, request: &PayRequest) -> Result<Payment, TillError> {
        check_order_no(&request.out_trade_no).map_err(|e| TillError::Input(e.to_string()))?;
        parse_amount(&request.amount).map_err(|e| TillError::Input(e.to_string()))?;
        self.call(Method::POST, "/v1/payments", Some(json(request)?))
            .await
    }

    /// `GET /v1/payments/{out_trade_no}`.
    pub async fn query(&self, out_trade_no: &str) -> Result<Payment, TillError> {
        check_order_no(out_trade_no).map_err(|e| TillError::Input(e.to_string()))?;
        self.call(Method::GET, &format!("/v1/payments/{out_trade_no}"), None)
            .await
    }

    /// `POST /v1/payments/{out_trade_no}/reverse`, once.
    pub async fn reverse(&self, out_trade_no: &str) -> Result<Payment, TillError> {
        check_order_no(out_trade_no).map_err(|e| TillError::Input(e.to_string()))?;
        let route = format!("/v1/payments/{out_trade_no}/reverse");
        self.call(Method::POST, &route, Some(Bytes::from_static(b"{}")))
            .await
    }

    /// `POST /v1/refunds`. `amount` is yuan ("5.00"), checked here first.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        amount: &str,
    ) -> Result<Refund, TillError> {
        let input = |e: &dyn std::fmt::Display| TillError::Input(e.to_string());
        check_order_no(out_trade_no).map_err(|e| input(&e))?;
        check_order_no(out_refund_no).map_err(|e| input(&e))?;
        let amount = parse_amount(amount).map_err(|e| input(&e))?;
        let body = RefundRequest {
            out_trade_no: out_trade_no.to_owned(),
            out_refund_no: out_refund_no.to_owned(),
            amount: amount.to_string(),
        };
        self.call(Method::POST, "/v1/refunds", Some(json(&body)?))
            .await
    }

    /// Signs and sends one request (a new ts and nonce every time) and reads
    /// a 200 answer as `T`, anything else as the error it carries.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: Option<Bytes>,
    ) -> Result<T, TillError> {
        let target = self.endpoint.target(route);
        let body = body.unwrap_or_default();
        let nonce = new_nonce();
        let parts = RequestParts {
            method: method.as_str(),
            path_and_query: &target,
            ts: (self.config.clock)(),
            nonce: &nonce,
            body: &body,
        };
        let header = authorization(
            self.credentials.key.as_bytes(),
            &self.credentials.merchant,
            &parts,
        );
        let reply = exchange(
            &self.endpoint,
            method,
            &target,
            &header,
            body,
            self.config.request_timeout,
        )
        .await?;
        read_reply(&reply)
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Bytes, TillError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| TillError::Input(format!("cannot write the request: {e}")))
}

fn read_reply<T: DeserializeOwned>(reply: &Reply) -> Result<T, TillError> {
    let bad = |why: String| TillError::BadAnswer {
        status: reply.status,
        why,
    };
    if reply.status == 200 {
        return serde_json::from_slice(&reply.body).map_err(|e| bad(e.to_string()));
    }
    match serde_json::from_slice::<ErrorEnvelope>(&reply.body) {
        Ok(envelope) => Err(TillError::Api {
            status: reply.status,
            error: envelope.error,
        }),
        Err(_) => Err(bad("an error without {\"error\": {code, message}}".into())),
    }
}
