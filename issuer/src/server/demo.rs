//! The demo routes of `paycode serve --demo`: cards for the wallet page
//! with money on them, and a merchant with its key for the cashier page.
//! Without `--demo` they do not exist (404).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use paycode_wallet::core::code::Layout;
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::limits::DEFAULT_PERIOD;
use serde::Deserialize;
use serde_json::{json, Value};

use super::db::Db;
use super::error::ApiError;
use super::handlers::stored_funding;
use super::pin;
use super::request::{is_json, RawBody};
use crate::activation;
use crate::ledger::topup;
use crate::money::Fen;
use crate::provision::{provision, NewCard, ProvisionError};
use crate::secret::SecretKey;
use crate::store::{MerchantRecord, Store, StoreError, TxMode};
use crate::verifier::random_id;
use zeroize::Zeroizing;

const DEMO_ISSUER: &str = "Demo Bank";
const DEMO_FUNDING: [&str; 2] = ["balance", "debit:ICBC:1234"];
/// What a demo card starts with: its balance, and its demo-bank account.
const DEMO_MONEY: [Fen; 2] = [Fen::from_yuan(1000, 0), Fen::from_yuan(5000, 0)];
const DEMO_SHOP: &str = "Demo shop";
const MAX_NAME_CHARS: usize = 64;

fn store_error(e: StoreError) -> ApiError {
    ApiError::from(e)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardBody {
    /// The PIN the payer chose in the wallet (six digits).
    #[serde(default)]
    pin: Option<String>,
}

/// `POST /api/cards [{"pin"}]`: a new demo card and its money, with the
/// PIN the payer chose in the wallet, or without a PIN (the wallet then
/// sets one over the card channel, `POST /v1/wallet/pin`). The PIN is never
/// sent back, nor the card's key: the answer's `activation` link carries a
/// one-time code the wallet redeems (`POST /v1/activations/redeem`).
pub(crate) async fn create_card(
    State(demo): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let body: CardBody = if body.0.iter().all(u8::is_ascii_whitespace) {
        CardBody::default()
    } else if !is_json(&headers) {
        return Err(ApiError::unsupported_media_type());
    } else {
        super::request::decode(&body.0)?
    };
    let url = demo.redeem_origin(&headers)?;
    let stored = match body.pin.map(Zeroizing::new) {
        Some(pin) => {
            pin::check_pin(&pin).map_err(|e| ApiError::invalid("bad_pin", e.to_string()))?;
            let hashed = tokio::task::spawn_blocking(move || pin::hash_pin(&pin))
                .await
                .map_err(ApiError::internal)?;
            Some(hashed)
        }
        None => None,
    };
    let now = (demo.clock)();
    let (created, issued) = demo
        .db
        .with_store(move |store| -> Result<_, ProvisionError> {
            let funding = DEMO_FUNDING
                .iter()
                .map(|s| Funding::parse(s))
                .collect::<Result<_, _>>()
                .map_err(|e| ProvisionError::Store(StoreError::Corrupt(e.to_string())))?;
            let record = provision(
                store,
                NewCard {
                    issuer: DEMO_ISSUER.into(),
                    layout: Layout::DEFAULT,
                    period: DEFAULT_PERIOD,
                    funding,
                    at: now,
                    fall_through: false,
                },
            )?;
            // A crash between the two commits leaves a card without a PIN,
            // money or activation; no code for it was ever handed out.
            let mut tx = store.begin(TxMode::Write)?;
            if let Some(stored) = &stored {
                tx.insert_pin(record.key, stored)?;
            }
            for (index, amount) in DEMO_MONEY.iter().enumerate() {
                if let Some(account) = record.source_account(index as u8) {
                    topup(tx.as_mut(), account, *amount, now)
                        .map_err(|e| ProvisionError::Store(StoreError::Database(e.to_string())))?;
                }
            }
            let issued = activation::issue(tx.as_mut(), record.key, now)?;
            tx.commit()?;
            Ok((record, issued))
        })
        .await
        .map_err(|_| ApiError::internal("the writer did not answer"))?
        .map_err(|e| match e {
            ProvisionError::Store(e) => store_error(e),
            other => ApiError::internal(other),
        })?;
    Ok(Json(json!({
        "activation": issued.link(&created.issuer, &url),
        "expires_at": issued.expires_at,
        "token": created.key.token,
        "prefix": created.key.prefix,
        "length": created.length,
        "period": created.period,
        "funding": (0..created.funding.len())
            .map(|i| stored_funding(&created.funding, i as u8))
            .collect::<Vec<_>>(),
    })))
}

/// What the demo routes need besides the database.
pub(crate) struct DemoState {
    pub db: Arc<Db>,
    /// `--public-url`'s origin, where the wallet redeems.
    pub public: Option<String>,
    /// Issuer unix seconds for activations.
    pub clock: fn() -> u64,
}

impl DemoState {
    /// The origin the activation link sends the wallet to: `--public-url`,
    /// else this request's Host (already on the allowlist) over http, which
    /// wallets accept for a loopback host or their own origin.
    fn redeem_origin(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        if let Some(public) = &self.public {
            return Ok(public.clone());
        }
        headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .map(|h| format!("http://{}", h.to_ascii_lowercase()))
            .ok_or_else(|| ApiError::invalid("bad_host", "the request names no usable Host"))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct TillBody {
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api/demo/till [{"name"}]` → `{"merchant", "name", "key"}`: a new
/// demo merchant and its API key, for the cashier page to import as a
/// non-extractable WebCrypto key. The key is in this answer only.
pub(crate) async fn create_till(
    State(demo): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let body: TillBody = if body.0.iter().all(u8::is_ascii_whitespace) {
        TillBody::default()
    } else if !is_json(&headers) {
        return Err(ApiError::unsupported_media_type());
    } else {
        super::request::decode(&body.0)?
    };
    let name = match body.name.as_deref().map(str::trim) {
        None | Some("") => DEMO_SHOP.to_owned(),
        Some(n) if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) => {
            return Err(ApiError::invalid(
                "bad_name",
                format!("a merchant name is 1 to {MAX_NAME_CHARS} characters, without control characters"),
            ))
        }
        Some(n) => n.to_owned(),
    };
    let now = super::now();
    let merchant = MerchantRecord {
        id: random_id("m_", 8),
        name,
        api_key: SecretKey::generate(),
        created: now,
    };
    let key_hex = hex::encode(merchant.api_key.as_bytes());
    let (id, name) = (merchant.id.clone(), merchant.name.clone());
    demo.db
        .write(move |tx, _| tx.insert_merchant(&merchant).map_err(ApiError::from))
        .await?;
    Ok(Json(
        json!({ "merchant": id, "name": name, "key": key_hex }),
    ))
}
