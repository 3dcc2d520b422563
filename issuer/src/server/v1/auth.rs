//! The check in front of every `/v1/` request: [`signing::authenticate`]
//! on the body bytes and the request target exactly as received, the
//! merchant's key from the store, then the merchant's rate limit.
//!
//! The nonce is checked against the store in the writer, in the same
//! transaction as the request's effect ([`Signed::remember_nonce`]): a
//! request refused earlier (401, 429) records nothing. What this shares
//! with the card channel is in [`crate::server::signed`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use super::error::V1Error;
use super::V1State;
use crate::secret::SecretKey;
use crate::server::admin::tally::Refused;
use crate::server::rate::retry_secs;
use crate::server::signed::{Channel, Nonce, Pending, Received};
use crate::signing::{self, AuthHeader};
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

/// A request whose signature holds: the merchant who signed, and the body.
pub(crate) struct Signed {
    pub merchant: String,
    pub body: Bytes,
    pub json_body: bool,
    nonce: Nonce,
}

impl Signed {
    /// Records the nonce in `tx`; a nonce already there (a replay, maybe
    /// racing the first) is 401, and the request does nothing.
    pub fn remember_nonce(&self, tx: &mut dyn StoreTx) -> Result<(), V1Error> {
        self.nonce.remember(tx, Channel::Merchant)
    }
}

impl FromRequest<Arc<V1State>> for Signed {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &Arc<V1State>) -> Result<Self, V1Error> {
        let received = Received::read(req).await?;
        let header = received.authorization.as_deref().map(AuthHeader::parse);
        let claimed = match &header {
            Some(Ok(header)) => Some(header.merchant().to_owned()),
            _ => None,
        };
        let key = match &claimed {
            Some(merchant) => state.keys.key_of(state, merchant).await?,
            None => None,
        };
        let mut pending = Pending::default();
        let checked = signing::authenticate(
            received.authorization.as_deref(),
            &received.signed_parts(),
            crate::server::now(),
            |_| Ok::<_, Infallible>(key.as_deref().map(SecretKey::as_bytes)),
            &mut pending,
        );
        let merchant = match checked {
            Ok(merchant) => merchant,
            Err(failed) => {
                state
                    .failures
                    .count(Refused::Merchant, claimed.as_deref(), received.client);
                return Channel::Merchant.refuse(&state.clients, received.client, failed);
            }
        };
        let nonce = pending.into_nonce()?;
        if let Err(wait) = state.merchants.take(merchant.clone(), Instant::now()) {
            return Err(V1Error::rate_limited(retry_secs(wait), "merchant"));
        }
        Ok(Signed {
            merchant,
            body: received.body,
            json_body: received.json_body,
            nonce,
        })
    }
}
