//! The issuer-admin API, `/v1/admin/`: requests signed with the admin key
//! (`PAYCODE-ADMIN`, [`header`]) through the same seam as the merchant
//! and card channels ([`crate::server::signed`]): the clock window, the
//! signature in constant time, a nonce recorded in the same transaction
//! as the effect, one uniform 401, and the per-address limit for failures.
//! A server started without `--admin-key-file` has no admin key, and its
//! admin routes answer 403 `ADMIN_DISABLED` to everyone.
//!
//! - `POST /v1/admin/cards/revoke` `{"prefix": 13, "token": 482913}`:
//!   revokes the card (its codes answer `CARD_REVOKED`), in the audit
//!   trail as by the admin API.

pub mod header;
pub mod key;
pub(crate) mod tally;

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub use header::{admin_authorization, AdminAuthHeader, ADMIN_SCHEME};
pub use key::{AdminKey, AdminKeyError};

use super::db::Db;
use super::rate::RateLimiter;
use super::signed::{Channel, Nonce, Pending, Received};
use super::v1::error::V1Error;
use crate::provision::revoke;
use crate::signing::{verify_and_remember, AuthError, CheckError};
use crate::store::CardKey;
use tally::{FailureTally, Refused};

pub(crate) struct AdminState {
    db: Arc<Db>,
    key: Option<Arc<AdminKey>>,
    clients: Arc<RateLimiter<IpAddr>>,
    failures: Arc<FailureTally>,
}

/// The `/v1/admin/` routes. Merged before the merchant API's catch-all
/// `/v1/{*rest}`, whose more general pattern these win over.
pub(crate) fn router(
    db: Arc<Db>,
    key: Option<Arc<AdminKey>>,
    clients: Arc<RateLimiter<IpAddr>>,
    failures: Arc<FailureTally>,
) -> Router {
    let state = Arc::new(AdminState {
        db,
        key,
        clients,
        failures,
    });
    Router::new()
        .route(
            "/v1/admin/cards/revoke",
            post(revoke_card).fallback(not_found),
        )
        .route("/v1/admin", any(not_found))
        .route("/v1/admin/{*rest}", any(not_found))
        .with_state(state)
}

async fn not_found() -> V1Error {
    V1Error::not_found()
}

/// A request the admin key signed.
struct AdminSigned {
    body: axum::body::Bytes,
    nonce: Nonce,
}

impl FromRequest<Arc<AdminState>> for AdminSigned {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &Arc<AdminState>) -> Result<Self, V1Error> {
        let Some(key) = state.key.as_deref() else {
            return Err(V1Error::new(
                StatusCode::FORBIDDEN,
                "ADMIN_DISABLED",
                "this issuer was started without an admin key (--admin-key-file)",
            ));
        };
        let received = Received::read(req).await?;
        let mut pending = Pending::default();
        let checked = received
            .authorization
            .as_deref()
            .ok_or(AuthError::Missing)
            .and_then(AdminAuthHeader::parse)
            .map_err(CheckError::<Infallible>::Auth)
            .and_then(|header| {
                verify_and_remember(
                    key.as_bytes(),
                    &header,
                    &received.signed_parts(),
                    crate::server::now(),
                    &mut pending,
                )
            });
        if let Err(failed) = checked {
            state.failures.count(Refused::Admin, None, received.client);
            return Channel::Admin.refuse(&state.clients, received.client, failed);
        }
        Ok(AdminSigned {
            body: received.body,
            nonce: pending.into_nonce()?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardNamed {
    prefix: u8,
    token: u32,
}

/// `POST /v1/admin/cards/revoke`.
async fn revoke_card(
    State(state): State<Arc<AdminState>>,
    signed: AdminSigned,
) -> Result<Json<Value>, V1Error> {
    let named: CardNamed = serde_json::from_slice(&signed.body).map_err(|_| {
        V1Error::invalid("the body is {\"prefix\": 10 to 15, \"token\": the card's token id}")
    })?;
    let key = CardKey {
        prefix: named.prefix,
        token: named.token,
    };
    let found = state
        .db
        .write(move |tx, _| {
            signed.nonce.remember(tx, Channel::Admin)?;
            Ok::<_, V1Error>(revoke(tx, key, true, crate::server::now(), "admin api")?)
        })
        .await?;
    if !found {
        return Err(V1Error::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "there is no card with this prefix and token",
        ));
    }
    Ok(Json(json!({
        "prefix": key.prefix, "token": key.token, "revoked": true,
    })))
}
