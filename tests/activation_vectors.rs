//! Activation-link vectors (tests/vectors/activation_links.json): valid
//! links with the fields they carry, malformed ones with their error kind.
//! The wallet page's JavaScript reader is held to the same file
//! (tests/e2e/activation-vectors.test.mjs).

use paycode_wallet::core::activation::ActivationLink;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/activation_links.json");

#[test]
fn activation_link_vectors() {
    let vectors: Value = serde_json::from_str(VECTORS).expect("valid JSON");
    let valid = vectors["valid"].as_array().unwrap();
    let invalid = vectors["invalid"].as_array().unwrap();
    assert!(
        valid.len() >= 3 && invalid.len() >= 10,
        "the vectors are missing"
    );
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let link = ActivationLink::parse(case["link"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(link.issuer, case["issuer"].as_str().unwrap(), "{name}");
        assert_eq!(link.url, case["url"].as_str().unwrap(), "{name}");
        assert_eq!(link.code, case["code"].as_str().unwrap(), "{name}");
        assert_eq!(ActivationLink::parse(&link.to_link()), Ok(link), "{name}");
    }
    for case in invalid {
        let name = case["name"].as_str().unwrap();
        let error = ActivationLink::parse(case["link"].as_str().unwrap())
            .expect_err(name)
            .kind();
        assert_eq!(error, case["error"].as_str().unwrap(), "{name}");
    }
}
