//! Card-channel key vectors computed by a second implementation
//! (.ci/gen_channel_vectors.py, written from docs/FORMAT.md §11), checked
//! natively and in the browser under wasm-bindgen-test.

use paycode_wallet::core::channel::{channel_key, CHANNEL_LABEL};
use paycode_wallet::core::secret::Secret;
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/channel.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("tests/vectors/channel.json is valid JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_label_is_the_second_implementations() {
    assert_eq!(
        vectors()["label"].as_str().unwrap().as_bytes(),
        CHANNEL_LABEL
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn channel_keys_match_the_second_implementation() {
    let v = vectors();
    let keys = v["keys"].as_array().expect("keys");
    let requests = v["requests"].as_array().expect("requests");
    assert!(keys.len() >= 4 && requests.len() >= 3);
    let cases = keys.iter().map(|k| {
        (
            k["secret_base32"].as_str().unwrap(),
            k["channel_key_hex"].as_str().unwrap(),
        )
    });
    for (secret_b32, want) in cases {
        let secret = Secret::from_base32(secret_b32).unwrap();
        assert_eq!(hex(&channel_key(&secret)[..]), want, "{secret_b32}");
    }
}
