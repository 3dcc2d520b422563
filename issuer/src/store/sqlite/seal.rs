//! Sealing the keys of a file from before keys were sealed (run once, in
//! the migrating transaction, so a crash leaves either every key sealed
//! or none, and the old version number), and re-sealing keys under a new
//! KEK (`paycode rekey`).

use rusqlite::{params, Connection, Transaction};

use super::rows::db_err;
use crate::custody::{KeyOwner, Vault, KEY_VERSION};
use crate::secret::SecretKey;
use crate::store::{CardKey, StoreError};

pub(super) fn seal_plain_keys(tx: &Transaction<'_>, vault: &Vault) -> Result<(), StoreError> {
    let cards: Vec<(u8, u32, SecretKey)> = {
        let mut select = tx
            .prepare("SELECT prefix, token, secret FROM cards")
            .map_err(db_err)?;
        let rows = select
            .query_map([], |r| {
                let blob = r.get_ref(2)?.as_blob()?;
                Ok((r.get(0)?, r.get(1)?, SecretKey::from_slice(blob)))
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)?
    };
    for (prefix, token, key) in cards {
        // Keys from before sealing are all the first version.
        let sealed = vault.seal(KeyOwner::Card(CardKey { prefix, token }, KEY_VERSION), &key);
        tx.execute(
            "UPDATE cards SET secret = ?3 WHERE prefix = ?1 AND token = ?2",
            rusqlite::params![prefix, token, sealed],
        )
        .map_err(db_err)?;
    }
    let merchants: Vec<(String, SecretKey)> = {
        let mut select = tx
            .prepare("SELECT id, api_key FROM merchants")
            .map_err(db_err)?;
        let rows = select
            .query_map([], |r| {
                Ok((r.get(0)?, SecretKey::from_slice(r.get_ref(1)?.as_blob()?)))
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)?
    };
    for (id, key) in merchants {
        let sealed = vault.seal(KeyOwner::Merchant(&id), &key);
        tx.execute(
            "UPDATE merchants SET api_key = ?2 WHERE id = ?1",
            rusqlite::params![id, sealed],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

/// Re-seals up to `limit` keys whose envelope names another KEK than the
/// current one (bytes 5–12 of the envelope are the KEK id).
pub(super) fn reseal(conn: &Connection, vault: &Vault, limit: u32) -> Result<u32, StoreError> {
    let current = vault.current_id().to_vec();
    let mut done = 0;
    let cards: Vec<(u8, u32, u32, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT prefix, token, key_version, secret FROM cards
             WHERE substr(secret, 5, 8) <> ?1 LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(params![current, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect()
        })
        .map_err(db_err)?;
    for (prefix, token, version, sealed) in cards {
        let owner = KeyOwner::Card(CardKey { prefix, token }, version);
        let key = vault.open(owner, &sealed)?;
        conn.execute(
            "UPDATE cards SET secret = ?3 WHERE prefix = ?1 AND token = ?2",
            params![prefix, token, vault.seal(owner, &key)],
        )
        .map_err(db_err)?;
        done += 1;
    }
    let left = limit.saturating_sub(done);
    let merchants: Vec<(String, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT id, api_key FROM merchants WHERE substr(api_key, 5, 8) <> ?1 LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(params![current, left], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(db_err)?;
    for (id, sealed) in merchants {
        let owner = KeyOwner::Merchant(&id);
        let key = vault.open(owner, &sealed)?;
        conn.execute(
            "UPDATE merchants SET api_key = ?2 WHERE id = ?1",
            params![id, vault.seal(owner, &key)],
        )
        .map_err(db_err)?;
        done += 1;
    }
    Ok(done)
}
