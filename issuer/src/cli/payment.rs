//! `paycode payment confirm PAYMENT_ID`: the issuer-side PIN confirmation
//! of a USERPAYING payment, as the payer's phone will do it (tests and
//! demos use this; the PIN never travels through the till).

use std::sync::Arc;

use super::{args, open_store, status, ArgError, Failure, Output};
use crate::bank::DemoBank;
use crate::payments::{ErrorCode, PaymentConfig, PaymentError, PaymentService};
use crate::store::{Store, TxMode};

pub(super) fn cmd_payment(words: &[String], now: u64) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("a subcommand: payment confirm PAYMENT_ID").into());
    };
    if sub != "confirm" {
        return Err(ArgError::UnknownCommand(format!("payment {sub}")).into());
    }
    let a = args::parse(rest, &["db", "at"], &[])?;
    let id = a.single_positional("the PAYMENT_ID")?.to_owned();
    let at = a.number("at", now, u64::MAX)?;
    let service = PaymentService::new(PaymentConfig::default(), Arc::new(DemoBank::new()));
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Write)?;
    let payment = service.confirm(tx.as_mut(), &id, at).map_err(|e| match e {
        // The service's NOT_FOUND speaks to a merchant of its out_trade_no;
        // here the operator gave a payment id.
        PaymentError::Refused(ErrorCode::NotFound) => Failure {
            kind: ErrorCode::NotFound.as_str().to_owned(),
            message: "no payment has this payment id".to_owned(),
        },
        PaymentError::Refused(code) => Failure {
            kind: code.as_str().to_owned(),
            message: code.message().to_owned(),
        },
        PaymentError::Store(e) => Failure::from(e),
    })?;
    tx.commit()?;
    let value = serde_json::to_value(&payment).map_err(|e| Failure {
        kind: "internal".into(),
        message: e.to_string(),
    })?;
    Ok(Output::json(status::OK, value))
}
