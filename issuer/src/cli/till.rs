//! `paycode till …`: the native merchant client on the command line, over
//! the signed merchant API (docs/MERCHANT_API.md). The API key is read from
//! `--key-file` only, and never printed.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use super::args::{self, ArgError, Parsed};
use super::{status, Failure, KindedError, Output};
use crate::money::parse_amount;
use crate::till::wire::PayRequest;
use crate::till::{
    new_out_trade_no, Credentials, Endpoint, EndpointError, SaleOutcome, TillClient, TillConfig,
    TillError,
};

const COMMON: [&str; 5] = [
    "key-file",
    "url",
    "timeout-ms",
    "poll-interval-ms",
    "poll-for-ms",
];

impl KindedError for EndpointError {
    fn error_kind(&self) -> &'static str {
        "bad_url"
    }
}

pub(super) fn run(words: &[String], now: u64) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("pay, query, reverse or refund after till").into());
    };
    match sub.as_str() {
        "pay" => pay(rest, now),
        "query" => by_order_no(rest, Lookup::Query),
        "reverse" => by_order_no(rest, Lookup::Reverse),
        "refund" => refund(rest),
        other => Err(ArgError::UnknownCommand(format!("till {other}")).into()),
    }
}

fn options(extra: &[&'static str]) -> Vec<&'static str> {
    COMMON.iter().chain(extra).copied().collect()
}

fn client(a: &Parsed) -> Result<TillClient, Failure> {
    let key_file = a
        .get("key-file")
        .ok_or(ArgError::MissingArgument("--key-file F"))?;
    let url = a.get("url").ok_or(ArgError::MissingArgument("--url URL"))?;
    let credentials = Credentials::load(Path::new(key_file))?;
    let endpoint = Endpoint::parse(url)?;
    let mut config = TillConfig::default();
    let ms = |name: &str, default: Duration| -> Result<Duration, Failure> {
        let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        Ok(Duration::from_millis(a.number(name, default, 3_600_000)?))
    };
    config.request_timeout = ms("timeout-ms", config.request_timeout)?;
    config.poll_interval = ms("poll-interval-ms", config.poll_interval)?;
    config.poll_for = ms("poll-for-ms", config.poll_for)?;
    Ok(TillClient::new(endpoint, credentials, config))
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            kind: "runtime".into(),
            message: format!("cannot start the async runtime: {e}"),
        })?;
    Ok(runtime.block_on(future))
}

/// An API answer, or an error as `{"error", "message"}` (with the API's
/// `code` and `http_status` when the issuer answered one).
fn answer<T: serde::Serialize>(result: Result<T, TillError>) -> Output {
    match result {
        Ok(value) => Output::json(status::OK, json!(value)),
        Err(e) => error_output(&e),
    }
}

fn error_output(e: &TillError) -> Output {
    let mut value = json!({ "error": e.kind(), "message": e.to_string() });
    if let TillError::Api { status, error } = e {
        value["code"] = Value::from(error.code.clone());
        value["http_status"] = Value::from(*status);
    }
    Output::json(status::ERROR, value)
}

fn pay(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(
        words,
        &options(&["amount", "out-trade-no", "description"]),
        &[],
    )?;
    let code = a.single_positional("the payment CODE")?;
    let amount = parse_amount(
        a.get("amount")
            .ok_or(ArgError::MissingArgument("--amount YUAN"))?,
    )?;
    let out_trade_no = a
        .get("out-trade-no")
        .map_or_else(|| new_out_trade_no(now), str::to_owned);
    let client = client(&a)?;
    let request = PayRequest {
        out_trade_no: out_trade_no.clone(),
        auth_code: code.to_owned(),
        amount: amount.to_string(),
        currency: "CNY".into(),
        description: a.get("description").map(str::to_owned),
    };
    let outcome = match block_on(client.sale(&request))? {
        Ok(outcome) => outcome,
        Err(e) => return Ok(error_output(&e)),
    };
    let exit = match &outcome {
        o if o.is_paid() => status::APPROVED,
        SaleOutcome::Unresolved { .. } => status::ERROR,
        _ => status::REJECTED,
    };
    let mut value = json!(outcome);
    value["paid"] = Value::from(outcome.is_paid());
    value["out_trade_no"] = Value::from(out_trade_no.clone());
    if let SaleOutcome::Unresolved { .. } = outcome {
        value["message"] = Value::from(format!(
            "no final answer and the reverse was not answered: the sale is unpaid; \
             run paycode till reverse {out_trade_no} once the issuer is reachable"
        ));
    }
    Ok(Output::json(exit, value))
}

enum Lookup {
    Query,
    Reverse,
}

fn by_order_no(words: &[String], lookup: Lookup) -> Result<Output, Failure> {
    let a = args::parse(words, &options(&[]), &[])?;
    let out_trade_no = a.single_positional("OUT_TRADE_NO")?;
    let client = client(&a)?;
    Ok(answer(block_on(async {
        match lookup {
            Lookup::Query => client.query(out_trade_no).await,
            Lookup::Reverse => client.reverse(out_trade_no).await,
        }
    })?))
}

fn refund(words: &[String]) -> Result<Output, Failure> {
    let a = args::parse(words, &options(&["out-refund-no", "amount"]), &[])?;
    let out_trade_no = a.single_positional("OUT_TRADE_NO")?;
    let out_refund_no = a
        .get("out-refund-no")
        .ok_or(ArgError::MissingArgument("--out-refund-no R"))?;
    let amount = a
        .get("amount")
        .ok_or(ArgError::MissingArgument("--amount YUAN"))?;
    parse_amount(amount)?;
    let client = client(&a)?;
    Ok(answer(block_on(client.refund(
        out_trade_no,
        out_refund_no,
        amount,
    ))?))
}
