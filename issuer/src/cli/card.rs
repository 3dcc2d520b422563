//! `paycode revoke CARD`, `paycode card revoke|restore|reprovision CARD`,
//! `paycode pin reset CARD`, and how commands name a card.

use paycode_wallet::core::link::Card;
use serde_json::{json, Value};

use super::{args, bad_value, open_store, status, ArgError, Failure, Output};
use crate::payments::pin::{pin_failures, reset_pin_failures};
use crate::provision::{reprovision, revoke};
use crate::store::{CardKey, CardRecord, Store, TxMode};

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

/// `--expires UNIX_SECONDS`, if given.
pub(super) fn expires_option(a: &args::Parsed) -> Result<Option<u64>, ArgError> {
    a.get("expires")
        .map(|_| a.number("expires", 0u64, u64::MAX))
        .transpose()
}

pub(super) fn cmd_card(words: &[String], now: u64) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument(
            "a subcommand: card revoke|restore|reprovision CARD",
        )
        .into());
    };
    let revoked = match sub.as_str() {
        "revoke" => true,
        "restore" => false,
        "reprovision" => return cmd_reprovision(rest, now),
        other => return Err(ArgError::UnknownCommand(format!("card {other}")).into()),
    };
    set_revoked(rest, revoked, now)
}

/// `paycode revoke CARD`: the same as `paycode card revoke CARD`.
pub(super) fn cmd_revoke(words: &[String], now: u64) -> Result<Output, Failure> {
    set_revoked(words, true, now)
}

fn set_revoked(words: &[String], revoked: bool, now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "prefix"], &[])?;
    let key = card_key(a.single_positional("the CARD")?, &a)?;
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Write)?;
    if !revoke(tx.as_mut(), key, revoked, now, "cli")? {
        return Err(bad_value("CARD", "there is no card with this token"));
    }
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({ "token": key.token, "prefix": key.prefix, "revoked": revoked }),
    ))
}

/// `paycode card reprovision CARD [--expires T] [--api ORIGIN]`.
fn cmd_reprovision(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "prefix", "expires", "api", "at"], &[])?;
    let key = card_key(a.single_positional("the CARD")?, &a)?;
    let expires = expires_option(&a)?;
    let at = a.number("at", now, u64::MAX)?;
    let mut store = open_store(&a)?;
    let record = reprovision(&mut store, key, expires, at, "cli")?;
    Ok(Output::json(status::OK, link_json(&record, a.get("api"))?))
}

/// A card's provisioning link and what a person needs to know of it.
fn link_json(record: &CardRecord, api: Option<&str>) -> Result<Value, Failure> {
    let mut card = record.to_card();
    card.api = api.map(str::to_owned);
    // The reader writes the origin as links carry it (lower case, no `/`).
    let card = Card::from_link(&card.to_link())?;
    Ok(json!({
        "link": card.to_link(),
        "token": record.key.token,
        "prefix": record.key.prefix,
        "key_version": record.key_version,
        "expires": record.expires,
        "revoked": record.revoked,
    }))
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
