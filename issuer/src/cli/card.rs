//! `paycode card revoke|restore CARD`, `paycode pin reset CARD`, and how
//! commands name a card.

use serde_json::json;

use super::{args, bad_value, open_store, status, ArgError, Failure, Output};
use crate::payments::pin::{pin_failures, reset_pin_failures};
use crate::store::{CardKey, Store, TxMode};

/// CARD is `TOKEN` (with `--prefix`, default 13) or `PREFIX:TOKEN`, as
/// `paycode provision` prints them.
pub(super) fn card_key(word: &str, a: &args::Parsed) -> Result<CardKey, Failure> {
    let (prefix, token) = match word.split_once(':') {
        Some((p, t)) => (p, t),
        None => (a.get("prefix").unwrap_or("13"), word),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    match (
        prefix.parse::<u8>().ok().filter(|_| digits(prefix)),
        token.parse::<u32>().ok().filter(|_| digits(token)),
    ) {
        (Some(prefix), Some(token)) => Ok(CardKey { prefix, token }),
        _ => Err(bad_value(
            "CARD",
            "a card is TOKEN or PREFIX:TOKEN, a merchant its m_ id",
        )),
    }
}

pub(super) fn cmd_card(words: &[String]) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("a subcommand: card revoke|restore CARD").into());
    };
    let revoked = match sub.as_str() {
        "revoke" => true,
        "restore" => false,
        other => return Err(ArgError::UnknownCommand(format!("card {other}")).into()),
    };
    let a = args::parse(rest, &["db", "prefix"], &[])?;
    let key = card_key(a.single_positional("the CARD")?, &a)?;
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Write)?;
    if !tx.set_revoked(key, revoked)? {
        return Err(bad_value("CARD", "there is no card with this token"));
    }
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({ "token": key.token, "prefix": key.prefix, "revoked": revoked }),
    ))
}

/// `paycode pin reset CARD`: PIN payments of the card work again after
/// three wrong PINs blocked them.
pub(super) fn cmd_pin_reset(words: &[String]) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "prefix"], &[])?;
    let key = card_key(a.single_positional("the CARD")?, &a)?;
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Write)?;
    if tx.card(key)?.is_none() {
        return Err(bad_value("CARD", "there is no card with this token"));
    }
    let failures = pin_failures(tx.as_mut(), key)?;
    reset_pin_failures(tx.as_mut(), key)?;
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({
            "token": key.token, "prefix": key.prefix,
            "pin_failures_before": failures, "pin_blocked": false,
        }),
    ))
}
