//! `paycode topup`, `paycode balance` and `paycode ledger check`.

use serde_json::json;

use super::{args, open_store, status, ArgError, Failure, Output};
use crate::ledger::check::check;
use crate::ledger::topup;
use crate::money::parse_amount;
use crate::store::{Account, Store, StoreTx, TxMode};

/// `ledger check` found violations.
pub const VIOLATIONS: i32 = 4;

/// CARD as [`super::card::card_key`] reads it; MERCHANT is its `m_…` id.
fn account_of(
    tx: &mut dyn StoreTx,
    word: &str,
    a: &args::Parsed,
    source: Option<&str>,
) -> Result<Account, Failure> {
    if word.starts_with("m_") {
        if tx.merchant(word)?.is_none() {
            return Err(super::bad_value(
                "MERCHANT",
                "there is no merchant with this id",
            ));
        }
        return Ok(Account::Merchant(word.to_owned()));
    }
    let key = super::card::card_key(word, a)?;
    let Some(card) = tx.card(key)? else {
        return Err(super::bad_value("CARD", "there is no card with this token"));
    };
    let index = match source {
        None => 0,
        Some(text) => text
            .parse::<u8>()
            .ok()
            .filter(|i| usize::from(*i) < card.funding.len())
            .ok_or_else(|| super::bad_value("--source", "not a funding index of this card"))?,
    };
    card.source_account(index)
        .ok_or_else(|| super::bad_value("--source", "not a funding index of this card"))
}

pub(super) fn cmd_topup(words: &[String], now: u64) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "prefix", "source", "at"], &[])?;
    let (card, amount) = match a.positional.as_slice() {
        [card, amount] => (card, amount),
        [_, _, extra, ..] => return Err(ArgError::ExtraArgument(extra.clone()).into()),
        _ => return Err(ArgError::MissingArgument("CARD AMOUNT").into()),
    };
    let amount = parse_amount(amount)?;
    let at = a.number("at", now, u64::MAX)?;
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Write)?;
    let account = account_of(tx.as_mut(), card, &a, a.get("source"))?;
    if matches!(account, Account::Merchant(_)) {
        return Err(super::bad_value(
            "CARD",
            "top-ups are for cards, not merchants",
        ));
    }
    let id = topup(tx.as_mut(), account.clone(), amount, at).map_err(|e| Failure {
        kind: e.kind().to_owned(),
        message: e.to_string(),
    })?;
    let balance = tx.balance(&account)?;
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({
            "topup": id, "account": account.id(), "amount": amount.to_string(),
            "balance": yuan(balance),
        }),
    ))
}

pub(super) fn cmd_balance(words: &[String]) -> Result<Output, Failure> {
    let a = args::parse(words, &["db", "prefix", "source"], &[])?;
    let word = a.single_positional("a CARD or MERCHANT")?;
    let mut store = open_store(&a)?;
    let mut tx = store.begin(TxMode::Read)?;
    let account = account_of(tx.as_mut(), word, &a, a.get("source"))?;
    let balance = tx.balance(&account)?;
    Ok(Output::json(
        status::OK,
        json!({ "account": account.id(), "balance": yuan(balance), "balance_fen": balance }),
    ))
}

pub(super) fn cmd_ledger(words: &[String]) -> Result<Output, Failure> {
    let Some((sub, rest)) = words.split_first() else {
        return Err(ArgError::MissingArgument("a subcommand: ledger check").into());
    };
    if sub != "check" {
        return Err(ArgError::UnknownCommand(format!("ledger {sub}")).into());
    }
    let a = args::parse(rest, &["db"], &[])?;
    a.no_positional()?;
    let mut store = open_store(&a)?;
    let found = check(store.begin(TxMode::Read)?.as_mut())?;
    let list: Vec<_> = found
        .iter()
        .map(|v| json!({ "kind": v.kind(), "message": v.to_string() }))
        .collect();
    Ok(Output::json(
        if found.is_empty() {
            status::OK
        } else {
            VIOLATIONS
        },
        json!({ "result": if found.is_empty() { "clean" } else { "violations" }, "violations": list }),
    ))
}

/// Signed fen as yuan text: "-12.50".
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signed_yuan() {
        assert_eq!(super::yuan(0), "0.00");
        assert_eq!(super::yuan(-1250), "-12.50");
        assert_eq!(super::yuan(5), "0.05");
    }
}
