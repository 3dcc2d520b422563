//! `paycode merchant add NAME`.

use serde_json::json;

use super::{args, open_store, status, ArgError, Failure, Output};
use crate::secret::SecretKey;
use crate::store::{MerchantRecord, Store, StoreError, TxMode};
use crate::verifier::random_id;

/// Random tries for an unused merchant id (64 bits: a clash is a bug).
const ID_TRIES: u32 = 4;

pub(super) fn cmd_merchant(words: &[String], now: u64) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("a subcommand: merchant add NAME").into());
    };
    if sub != "add" {
        return Err(ArgError::UnknownCommand(format!("merchant {sub}")).into());
    }
    let a = args::parse(rest, &["db", "at"], &[])?;
    let name = a.single_positional("the merchant NAME")?;
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(super::bad_value(
            "NAME",
            "a merchant name is 1 to 64 characters, without control characters",
        ));
    }
    let at = a.number("at", now, u64::MAX)?;
    let mut store = open_store(&a)?;
    let merchant = add_merchant(&mut store, name, at)?;
    let key: String = merchant
        .api_key
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Output::json(
        status::OK,
        json!({
            "merchant": merchant.id, "name": merchant.name, "created": merchant.created,
            "api_key": key,
            "message": "keep the API key now: it is not shown again",
        }),
    ))
}

/// Stores a merchant with a new id ("m_" + 16 hex) and a 32-byte API key.
pub fn add_merchant(
    store: &mut dyn Store,
    name: &str,
    at: u64,
) -> Result<MerchantRecord, StoreError> {
    for _ in 0..ID_TRIES {
        let merchant = MerchantRecord {
            id: random_id("m_", 8),
            name: name.to_owned(),
            api_key: SecretKey::generate(),
            created: at,
        };
        let mut tx = store.begin(TxMode::Write)?;
        match tx.insert_merchant(&merchant) {
            Ok(()) => {
                tx.commit()?;
                return Ok(merchant);
            }
            Err(StoreError::Duplicate) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Duplicate)
}
