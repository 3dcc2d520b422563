//! From SQLite rows to records and back.

use paycode_wallet::core::funding::Funding;
use rusqlite::Row;

use crate::custody::{KeyOwner, Vault};
use crate::money::Fen;
use crate::payments::{ErrorCode, FundingKind, PaymentFunding, PaymentStatus};
use crate::store::{
    Account, ActivationRecord, AuditEvent, AuditKind, AuditRecord, CardKey, CardRecord,
    ChargeRecord, ChargeStatus, CodeHash, JournalKind, MerchantRecord, PaymentRecord, Posting,
    RefundRecord, StoreError,
};

pub(super) const PAYMENT_COLUMNS: &str = "id, merchant, out_trade_no, fingerprint, amount_fen, \
    currency, description, status, prefix, token, funding_index, funding_kind, funding_label, \
    error, created, deadline, allowance_day";

pub(super) const REFUND_COLUMNS: &str = "id, merchant, out_refund_no, payment, amount_fen, created";

pub(super) fn db_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                        | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                ) =>
        {
            StoreError::Duplicate
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt(e.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

pub(super) fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn get<T: rusqlite::types::FromSql>(row: &Row<'_>, i: usize) -> Result<T, StoreError> {
    row.get(i).map_err(db_err)
}

fn get_u64(row: &Row<'_>, i: usize) -> Result<u64, StoreError> {
    let v: i64 = get(row, i)?;
    u64::try_from(v).map_err(|_| corrupt("a negative time or amount"))
}

fn get_fen(row: &Row<'_>, i: usize) -> Result<Fen, StoreError> {
    Fen::new(get_u64(row, i)?).ok_or_else(|| corrupt("an amount out of range"))
}

/// Funding is kept as a JSON array of link values ("balance",
/// "debit:ICBC:1234") and handed out typed: parsed here, once.
pub(super) fn funding_text(funding: &[Funding]) -> Result<String, StoreError> {
    let values: Vec<String> = funding.iter().map(Funding::to_link_value).collect();
    serde_json::to_string(&values).map_err(|e| StoreError::Database(e.to_string()))
}

fn funding_of(text: &str) -> Result<Vec<Funding>, StoreError> {
    let values: Vec<String> =
        serde_json::from_str(text).map_err(|_| corrupt("a card's funding list"))?;
    values
        .iter()
        .map(|v| Funding::parse(v).map_err(|_| corrupt("a card's funding source")))
        .collect()
}

pub(super) fn read_card(row: &Row<'_>, vault: &Vault) -> Result<CardRecord, StoreError> {
    let key = CardKey {
        prefix: get(row, 0)?,
        token: get(row, 1)?,
    };
    // Opened straight from SQLite's buffer into zeroizing memory.
    let sealed = row
        .get_ref(4)
        .and_then(|v| Ok(v.as_blob()?))
        .map_err(db_err)?;
    let key_version: u32 = get(row, 10)?;
    let secret = vault.open(KeyOwner::Card(key, key_version), sealed)?;
    let funding: String = get(row, 6)?;
    let expires: Option<i64> = get(row, 11)?;
    Ok(CardRecord {
        key,
        length: get(row, 2)?,
        issuer: get(row, 3)?,
        secret,
        period: get(row, 5)?,
        funding: funding_of(&funding)?,
        created: get_u64(row, 7)?,
        fall_through: get(row, 8)?,
        revoked: get(row, 9)?,
        key_version,
        expires: expires
            .map(|e| u64::try_from(e).map_err(|_| corrupt("a negative expiry")))
            .transpose()?,
    })
}

pub(super) fn read_charge(row: &Row<'_>) -> Result<ChargeRecord, StoreError> {
    let status: String = get(row, 5)?;
    Ok(ChargeRecord {
        id: get(row, 0)?,
        card: CardKey {
            prefix: get(row, 1)?,
            token: get(row, 2)?,
        },
        code: get(row, 3)?,
        amount: get_fen(row, 4)?,
        status: ChargeStatus::parse(&status).ok_or_else(|| corrupt("unknown charge status"))?,
        funding: get(row, 6)?,
        merchant: get(row, 7)?,
        at: get_u64(row, 8)?,
    })
}

pub(super) fn read_merchant(row: &Row<'_>, vault: &Vault) -> Result<MerchantRecord, StoreError> {
    let id: String = get(row, 0)?;
    let sealed = row
        .get_ref(2)
        .and_then(|v| Ok(v.as_blob()?))
        .map_err(db_err)?;
    let api_key = vault.open(KeyOwner::Merchant(&id), sealed)?;
    Ok(MerchantRecord {
        id,
        name: get(row, 1)?,
        api_key,
        created: get_u64(row, 3)?,
    })
}

pub(super) fn read_posting(row: &Row<'_>) -> Result<Posting, StoreError> {
    let kind: String = get(row, 1)?;
    let account: String = get(row, 3)?;
    Ok(Posting {
        journal: get(row, 0)?,
        kind: JournalKind::parse(&kind).ok_or_else(|| corrupt("unknown journal kind"))?,
        reference: get(row, 2)?,
        account: Account::parse(&account).ok_or_else(|| corrupt("unknown account id"))?,
        amount: get(row, 4)?,
    })
}

pub(super) fn read_payment(row: &Row<'_>) -> Result<PaymentRecord, StoreError> {
    let status: String = get(row, 7)?;
    let prefix: Option<u8> = get(row, 8)?;
    let token: Option<u32> = get(row, 9)?;
    let index: Option<u8> = get(row, 10)?;
    let kind: Option<String> = get(row, 11)?;
    let label: Option<String> = get(row, 12)?;
    let error: Option<String> = get(row, 13)?;
    let amount: Option<i64> = get(row, 4)?;
    let deadline: Option<i64> = get(row, 15)?;
    let funding = match (index, kind, label) {
        (Some(index), Some(kind), Some(label)) => Some(PaymentFunding {
            index,
            kind: FundingKind::parse(&kind).ok_or_else(|| corrupt("unknown funding kind"))?,
            label,
        }),
        _ => None,
    };
    Ok(PaymentRecord {
        id: get(row, 0)?,
        merchant: get(row, 1)?,
        out_trade_no: get(row, 2)?,
        fingerprint: get(row, 3)?,
        amount: amount
            .map(|a| {
                u64::try_from(a)
                    .ok()
                    .and_then(Fen::new)
                    .ok_or_else(|| corrupt("a payment amount out of range"))
            })
            .transpose()?,
        currency: get(row, 5)?,
        description: get(row, 6)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("unknown payment status"))?,
        card: prefix
            .zip(token)
            .map(|(prefix, token)| CardKey { prefix, token }),
        funding,
        error: error
            .map(|e| ErrorCode::parse(&e).ok_or_else(|| corrupt("unknown error code")))
            .transpose()?,
        created: get_u64(row, 14)?,
        deadline: deadline
            .map(|d| u64::try_from(d).map_err(|_| corrupt("a negative deadline")))
            .transpose()?,
        allowance_day: get(row, 16)?,
    })
}

pub(super) fn read_refund(row: &Row<'_>) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: get(row, 0)?,
        merchant: get(row, 1)?,
        out_refund_no: get(row, 2)?,
        payment_id: get(row, 3)?,
        amount: get_fen(row, 4)?,
        created: get_u64(row, 5)?,
    })
}

pub(super) fn read_audit(row: &Row<'_>) -> Result<AuditRecord, StoreError> {
    let prefix: Option<u8> = get(row, 3)?;
    let token: Option<u32> = get(row, 4)?;
    let kind: String = get(row, 2)?;
    Ok(AuditRecord {
        seq: get(row, 0)?,
        event: AuditEvent {
            at: get_u64(row, 1)?,
            kind: AuditKind::parse(&kind).ok_or_else(|| corrupt("an unknown audit event"))?,
            card: prefix
                .zip(token)
                .map(|(prefix, token)| CardKey { prefix, token }),
            merchant: get(row, 5)?,
            address: get(row, 6)?,
            count: get_u64(row, 7)?,
            detail: get(row, 8)?,
        },
    })
}

/// Columns prefix, token, created, expires_at, redeemed_at.
pub(super) fn read_activation(
    row: &Row<'_>,
    code_hash: &CodeHash,
) -> Result<ActivationRecord, StoreError> {
    let redeemed: Option<i64> = get(row, 4)?;
    Ok(ActivationRecord {
        code_hash: *code_hash,
        card: CardKey {
            prefix: get(row, 0)?,
            token: get(row, 1)?,
        },
        created: get_u64(row, 2)?,
        expires_at: get_u64(row, 3)?,
        redeemed_at: redeemed
            .map(|v| u64::try_from(v).map_err(|_| corrupt("a negative time")))
            .transpose()?,
    })
}
