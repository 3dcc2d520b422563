//! From PostgreSQL rows to records, and errors to [`StoreError`].

use paycode_wallet::core::funding::Funding;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

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

/// The server's own words where it gave any (they name no parameter
/// values, so no secret); a connection failure says so.
pub(super) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == SqlState::UNIQUE_VIOLATION {
            return StoreError::Duplicate;
        }
        // Class 08 (connection exception) and the server shutting down or
        // starting up: the request did not run.
        let code = db.code().code();
        if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03") {
            return StoreError::Unavailable(format!("PostgreSQL: {} ({code})", db.message()));
        }
        return StoreError::Database(format!(
            "PostgreSQL: {} ({})",
            db.message(),
            db.code().code()
        ));
    }
    if e.is_closed() {
        return StoreError::Unavailable("the connection to PostgreSQL is closed".into());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    // No answer from the server at all: the connection or I/O failed.
    StoreError::Unavailable(format!("PostgreSQL: {text}"))
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(super) fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

/// A BIGINT column read as a narrower unsigned type.
pub(super) fn get_int<T: TryFrom<i64>>(row: &Row, i: usize) -> Result<T, StoreError> {
    T::try_from(get::<i64>(row, i)?).map_err(|_| corrupt("an integer out of range"))
}

fn get_opt_int<T: TryFrom<i64>>(row: &Row, i: usize) -> Result<Option<T>, StoreError> {
    get::<Option<i64>>(row, i)?
        .map(|v| T::try_from(v).map_err(|_| corrupt("an integer out of range")))
        .transpose()
}

fn get_fen(row: &Row, i: usize) -> Result<Fen, StoreError> {
    Fen::new(get_int(row, i)?).ok_or_else(|| corrupt("an amount out of range"))
}

/// Funding is kept as a JSON array of link values, as in SQLite.
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

pub(super) fn read_card(row: &Row, vault: &Vault) -> Result<CardRecord, StoreError> {
    let key = CardKey {
        prefix: get_int(row, 0)?,
        token: get_int(row, 1)?,
    };
    let key_version = get_int(row, 10)?;
    let secret = vault.open(KeyOwner::Card(key, key_version), get::<&[u8]>(row, 4)?)?;
    Ok(CardRecord {
        key,
        length: get_int(row, 2)?,
        issuer: get(row, 3)?,
        secret,
        period: get_int(row, 5)?,
        funding: funding_of(get(row, 6)?)?,
        created: get_int(row, 7)?,
        fall_through: get(row, 8)?,
        revoked: get(row, 9)?,
        key_version,
        expires: get_opt_int(row, 11)?,
    })
}

pub(super) fn read_charge(row: &Row) -> Result<ChargeRecord, StoreError> {
    Ok(ChargeRecord {
        id: get(row, 0)?,
        card: CardKey {
            prefix: get_int(row, 1)?,
            token: get_int(row, 2)?,
        },
        code: get(row, 3)?,
        amount: get_fen(row, 4)?,
        status: ChargeStatus::parse(get(row, 5)?)
            .ok_or_else(|| corrupt("unknown charge status"))?,
        funding: get_int(row, 6)?,
        merchant: get(row, 7)?,
        at: get_int(row, 8)?,
    })
}

pub(super) fn read_merchant(row: &Row, vault: &Vault) -> Result<MerchantRecord, StoreError> {
    let id: String = get(row, 0)?;
    let api_key = vault.open(KeyOwner::Merchant(&id), get::<&[u8]>(row, 2)?)?;
    Ok(MerchantRecord {
        id,
        name: get(row, 1)?,
        api_key,
        created: get_int(row, 3)?,
    })
}

pub(super) fn read_posting(row: &Row) -> Result<Posting, StoreError> {
    Ok(Posting {
        journal: get(row, 0)?,
        kind: JournalKind::parse(get(row, 1)?).ok_or_else(|| corrupt("unknown journal kind"))?,
        reference: get(row, 2)?,
        account: Account::parse(get(row, 3)?).ok_or_else(|| corrupt("unknown account id"))?,
        amount: get(row, 4)?,
    })
}

pub(super) fn read_payment(row: &Row) -> Result<PaymentRecord, StoreError> {
    let prefix: Option<u8> = get_opt_int(row, 8)?;
    let token: Option<u32> = get_opt_int(row, 9)?;
    let index: Option<u8> = get_opt_int(row, 10)?;
    let kind: Option<&str> = get(row, 11)?;
    let label: Option<String> = get(row, 12)?;
    let error: Option<&str> = get(row, 13)?;
    let funding = match (index, kind, label) {
        (Some(index), Some(kind), Some(label)) => Some(PaymentFunding {
            index,
            kind: FundingKind::parse(kind).ok_or_else(|| corrupt("unknown funding kind"))?,
            label,
        }),
        _ => None,
    };
    Ok(PaymentRecord {
        id: get(row, 0)?,
        merchant: get(row, 1)?,
        out_trade_no: get(row, 2)?,
        fingerprint: get(row, 3)?,
        amount: get_opt_int::<u64>(row, 4)?
            .map(|a| Fen::new(a).ok_or_else(|| corrupt("a payment amount out of range")))
            .transpose()?,
        currency: get(row, 5)?,
        description: get(row, 6)?,
        status: PaymentStatus::parse(get(row, 7)?)
            .ok_or_else(|| corrupt("unknown payment status"))?,
        card: prefix
            .zip(token)
            .map(|(prefix, token)| CardKey { prefix, token }),
        funding,
        error: error
            .map(|e| ErrorCode::parse(e).ok_or_else(|| corrupt("unknown error code")))
            .transpose()?,
        created: get_int(row, 14)?,
        deadline: get_opt_int(row, 15)?,
        allowance_day: get(row, 16)?,
    })
}

pub(super) fn read_refund(row: &Row) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: get(row, 0)?,
        merchant: get(row, 1)?,
        out_refund_no: get(row, 2)?,
        payment_id: get(row, 3)?,
        amount: get_fen(row, 4)?,
        created: get_int(row, 5)?,
    })
}

pub(super) fn read_audit(row: &Row) -> Result<AuditRecord, StoreError> {
    let prefix: Option<u8> = get_opt_int(row, 3)?;
    let token: Option<u32> = get_opt_int(row, 4)?;
    Ok(AuditRecord {
        seq: get(row, 0)?,
        event: AuditEvent {
            at: get_int(row, 1)?,
            kind: AuditKind::parse(get(row, 2)?)
                .ok_or_else(|| corrupt("an unknown audit event"))?,
            card: prefix
                .zip(token)
                .map(|(prefix, token)| CardKey { prefix, token }),
            merchant: get(row, 5)?,
            address: get(row, 6)?,
            count: get_int(row, 7)?,
            detail: get(row, 8)?,
        },
    })
}

/// Columns prefix, token, created, expires_at, redeemed_at.
pub(super) fn read_activation(
    row: &Row,
    code_hash: &CodeHash,
) -> Result<ActivationRecord, StoreError> {
    let redeemed: Option<i64> = get(row, 4)?;
    Ok(ActivationRecord {
        code_hash: *code_hash,
        card: CardKey {
            prefix: get_int(row, 0)?,
            token: get_int(row, 1)?,
        },
        created: get_int(row, 2)?,
        expires_at: get_int(row, 3)?,
        redeemed_at: redeemed
            .map(|v| u64::try_from(v).map_err(|_| corrupt("a negative time")))
            .transpose()?,
    })
}
