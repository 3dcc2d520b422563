//! `parseLink(link)`: what a provisioning link says, for the page to show
//! before it keeps the card. The secret stays in wasm; the token id is not
//! secret (every code carries it), so the page may use it to ask the issuer
//! for the card's history.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::error::to_js;
use super::types::{set, LinkInfo};
use crate::core::funding::Funding;
use crate::core::link::Card;

#[wasm_bindgen(js_name = parseLink)]
pub fn parse_link(link: &str) -> Result<LinkInfo, JsValue> {
    let card = Card::from_link(link).map_err(to_js)?;
    let info = Object::new();
    set(&info, "issuer", card.issuer.as_str());
    set(&info, "prefix", card.layout.prefix);
    set(&info, "length", card.layout.length);
    set(&info, "token", card.token);
    set(&info, "period", card.period);
    // Unix seconds stay exact in a JS number until the year 285 million.
    set(&info, "issuerTime", card.issued_at as f64);
    let funding = Array::new();
    for (index, source) in card.funding.iter().enumerate() {
        let entry = Object::new();
        set(&entry, "index", index as u32);
        set(&entry, "label", source.label());
        match source {
            Funding::Balance => set(&entry, "kind", "balance"),
            Funding::Debit { bank, last4 } => {
                set(&entry, "kind", "debit");
                set(&entry, "bank", bank.as_str());
                set(&entry, "last4", last4.as_str());
            }
        }
        funding.push(&entry);
    }
    set(&info, "funding", funding);
    // The origin the card's issuer answers the wallet at; absent: the page's own.
    if let Some(api) = &card.api {
        set(&info, "api", api.as_str());
    }
    Ok(info.unchecked_into())
}
