//! Provisioning-link vectors (tests/vectors/links.json): valid links with
//! the card they describe, and malformed links with the error kind each must
//! give. Run natively and in the browser under wasm-bindgen-test.

use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/links.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("tests/vectors/links.json is valid JSON")
}

/// The link of a case; `pad_to` cases are lengthened with filler so that the
/// JSON need not hold 2 KB strings.
fn link_of(case: &Value) -> String {
    let mut link = case["link"].as_str().expect("link").to_owned();
    if let Some(target) = case["pad_to"].as_u64() {
        while (link.len() as u64) < target {
            link.push('a');
        }
        assert_eq!(link.len() as u64, target);
    }
    link
}

fn funding_of(value: &Value) -> Funding {
    match value["kind"].as_str().unwrap() {
        "balance" => Funding::Balance,
        "debit" => Funding::Debit {
            bank: value["bank"].as_str().unwrap().to_owned(),
            last4: value["last4"].as_str().unwrap().to_owned(),
        },
        other => panic!("unknown funding kind {other} in the vectors"),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn valid_links_give_their_cards() {
    let v = vectors();
    let valid = v["valid"].as_array().expect("valid");
    assert!(valid.len() >= 4);
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let card = Card::from_link(&link_of(case))
            .unwrap_or_else(|e| panic!("{name}: {} ({e})", e.kind()));
        let n = |k: &str| case[k].as_u64().unwrap();
        assert_eq!(card.issuer, case["issuer"].as_str().unwrap(), "{name}");
        assert_eq!(u64::from(card.layout.prefix), n("prefix"), "{name}");
        assert_eq!(u64::from(card.layout.length), n("length"), "{name}");
        assert_eq!(u64::from(card.token), n("token"), "{name}");
        assert_eq!(
            card.secret.to_base32(),
            case["secret_base32"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(u64::from(card.period), n("period"), "{name}");
        assert_eq!(card.issued_at, n("time"), "{name}");
        assert_eq!(card.api.as_deref(), case["api"].as_str(), "{name}");
        let expected = case["funding"].as_array().unwrap();
        assert_eq!(card.funding.len(), expected.len(), "{name}");
        for (got, want) in card.funding.iter().zip(expected) {
            assert_eq!(*got, funding_of(want), "{name}");
            assert_eq!(got.label(), want["label"].as_str().unwrap(), "{name}");
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn cards_survive_to_link_and_back() {
    let v = vectors();
    for case in v["valid"].as_array().unwrap() {
        let card = Card::from_link(&link_of(case)).unwrap();
        let link = card.to_link();
        assert!(link.starts_with("paycode://provision?v=1&"), "{link}");
        assert_eq!(Card::from_link(&link), Ok(card));
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn malformed_links_name_their_fault() {
    let v = vectors();
    let malformed = v["malformed"].as_array().expect("malformed");
    assert!(malformed.len() >= 15);
    for case in malformed {
        let name = case["name"].as_str().unwrap();
        let err = Card::from_link(&link_of(case)).expect_err(name);
        assert_eq!(err.kind(), case["kind"].as_str().unwrap(), "{name}: {err}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn error_messages_never_quote_the_secret() {
    let v = vectors();
    for case in v["malformed"].as_array().unwrap() {
        let link = link_of(case);
        let err = Card::from_link(&link).unwrap_err();
        let message = err.to_string();
        assert!(!message.is_empty());
        for (key, value) in form_urlencoded_pairs(&link) {
            if key == "secret" && value.len() >= 8 {
                assert!(!message.contains(&value), "{message}");
                assert!(!format!("{err:?}").contains(&value));
            }
        }
    }
}

/// The link's query pairs, decoded by hand so this test does not lean on
/// the parser it checks.
fn form_urlencoded_pairs(link: &str) -> Vec<(String, String)> {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn debug_of_a_card_shows_no_key() {
    let v = vectors();
    let card = Card::from_link(&link_of(&v["valid"][0])).unwrap();
    let debug = format!("{card:?}");
    let base32 = card.secret.to_base32();
    let hex: String = card
        .secret
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let bytes = format!("{:?}", card.secret.as_bytes());
    assert!(debug.contains("Secret(redacted)"), "{debug}");
    for leak in [
        &base32,
        &base32.to_lowercase(),
        &hex,
        &hex.to_uppercase(),
        &bytes,
    ] {
        assert!(!debug.contains(leak.as_str()), "{debug}");
    }
    // The first bytes alone must not show either.
    assert!(!debug.contains(&base32[..8]), "{debug}");
    assert!(!debug.contains(&hex[..8]), "{debug}");
}
