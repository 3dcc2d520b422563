//! The check in front of every `/v1/` request: [`signing::authenticate`]
//! on the body bytes and the request target exactly as received, the
//! merchant's key from the store, then the merchant's rate limit.
//!
//! The nonce is checked against the store in the writer, in the same
//! transaction as the request's effect ([`Signed::remember_nonce`]): a
//! request refused earlier (401, 429) records nothing.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::AUTHORIZATION;

use super::error::V1Error;
use super::V1State;
use crate::secret::SecretKey;
use crate::server::rate::{client_of, retry_secs};
use crate::server::request::RawBody;
use crate::signing::{self, AuthHeader, CheckError, NonceLog};
use crate::store::{Store, StoreTx, TxMode};

/// Merchant keys kept in memory; keys never change once made, and only
/// merchants that exist are kept, so the map cannot be filled by guessing.
const MAX_CACHED_KEYS: usize = 10_000;

#[derive(Default)]
pub(crate) struct KeyCache {
    keys: Mutex<HashMap<String, Arc<SecretKey>>>,
}

impl KeyCache {
    async fn key_of(
        &self,
        state: &V1State,
        merchant: &str,
    ) -> Result<Option<Arc<SecretKey>>, V1Error> {
        if let Some(key) = self.lock().get(merchant) {
            return Ok(Some(Arc::clone(key)));
        }
        let id = merchant.to_owned();
        let found = state
            .db
            .read(move |store| store.begin(TxMode::Read)?.merchant_key(&id))
            .await?;
        let Some(key) = found else { return Ok(None) };
        let key = Arc::new(key);
        let mut keys = self.lock();
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(merchant.to_owned(), Arc::clone(&key));
        Ok(Some(key))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<SecretKey>>> {
        // A poisoned map only means a request panicked mid-insert.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The nonce to record once the request reaches the writer.
struct Pending(Option<(String, String, u64)>);

impl NonceLog for Pending {
    type Error = Infallible;

    fn remember(
        &mut self,
        merchant: &str,
        nonce: &str,
        expires_at: u64,
    ) -> Result<bool, Infallible> {
        self.0 = Some((merchant.to_owned(), nonce.to_owned(), expires_at));
        Ok(true)
    }
}

/// A request whose signature holds: the merchant who signed, and the body.
pub(crate) struct Signed {
    pub merchant: String,
    pub body: Bytes,
    pub json_body: bool,
    nonce: String,
    expires_at: u64,
}

impl Signed {
    /// Records the nonce in `tx`; a nonce already there (a replay, maybe
    /// racing the first) is 401, and the request does nothing.
    pub fn remember_nonce(&self, tx: &mut dyn StoreTx) -> Result<(), V1Error> {
        if tx.remember_nonce(&self.merchant, &self.nonce, self.expires_at)? {
            Ok(())
        } else {
            log_refusal("nonce_reused");
            Err(V1Error::unauthorized())
        }
    }
}

fn log_refusal(kind: &str) {
    eprintln!("paycode serve: unauthorized ({kind})");
}

impl FromRequest<Arc<V1State>> for Signed {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &Arc<V1State>) -> Result<Self, V1Error> {
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
        let json_body = crate::server::request::is_json(req.headers());
        let RawBody(body) = RawBody::from_request(req, &())
            .await
            .map_err(|e| V1Error::new(e.status, v1_code(e.kind), e.message))?;
        let key = match authorization.as_deref().map(AuthHeader::parse) {
            Some(Ok(header)) => state.keys.key_of(state, header.merchant()).await?,
            _ => None,
        };
        let request = signing::Request {
            method: &method,
            path_and_query: &target,
            body: &body,
        };
        let mut pending = Pending(None);
        let checked = signing::authenticate(
            authorization.as_deref(),
            &request,
            crate::server::now(),
            |_| Ok::<_, Infallible>(key.as_deref().map(SecretKey::as_bytes)),
            &mut pending,
        );
        match (checked, pending.0) {
            (Ok(merchant), Some((_, nonce, expires_at))) => {
                if let Err(wait) = state.merchants.take(merchant.clone(), Instant::now()) {
                    return Err(V1Error::rate_limited(retry_secs(wait), "merchant"));
                }
                Ok(Signed {
                    merchant,
                    body,
                    json_body,
                    nonce,
                    expires_at,
                })
            }
            (Err(CheckError::Auth(e)), _) => Err(refuse(state, client, e.kind())),
            (Ok(_), None) | (Err(CheckError::Log(_)), _) => {
                Err(V1Error::system("authentication passed without a nonce"))
            }
        }
    }
}

/// 401, or 429 once this address has failed too often.
fn refuse(state: &V1State, client: IpAddr, kind: &str) -> V1Error {
    log_refusal(kind);
    match state.clients.take(client, Instant::now()) {
        Ok(()) => V1Error::unauthorized(),
        Err(wait) => V1Error::rate_limited(retry_secs(wait), "address"),
    }
}

fn v1_code(kind: &str) -> &'static str {
    match kind {
        "body_too_large" => "BODY_TOO_LARGE",
        _ => "INVALID_REQUEST",
    }
}
