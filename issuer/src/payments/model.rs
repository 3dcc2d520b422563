//! The typed outcomes of the payment service, serialised the same way for
//! the CLI and the merchant API. Amounts are yuan strings ("12.50").

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Fen;

/// Where a payment stands. Terminal: FAILED, CLOSED, REVERSED, REFUNDED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Success,
    /// Waiting for the payer's PIN until the deadline.
    Userpaying,
    Failed,
    Closed,
    Reversed,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        Self::Success,
        Self::Userpaying,
        Self::Failed,
        Self::Closed,
        Self::Reversed,
        Self::Refunded,
        Self::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Userpaying => "USERPAYING",
            Self::Failed => "FAILED",
            Self::Closed => "CLOSED",
            Self::Reversed => "REVERSED",
            Self::Refunded => "REFUNDED",
            Self::PartiallyRefunded => "PARTIALLY_REFUNDED",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether money moved to the merchant (it may since have gone back).
    pub fn was_paid(self) -> bool {
        matches!(
            self,
            Self::Success | Self::Reversed | Self::Refunded | Self::PartiallyRefunded
        )
    }
}

/// Why a request did not (or could not) succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Malformed, unknown card or bad MAC: one answer for all three.
    AuthCodeInvalid,
    AuthCodeExpired,
    AuthCodeUsed,
    InsufficientFunds,
    CardLocked,
    CardRevoked,
    /// A genuine code of a card whose key has expired.
    CardExpired,
    BankDeclined,
    AmountInvalid,
    CurrencyUnsupported,
    /// A used out_trade_no with another auth_code, amount or currency.
    OutTradeNoConflict,
    /// A used out_refund_no with another payment or amount.
    OutRefundNoConflict,
    /// Not an out_trade_no / out_refund_no of 1–32 of [A-Za-z0-9_-].
    InvalidRequest,
    NotFound,
    /// Only SUCCESS and PARTIALLY_REFUNDED payments can be refunded.
    PaymentNotRefundable,
    /// The refunds would add up to more than was paid.
    RefundExceedsPayment,
    /// A payment with refunds cannot be reversed; refund the rest instead.
    PaymentRefunded,
    /// The payer declined a USERPAYING payment on their phone.
    PayerDeclined,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 18] = [
        Self::AuthCodeInvalid,
        Self::AuthCodeExpired,
        Self::AuthCodeUsed,
        Self::InsufficientFunds,
        Self::CardLocked,
        Self::CardRevoked,
        Self::CardExpired,
        Self::BankDeclined,
        Self::AmountInvalid,
        Self::CurrencyUnsupported,
        Self::OutTradeNoConflict,
        Self::OutRefundNoConflict,
        Self::InvalidRequest,
        Self::NotFound,
        Self::PaymentNotRefundable,
        Self::RefundExceedsPayment,
        Self::PaymentRefunded,
        Self::PayerDeclined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthCodeInvalid => "AUTH_CODE_INVALID",
            Self::AuthCodeExpired => "AUTH_CODE_EXPIRED",
            Self::AuthCodeUsed => "AUTH_CODE_USED",
            Self::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Self::CardLocked => "CARD_LOCKED",
            Self::CardRevoked => "CARD_REVOKED",
            Self::CardExpired => "CARD_EXPIRED",
            Self::BankDeclined => "BANK_DECLINED",
            Self::AmountInvalid => "AMOUNT_INVALID",
            Self::CurrencyUnsupported => "CURRENCY_UNSUPPORTED",
            Self::OutTradeNoConflict => "OUT_TRADE_NO_CONFLICT",
            Self::OutRefundNoConflict => "OUT_REFUND_NO_CONFLICT",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::NotFound => "NOT_FOUND",
            Self::PaymentNotRefundable => "PAYMENT_NOT_REFUNDABLE",
            Self::RefundExceedsPayment => "REFUND_EXCEEDS_PAYMENT",
            Self::PaymentRefunded => "PAYMENT_REFUNDED",
            Self::PayerDeclined => "PAYER_DECLINED",
        }
    }

    pub fn parse(text: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// A fixed message per code: nothing about the card or the request is
    /// echoed, so AUTH_CODE_INVALID reads the same for every cause.
    pub fn message(self) -> &'static str {
        match self {
            Self::AuthCodeInvalid => "the payment code is not valid; ask for a fresh code",
            Self::AuthCodeExpired => "the payment code has expired; ask for a fresh code",
            Self::AuthCodeUsed => "the payment code was already used; ask for a fresh code",
            Self::InsufficientFunds => "the funding source does not hold enough money",
            Self::CardLocked => "too many failed codes for this card at this merchant; try later",
            Self::CardRevoked => "the card has been revoked",
            Self::CardExpired => "the card's key has expired",
            Self::BankDeclined => "the bank declined the payment",
            Self::AmountInvalid => "the amount must be yuan like 12.50, from 0.01 to 99999999.99",
            Self::CurrencyUnsupported => "only CNY is accepted",
            Self::OutTradeNoConflict => {
                "this out_trade_no was already used with another auth_code, amount or currency"
            }
            Self::OutRefundNoConflict => {
                "this out_refund_no was already used for another payment or amount"
            }
            Self::InvalidRequest => "out_trade_no and out_refund_no are 1 to 32 of A-Z a-z 0-9 _ -",
            Self::NotFound => "this merchant sent no payment with this out_trade_no",
            Self::PaymentNotRefundable => "only a successful payment can be refunded",
            Self::RefundExceedsPayment => "the refunds would exceed the amount paid",
            Self::PaymentRefunded => "a refunded payment cannot be reversed; refund the rest",
            Self::PayerDeclined => "the payer declined the payment on their phone",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"code", "message"}` in answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl From<ErrorCode> for ErrorBody {
    fn from(code: ErrorCode) -> ErrorBody {
        ErrorBody {
            code,
            message: code.message().to_owned(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FundingKind {
    Balance,
    Debit,
}

impl FundingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Balance => "balance",
            Self::Debit => "debit",
        }
    }

    pub fn parse(text: &str) -> Option<FundingKind> {
        [Self::Balance, Self::Debit]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// The source that paid (or was to pay): `{"kind", "label"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFunding {
    /// The card's funding index; not in answers.
    #[serde(skip)]
    pub index: u8,
    pub kind: FundingKind,
    /// "Balance", "ICBC ••1234".
    pub label: String,
}

/// A payment as answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub status: PaymentStatus,
    pub payment_id: String,
    pub out_trade_no: String,
    /// Absent for an out_trade_no first seen by a reversal.
    #[serde(
        with = "yuan::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub amount: Option<Fen>,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<PaymentFunding>,
    /// The sum refunded so far, when there are refunds.
    #[serde(
        with = "yuan::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub refunded: Option<Fen>,
    /// USERPAYING closes at this unix second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// Only when FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// A refund as answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    #[serde(with = "yuan")]
    pub amount: Fen,
    /// The payment's status after this refund.
    pub payment_status: PaymentStatus,
}

/// Fen as yuan strings in JSON.
pub mod yuan {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::money::{parse_amount, Fen};

    pub fn serialize<S: Serializer>(fen: &Fen, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(fen)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
        let text = String::deserialize(d)?;
        parse_amount(&text).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(fen: &Option<Fen>, s: S) -> Result<S::Ok, S::Error> {
            match fen {
                Some(f) => s.collect_str(f),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Fen>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|t| parse_amount(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_screaming_snake_and_parse_back() {
        for s in PaymentStatus::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        for c in ErrorCode::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            assert!(!c.message().is_empty());
        }
    }

    #[test]
    fn payment_json_has_yuan_strings_and_round_trips() {
        let p = Payment {
            status: PaymentStatus::Failed,
            payment_id: "pay_1".into(),
            out_trade_no: "T1".into(),
            amount: Some(Fen::from_yuan(12, 50)),
            currency: "CNY".into(),
            funding: Some(PaymentFunding {
                index: 0,
                kind: FundingKind::Balance,
                label: "Balance".into(),
            }),
            refunded: None,
            deadline: None,
            error: Some(ErrorCode::InsufficientFunds.into()),
        };
        let v: serde_json::Value = serde_json::to_value(&p).unwrap();
        assert_eq!(v["amount"], "12.50");
        assert_eq!(v["funding"]["kind"], "balance");
        assert_eq!(v["error"]["code"], "INSUFFICIENT_FUNDS");
        assert!(v.get("refunded").is_none());
        let back: Payment = serde_json::from_value(v).unwrap();
        assert_eq!(back.amount, p.amount);
        assert_eq!(back.error, p.error);
    }
}
