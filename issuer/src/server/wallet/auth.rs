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
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use paycode_wallet::core::channel::channel_key;
use paycode_wallet::core::secret::Secret;
use zeroize::Zeroizing;

use super::WalletState;
use crate::server::signed::{Channel, Nonce, Pending, Received};
use crate::server::v1::error::V1Error;
use crate::signing::{self, CardAuthHeader};
use crate::store::{CardKey, Store, StoreTx, TxMode};

/// A request the card's channel key signed: the card, and the body.
pub(crate) struct CardSigned {
    pub card: CardKey,
    pub body: Bytes,
    pub json_body: bool,
    nonce: Nonce,
}

impl CardSigned {
    /// Records the nonce in `tx`; a nonce already there (a replay, maybe
    /// racing the first) is 401, and the request does nothing.
    pub fn remember_nonce(&self, tx: &mut dyn StoreTx) -> Result<(), V1Error> {
        self.nonce.remember(tx, Channel::Wallet)
    }
}

/// The channel key of a card that may sign: `None` for no such card, a
/// revoked one or one whose key has expired.
async fn channel_key_of(
    state: &WalletState,
    card: CardKey,
) -> Result<Option<Zeroizing<[u8; 32]>>, V1Error> {
    let found = state
        .db
        .read(move |store| store.begin(TxMode::Read)?.card(card))
        .await?;
    Ok(found
        .filter(|record| !record.revoked && !record.is_expired(crate::server::now()))
        .map(|record| channel_key(&Secret::from_bytes(record.secret.as_bytes().to_vec()))))
}

impl FromRequest<Arc<WalletState>> for CardSigned {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &Arc<WalletState>) -> Result<Self, V1Error> {
        let received = Received::read(req).await?;
        let key = match received.authorization.as_deref().map(CardAuthHeader::parse) {
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
        let mut pending = Pending::default();
        let checked = signing::authenticate_card(
            received.authorization.as_deref(),
            &received.signed_parts(),
            crate::server::now(),
            |_| Ok::<_, Infallible>(key.as_ref().map(|k| &k[..])),
            &mut pending,
        );
        let card = match checked {
            Ok(card) => card,
            Err(failed) => {
                state.failures.count(
                    crate::server::admin::tally::Refused::Wallet,
                    None,
                    received.client,
                );
                return Channel::Wallet.refuse(&state.clients, received.client, failed);
            }
        };
        Ok(CardSigned {
            card: CardKey {
                prefix: card.prefix,
                token: card.token,
            },
            nonce: pending.into_nonce()?,
            body: received.body,
            json_body: received.json_body,
        })
    }
}
