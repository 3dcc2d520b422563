//! The JSON bodies of the merchant API, as docs/MERCHANT_API.md gives them.
//! Answers are read leniently (unknown fields ignored, a status this client
//! does not know kept as `Unknown`), as the doc asks of clients.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayRequest {
    pub out_trade_no: String,
    pub auth_code: String,
    /// Yuan, two decimals: "12.50".
    pub amount: String,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Success,
    Userpaying,
    Failed,
    Closed,
    Reversed,
    Refunded,
    PartiallyRefunded,
    /// A status added after this client was written.
    #[serde(other)]
    Unknown,
}

impl PaymentStatus {
    /// Whether the till rule stops here: the issuer's answer will not change
    /// by itself (refunds aside).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Userpaying | Self::Unknown)
    }

    /// Whether the payer's money reached the merchant (and stayed, at
    /// least in part).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Success | Self::PartiallyRefunded | Self::Refunded
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingUsed {
    /// `balance` or `debit`.
    pub kind: String,
    pub label: String,
}

/// `{"code", "message"}`, in a FAILED payment or an error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub error: WireError,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub status: PaymentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<FundingUsed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub amount: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<PaymentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_answers() {
        let p: Payment = serde_json::from_str(
            r#"{"status":"SUCCESS","payment_id":"p_1","out_trade_no":"T1","amount":"12.50",
                "currency":"CNY","funding":{"kind":"balance","label":"Balance"},"later":1}"#,
        )
        .unwrap();
        assert_eq!(p.status, PaymentStatus::Success);
        assert_eq!(p.funding.unwrap().label, "Balance");
        let p: Payment =
            serde_json::from_str(r#"{"status":"PARTIALLY_REFUNDED","out_trade_no":"T1"}"#).unwrap();
        assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
        let p: Payment =
            serde_json::from_str(r#"{"status":"ON_HOLD","out_trade_no":"T1"}"#).unwrap();
        assert_eq!(p.status, PaymentStatus::Unknown);
        assert!(!p.status.is_final());
    }

    #[test]
    fn a_pay_request_omits_an_absent_description() {
        let r = PayRequest {
            out_trade_no: "T1".into(),
            auth_code: "13".into(),
            amount: "1.00".into(),
            currency: "CNY".into(),
            description: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"out_trade_no":"T1","auth_code":"13","amount":"1.00","currency":"CNY"}"#
        );
    }
}
