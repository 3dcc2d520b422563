//! Payment-code vectors computed by a second implementation
//! (.ci/gen_code_vectors.py, written from docs/FORMAT.md), checked natively
//! and in the browser under wasm-bindgen-test.

use paycode_wallet::core::code::{encode, mac_modulus, Fields, Layout, ParsedCode};
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::secret::Secret;
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/codes.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("tests/vectors/codes.json is valid JSON")
}

/// The inputs of one case, read from the JSON.
struct Case {
    name: String,
    secret: Secret,
    layout: Layout,
    token: u32,
    time: u64,
    period: u32,
    counter: u8,
    funding: u8,
    step: u64,
    mac: u64,
    code: String,
}

fn cases() -> Vec<Case> {
    let v = vectors();
    let n = |c: &Value, k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{k} is a number"));
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            secret: Secret::from_base32(c["secret_base32"].as_str().unwrap()).unwrap(),
            layout: Layout::new(n(c, "prefix") as u8, n(c, "length") as u8).unwrap(),
            token: n(c, "token") as u32,
            time: n(c, "time"),
            period: n(c, "period") as u32,
            counter: n(c, "counter") as u8,
            funding: n(c, "funding") as u8,
            step: n(c, "step"),
            mac: n(c, "mac"),
            code: c["code"].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn moduli_match_the_second_implementation() {
    let v = vectors();
    for length in 16u8..=24 {
        assert_eq!(
            v["moduli"][length.to_string()].as_u64(),
            Some(mac_modulus(length)),
            "length {length}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn encode_matches_the_second_implementation() {
    let cases = cases();
    assert!(cases.len() >= 16);
    for c in &cases {
        let fields = Fields {
            token: c.token,
            step: c.time / u64::from(c.period),
            counter: c.counter,
            funding: c.funding,
        };
        assert_eq!(fields.step, c.step, "{}: step", c.name);
        let code = encode(c.layout, c.secret.as_bytes(), &fields).unwrap();
        assert_eq!(code.as_str(), c.code, "{}", c.name);
        assert_eq!(code.to_string(), c.code, "{}: Display", c.name);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn parse_reads_the_vectors_back() {
    for c in &cases() {
        let p = ParsedCode::parse(&c.code).unwrap();
        assert_eq!(p.layout, c.layout, "{}", c.name);
        assert_eq!(
            (
                p.token,
                u64::from(p.step_residue),
                p.counter,
                p.funding,
                p.mac
            ),
            (c.token, c.step % 8, c.counter, c.funding, c.mac),
            "{}",
            c.name
        );
        for now in [c.step.saturating_sub(1), c.step, c.step + 1] {
            assert_eq!(p.step_near(now, 1), Some(c.step), "{}: now {now}", c.name);
        }
        assert_eq!(p.step_near(c.step + 2, 1), None, "{}", c.name);
        assert!(p.mac_matches(c.secret.as_bytes(), c.step), "{}", c.name);
        assert!(
            !p.mac_matches(c.secret.as_bytes(), c.step + 8),
            "{}",
            c.name
        );
        let mut other_key = c.secret.as_bytes().to_vec();
        other_key[0] ^= 1;
        assert!(!p.mac_matches(&other_key, c.step), "{}", c.name);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn a_card_from_its_link_makes_the_same_codes() {
    for c in cases() {
        let card = Card {
            issuer: "Vector Bank".to_owned(),
            layout: c.layout,
            token: c.token,
            secret: c.secret,
            period: c.period,
            issued_at: c.time,
            funding: (0..8)
                .map(|i| Funding::Debit {
                    bank: format!("Bank {i}"),
                    last4: format!("{:04}", i * 1111),
                })
                .collect(),
            api: None,
        };
        let back = Card::from_link(&card.to_link()).unwrap();
        assert_eq!(back, card, "{}", c.name);
        let code = back.code_at(c.time, c.counter, c.funding).unwrap();
        assert_eq!(code.as_str(), c.code, "{}", c.name);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn malformed_codes_name_their_fault() {
    let v = vectors();
    let malformed = v["malformed"].as_array().expect("malformed");
    assert!(malformed.len() >= 10);
    for m in malformed {
        let input = m["input"].as_str().unwrap();
        let err = ParsedCode::parse(input).unwrap_err();
        assert_eq!(err.kind(), m["kind"].as_str().unwrap(), "{input:?}");
        assert!(!err.to_string().is_empty());
    }
}
