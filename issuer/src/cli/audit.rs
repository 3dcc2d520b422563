//! `paycode audit [--json] [--after SEQ] [--limit N]`: the audit trail in
//! the order it was written, as text (one event a line) or JSON.

use serde_json::{json, Value};

use super::{args, open_store, status, Failure, Output};
use crate::store::{AuditRecord, Store, TxMode};

/// Events read per transaction while printing the whole trail.
const PAGE: u32 = 1000;

pub(super) fn cmd_audit(words: &[String]) -> Result<Output, Failure> {
    // `--json` alone is a switch; every other option takes a value.
    let as_json = words.iter().any(|w| w == "--json");
    let rest: Vec<String> = words.iter().filter(|w| *w != "--json").cloned().collect();
    let a = args::parse(&rest, &["db", "after", "limit"], &[])?;
    a.no_positional()?;
    let mut after = a.number("after", 0i64, i64::MAX as u64)?;
    let mut left = a.number("limit", u64::MAX, u64::MAX)?;
    let mut store = open_store(&a)?;
    let mut events = Vec::new();
    while left > 0 {
        let page = u32::try_from(left.min(u64::from(PAGE))).unwrap_or(PAGE);
        let mut tx = store.begin(TxMode::Read)?;
        let got = tx.audit_events(after, page)?;
        let Some(last) = got.last() else { break };
        after = last.seq;
        left -= got.len() as u64;
        let full = got.len() as u32 == page;
        events.extend(got);
        if !full {
            break;
        }
    }
    if as_json {
        let list: Vec<Value> = events.iter().map(event_json).collect();
        return Ok(Output::json(status::OK, json!({ "events": list })));
    }
    let mut text = String::new();
    for record in &events {
        text.push_str(&event_line(record));
        text.push('\n');
    }
    Ok(Output {
        status: status::OK,
        stdout: text,
    })
}

fn event_json(r: &AuditRecord) -> Value {
    let e = &r.event;
    json!({
        "seq": r.seq,
        "at": e.at,
        "kind": e.kind.as_str(),
        "card": e.card.map(|c| format!("{}:{}", c.prefix, c.token)),
        "merchant": e.merchant,
        "address": e.address,
        "count": e.count,
        "detail": e.detail,
    })
}

/// `SEQ AT KIND [card P:T] [merchant M] [address A] [×N] [— DETAIL]`.
fn event_line(r: &AuditRecord) -> String {
    let e = &r.event;
    let mut line = format!("{} {} {}", r.seq, e.at, e.kind);
    if let Some(card) = e.card {
        line.push_str(&format!(" card {}:{}", card.prefix, card.token));
    }
    if let Some(merchant) = &e.merchant {
        line.push_str(&format!(" merchant {merchant}"));
    }
    if let Some(address) = &e.address {
        line.push_str(&format!(" address {address}"));
    }
    if e.count != 1 {
        line.push_str(&format!(" x{}", e.count));
    }
    if !e.detail.is_empty() {
        line.push_str(&format!(" ({})", e.detail));
    }
    line
}
