//! docs/MERCHANT_API.md's worked signing examples are what the code
//! produces: the canonical string byte for byte, the signature and the
//! whole header. Editing either the doc or the signing code alone fails.

use std::collections::HashMap;

use paycode_issuer::signing::{
    authorization, canonical_string, sign, verify, AuthHeader, RequestParts,
};

const DOC: &str = include_str!("../../docs/MERCHANT_API.md");

/// The fenced blocks whose info string carries an `example:NAME` word,
/// by NAME, with their text as is (lines joined by `\n`, no final newline).
fn examples() -> HashMap<String, String> {
    let mut blocks = HashMap::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let name = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("example:"))
            .map(str::to_owned);
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        if let Some(name) = name {
            assert!(
                blocks.insert(name.clone(), body.join("\n")).is_none(),
                "example:{name} appears twice"
            );
        }
    }
    blocks
}

fn block<'a>(blocks: &'a HashMap<String, String>, name: &str) -> &'a str {
    blocks
        .get(name)
        .unwrap_or_else(|| panic!("docs/MERCHANT_API.md has no example:{name} block"))
}

fn check_example(name: &str, method: &str, path_and_query: &str, body: &[u8]) -> String {
    let blocks = examples();
    let key = hex::decode(block(&blocks, "key")).expect("the example key is hex");
    let shown = block(&blocks, &format!("{name}:authorization"));
    let header = AuthHeader::parse(shown).expect("the example header is well formed");
    let parts = RequestParts {
        method,
        path_and_query,
        ts: header.ts(),
        nonce: header.nonce(),
        body,
    };
    let canonical = canonical_string(&parts);
    assert_eq!(
        block(&blocks, &format!("{name}:canonical")).as_bytes(),
        canonical.as_bytes(),
        "example {name}: the canonical string"
    );
    let sig = sign(&key, &parts);
    assert_eq!(
        block(&blocks, &format!("{name}:sig")),
        sig,
        "example {name}: sig"
    );
    assert_eq!(
        shown,
        authorization(&key, header.merchant(), &parts),
        "example {name}: header"
    );
    assert_eq!(
        verify(&key, &header, method, path_and_query, body, header.ts()),
        Ok(())
    );
    canonical
}

#[test]
fn the_payment_example_signs_as_documented() {
    let blocks = examples();
    let body = block(&blocks, "pay:body").to_owned();
    assert!(body.starts_with('{') && !body.ends_with('\n'));
    let canonical = check_example("pay", "POST", "/v1/payments", body.as_bytes());

    // The openssl line signs the same bytes under the same key.
    let line = DOC
        .lines()
        .find(|l| l.starts_with("printf '"))
        .expect("the openssl example");
    let quoted = line["printf '".len()..].split('\'').next().unwrap();
    assert_eq!(quoted.replace("\\n", "\n"), canonical);
    let hexkey = DOC
        .split("hexkey:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("hexkey:");
    assert_eq!(hexkey, block(&blocks, "key"));
}

#[test]
fn the_query_example_signs_as_documented() {
    check_example("query", "GET", "/v1/payments/T20260101-0001", b"");
}

#[test]
fn the_examples_use_the_documented_merchant_and_body_fields() {
    let blocks = examples();
    let body: serde_json::Value = serde_json::from_str(block(&blocks, "pay:body")).unwrap();
    for field in ["out_trade_no", "auth_code", "amount", "currency"] {
        assert!(body.get(field).is_some(), "{field}");
    }
    for name in ["pay", "query"] {
        let h = AuthHeader::parse(block(&blocks, &format!("{name}:authorization"))).unwrap();
        assert_eq!(h.merchant(), "m_7f3a9c2e4b1d8f60");
        assert!(
            DOC.contains(&format!("`{}`", h.nonce())),
            "the prose names the nonce"
        );
    }
}
