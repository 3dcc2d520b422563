//! The key lifecycle and the audit trail on PostgreSQL: statements of
//! their own, apart from the payment path's pipelined ones.

use super::rows::{clamp_i64, get_int, read_audit};
use super::PgTx;
use crate::custody::KeyOwner;
use crate::secret::SecretKey;
use crate::store::{audit, AuditEvent, AuditRecord, CardKey, StoreError};

/// See [`crate::store::StoreTx::replace_card_key`]. The card row is locked
/// first (`FOR UPDATE`), so two re-provisionings of one card on two nodes
/// make two versions one after the other, never the same one twice.
pub(super) fn replace_card_key(
    tx: &PgTx<'_>,
    key: CardKey,
    secret: &SecretKey,
    expires: Option<u64>,
) -> Result<Option<u32>, StoreError> {
    let (p, t) = (i64::from(key.prefix), i64::from(key.token));
    let Some(old) = tx.first(
        "SELECT key_version FROM cards WHERE prefix = $1 AND token = $2 FOR UPDATE",
        &[&p, &t],
        |r| get_int::<u32>(r, 0),
    )?
    else {
        return Ok(None);
    };
    let version = old
        .checked_add(1)
        .ok_or_else(|| StoreError::Corrupt("a card's key version is at its largest".into()))?;
    let expires_at = expires.map(clamp_i64);
    tx.exec(
        "UPDATE cards SET secret = $3, key_version = $4, expires = $5, revoked = FALSE
         WHERE prefix = $1 AND token = $2",
        &[
            &p,
            &t,
            &tx.vault.seal(KeyOwner::Card(key, version), secret),
            &i64::from(version),
            &expires_at,
        ],
    )?;
    // A card this transaction read ahead holds the old key: give it the new.
    tx.ahead(&key, |a| {
        a.card.secret = secret.clone();
        a.card.key_version = version;
        a.card.expires = expires;
        a.card.revoked = false;
    });
    Ok(Some(version))
}

pub(super) fn append_audit(tx: &PgTx<'_>, e: &AuditEvent) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO audit (at, kind, prefix, token, merchant, address, count, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &clamp_i64(e.at),
            &e.kind.as_str(),
            &e.card.map(|c| i64::from(c.prefix)),
            &e.card.map(|c| i64::from(c.token)),
            &e.merchant,
            &e.address,
            &clamp_i64(e.count.max(1)),
            &audit::bounded(&e.detail),
        ],
    )?;
    Ok(())
}

pub(super) fn audit_events(
    tx: &PgTx<'_>,
    after: i64,
    limit: u32,
) -> Result<Vec<AuditRecord>, StoreError> {
    tx.rows(
        "SELECT seq, at, kind, prefix, token, merchant, address, count, detail
         FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&after, &i64::from(limit)],
        read_audit,
    )
}
