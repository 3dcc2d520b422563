//! What both signed channels — merchants on `/v1/`, cards on
//! `/v1/wallet/` — do around the signature check itself: read the request
//! as received, hold the nonce until the writer records it, and refuse
//! with the one uniform 401 (429 for an address that fails too often).
//!
//! The nonce is recorded in the writer, in the same transaction as the
//! request's effect ([`Nonce::remember`]): a request refused earlier (401,
//! 429) records nothing.

use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::AUTHORIZATION;

use crate::server::rate::{client_of, retry_secs, RateLimiter};
use crate::server::request::{is_json, RawBody};
use crate::server::v1::error::V1Error;
use crate::signing::{self, CheckError, NonceLog};
use crate::store::StoreTx;

/// A request as it arrived: what its signature covers, exactly as
/// received, and who sent it.
pub(crate) struct Received {
    pub client: IpAddr,
    pub authorization: Option<String>,
    pub json_body: bool,
    pub body: Bytes,
    method: String,
    target: String,
}

impl Received {
    pub async fn read(req: Request) -> Result<Received, V1Error> {
        let client = client_of(&req);
        let method = req.method().as_str().to_owned();
        let target = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
        // A header that is not text is as good as a malformed one.
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("\u{0}").to_owned());
        let json_body = is_json(req.headers());
        let RawBody(body) = RawBody::from_request(req, &())
            .await
            .map_err(|e| V1Error::new(e.status, body_error_code(e.kind), e.message))?;
        Ok(Received {
            client,
            authorization,
            json_body,
            body,
            method,
            target,
        })
    }

    /// The parts the signature is over.
    pub fn signed_parts(&self) -> signing::Request<'_> {
        signing::Request {
            method: &self.method,
            path_and_query: &self.target,
            body: &self.body,
        }
    }
}

fn body_error_code(kind: &str) -> &'static str {
    match kind {
        "body_too_large" => "BODY_TOO_LARGE",
        _ => "INVALID_REQUEST",
    }
}

/// A checked request's nonce, to record in the writer.
pub(crate) struct Nonce {
    /// Whose nonces these are: the merchant id, or `card:P:T`.
    pub owner: String,
    nonce: String,
    expires_at: u64,
}

impl Nonce {
    /// Records the nonce in `tx`; a nonce already there (a replay, maybe
    /// racing the first) is 401, and the request does nothing.
    pub fn remember(&self, tx: &mut dyn StoreTx, channel: Channel) -> Result<(), V1Error> {
        if tx.remember_nonce(&self.owner, &self.nonce, self.expires_at)? {
            Ok(())
        } else {
            channel.log_refusal("nonce_reused");
            Err(V1Error::unauthorized())
        }
    }
}

/// Holds the nonce [`signing::authenticate`] wants recorded, for the writer.
#[derive(Default)]
pub(crate) struct Pending(Option<Nonce>);

impl Pending {
    /// The nonce of a request that passed; a pass without one is a bug.
    pub fn into_nonce(self) -> Result<Nonce, V1Error> {
        self.0
            .ok_or_else(|| V1Error::system("authentication passed without a nonce"))
    }
}

impl NonceLog for Pending {
    type Error = Infallible;

    fn remember(&mut self, owner: &str, nonce: &str, expires_at: u64) -> Result<bool, Infallible> {
        self.0 = Some(Nonce {
            owner: owner.to_owned(),
            nonce: nonce.to_owned(),
            expires_at,
        });
        Ok(true)
    }
}

/// Which channel refused, for the log.
#[derive(Clone, Copy)]
pub(crate) enum Channel {
    Merchant,
    Wallet,
    Admin,
}

impl Channel {
    fn log_refusal(self, kind: &str) {
        match self {
            Channel::Merchant => eprintln!("paycode serve: unauthorized ({kind})"),
            Channel::Wallet => eprintln!("paycode serve: wallet request unauthorized ({kind})"),
            Channel::Admin => eprintln!("paycode serve: admin request unauthorized ({kind})"),
        }
    }

    /// The answer to a failed check: 401, or 429 once this address has
    /// failed too often. Which check failed goes to the log only.
    pub fn refuse<T>(
        self,
        clients: &RateLimiter<IpAddr>,
        client: IpAddr,
        failed: CheckError<Infallible>,
    ) -> Result<T, V1Error> {
        let kind = match &failed {
            CheckError::Auth(e) => e.kind(),
            CheckError::Log(never) => match *never {},
        };
        self.log_refusal(kind);
        Err(match clients.take(client, Instant::now()) {
            Ok(()) => V1Error::unauthorized(),
            Err(wait) => V1Error::rate_limited(retry_secs(wait), "address"),
        })
    }
}
