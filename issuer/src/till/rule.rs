//! The till rule (docs/MERCHANT_API.md, "The till rule"), as WeChat Pay's
//! micropay and Alipay's trade.pay have it: a payment whose outcome is not
//! known (no answer, a server error, USERPAYING) is queried every few
//! seconds; if it is still not final when the time is up, it is reversed,
//! so that the till and the issuer always agree on whether the sale was paid.

use serde::Serialize;
use tokio::time::{sleep, Instant};

use super::wire::{PayRequest, Payment};
use super::{TillClient, TillError};

/// How a sale ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SaleOutcome {
    /// The issuer's final answer, from the payment itself or a query:
    /// SUCCESS, FAILED, CLOSED, REVERSED.
    Settled { payment: Payment },
    /// No final answer in time; the till reversed it. Not paid (REVERSED:
    /// the money is on its way back; CLOSED: none moved).
    Reversed { payment: Payment },
    /// Not even the reverse got an answer. Not paid as far as the till
    /// knows; the out_trade_no must be reversed once the issuer is back.
    Unresolved {
        #[serde(serialize_with = "as_text")]
        last_error: TillError,
    },
}

fn as_text<S: serde::Serializer>(e: &TillError, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&e.to_string())
}

impl SaleOutcome {
    /// Whether the customer has paid.
    pub fn is_paid(&self) -> bool {
        match self {
            Self::Settled { payment } => payment.status.is_paid(),
            Self::Reversed { .. } | Self::Unresolved { .. } => false,
        }
    }
}

impl TillClient {
    /// Takes a payment by the till rule. `Err` only when the issuer refused
    /// the request itself (a 4xx other than 429: nothing was charged) or it
    /// was refused before sending.
    pub async fn sale(&self, request: &PayRequest) -> Result<SaleOutcome, TillError> {
        let started = Instant::now();
        let mut last_error = match self.pay(request).await {
            Ok(payment) if payment.status.is_final() => {
                return Ok(SaleOutcome::Settled { payment })
            }
            Ok(_pending) => None,
            Err(e) if e.outcome_unknown() => Some(e),
            Err(e) => return Err(e),
        };
        let deadline = started + self.config.poll_for;
        // At least one query, even if the payment itself took all the time.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            sleep(left.min(self.config.poll_interval)).await;
            match self.query(&request.out_trade_no).await {
                Ok(payment) if payment.status.is_final() => {
                    return Ok(SaleOutcome::Settled { payment })
                }
                Ok(_pending) => {}
                // NOT_FOUND too: the payment may still be on its way.
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        Ok(self
            .reverse_with_retries(&request.out_trade_no, last_error)
            .await)
    }

    async fn reverse_with_retries(
        &self,
        out_trade_no: &str,
        mut last_error: Option<TillError>,
    ) -> SaleOutcome {
        for attempt in 0..self.config.reverse_tries.max(1) {
            if attempt > 0 {
                sleep(self.config.reverse_pause).await;
            }
            match self.reverse(out_trade_no).await {
                Ok(payment) if payment.status.is_paid() => {
                    // Refunded meanwhile (not by this till): that is final.
                    return SaleOutcome::Settled { payment };
                }
                Ok(payment) => return SaleOutcome::Reversed { payment },
                Err(e) => {
                    let retry = e.outcome_unknown();
                    last_error = Some(e);
                    if !retry {
                        break;
                    }
                }
            }
        }
        SaleOutcome::Unresolved {
            last_error: last_error.unwrap_or(TillError::Timeout),
        }
    }
}
