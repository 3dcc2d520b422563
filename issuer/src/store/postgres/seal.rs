//! Sealing the keys of a database from before keys were sealed: run once,
//! in the migrating transaction (under the migration lock), so every key
//! is sealed or none is.

use deadpool_postgres::Transaction;

use super::rows::{get_int, pg_err};
use crate::custody::{KeyOwner, Vault, KEY_VERSION};
use crate::secret::SecretKey;
use crate::store::{CardKey, StoreError};

pub(super) async fn seal_plain_keys(tx: &Transaction<'_>, vault: &Vault) -> Result<(), StoreError> {
    let cards = tx
        .query("SELECT prefix, token, secret FROM cards", &[])
        .await
        .map_err(pg_err)?;
    for row in &cards {
        let key = CardKey {
            prefix: get_int(row, 0)?,
            token: get_int(row, 1)?,
        };
        let plain = SecretKey::from_slice(row.try_get::<_, &[u8]>(2).map_err(pg_err)?);
        tx.execute(
            "UPDATE cards SET secret = $3 WHERE prefix = $1 AND token = $2",
            &[
                &i64::from(key.prefix),
                &i64::from(key.token),
                // Keys from before sealing are all the first version.
                &vault.seal(KeyOwner::Card(key, KEY_VERSION), &plain),
            ],
        )
        .await
        .map_err(pg_err)?;
    }
    let merchants = tx
        .query("SELECT id, api_key FROM merchants", &[])
        .await
        .map_err(pg_err)?;
    for row in &merchants {
        let id: String = row.try_get(0).map_err(pg_err)?;
        let plain = SecretKey::from_slice(row.try_get::<_, &[u8]>(1).map_err(pg_err)?);
        tx.execute(
            "UPDATE merchants SET api_key = $2 WHERE id = $1",
            &[&id, &vault.seal(KeyOwner::Merchant(&id), &plain)],
        )
        .await
        .map_err(pg_err)?;
    }
    Ok(())
}
