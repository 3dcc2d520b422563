//! The check in front of every `/v1/wallet/` request: the card channel's
//! signature ([`signing::authenticate_card`]) over the body bytes and the
//! request target exactly as received, under the channel key derived from
//! the card's secret. A card that does not exist or is revoked signs
//! nothing. Every refusal is the merchant API's one uniform 401; which
//! check failed goes to the log only.
//!
//! As on `/v1/`, the nonce is recorded in the writer, in the same
//! transaction as the request's effect ([`CardSigned::remember_nonce`]).

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::AUTHORIZATION;
use paycode_wallet::core::channel::channel_key;
use paycode_wallet::core::secret::Secret;
use zeroize::Zeroizing;

use super::WalletState;
use crate::server::rate::{client_of, retry_secs};
use crate::server::request::RawBody;
use crate::server::v1::error::V1Error;
use crate::signing::{self, CardAuthHeader, CheckError, NonceLog};
use crate::store::{CardKey, Store, StoreTx, TxMode};

/// The nonce to record once the request reaches the writer.
struct Pending(Option<(String, String, u64)>);

impl NonceLog for Pending {
    type Error = Infallible;

    fn remember(&mut self, owner: &str, nonce: &str, expires_at: u64) -> Result<bool, Infallible> {
        self.0 = Some((owner.to_owned(), nonce.to_owned(), expires_at));
        Ok(true)
    }
}

/// A request the card's channel key signed: the card, and the body.
pub(crate) struct CardSigned {
    pub card: CardKey,
    pub body: Bytes,
    pub json_body: bool,
    owner: String,
    nonce: String,
    expires_at: u64,
}

impl CardSigned {
    /// Records the nonce in `tx`; a nonce already there (a replay, maybe
    /// racing the first) is 401, and the request does nothing.
    pub fn remember_nonce(&self, tx: &mut dyn StoreTx) -> Result<(), V1Error> {
        if tx.remember_nonce(&self.owner, &self.nonce, self.expires_at)? {
            Ok(())
        } else {
            log_refusal("nonce_reused");
            Err(V1Error::unauthorized())
        }
    }
}

fn log_refusal(kind: &str) {
    eprintln!("paycode serve: wallet request unauthorized ({kind})");
}

/// The channel key of a card that may sign: `None` for no such card or a
/// revoked one.
async fn channel_key_of(
    state: &WalletState,
    card: CardKey,
) -> Result<Option<Zeroizing<[u8; 32]>>, V1Error> {
    let found = state
        .db
        .read(move |store| store.begin(TxMode::Read)?.card(card))
        .await?;
    Ok(found
        .filter(|record| !record.revoked)
        .map(|record| channel_key(&Secret::from_bytes(record.secret.as_bytes().to_vec()))))
}

impl FromRequest<Arc<WalletState>> for CardSigned {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &Arc<WalletState>) -> Result<Self, V1Error> {
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
            .map_err(|e| V1Error::new(e.status, "INVALID_REQUEST", e.message))?;
        let key = match authorization.as_deref().map(CardAuthHeader::parse) {
            Some(Ok(header)) => {
                let card = header.card();
                let key = CardKey {
                    prefix: card.prefix,
                    token: card.token,
                };
                channel_key_of(state, key).await?
            }
            _ => None,
        };
        let request = signing::Request {
            method: &method,
            path_and_query: &target,
            body: &body,
        };
        let mut pending = Pending(None);
        let checked = signing::authenticate_card(
            authorization.as_deref(),
            &request,
            crate::server::now(),
            |_| Ok::<_, Infallible>(key.as_ref().map(|k| &k[..])),
            &mut pending,
        );
        match (checked, pending.0) {
            (Ok(card), Some((owner, nonce, expires_at))) => Ok(CardSigned {
                card: CardKey {
                    prefix: card.prefix,
                    token: card.token,
                },
                body,
                json_body,
                owner,
                nonce,
                expires_at,
            }),
            (Err(CheckError::Auth(e)), _) => Err(refuse(state, client, e.kind())),
            (Ok(_), None) | (Err(CheckError::Log(_)), _) => {
                Err(V1Error::system("authentication passed without a nonce"))
            }
        }
    }
}

/// 401, or 429 once this address has failed too often.
fn refuse(state: &WalletState, client: IpAddr, kind: &str) -> V1Error {
    log_refusal(kind);
    match state.clients.take(client, Instant::now()) {
        Ok(()) => V1Error::unauthorized(),
        Err(wait) => V1Error::rate_limited(retry_secs(wait), "address"),
    }
}
