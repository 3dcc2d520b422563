//! RFC 4226 and RFC 6238 test vectors, checked natively and in every browser
//! engine (`make test` runs this file under wasm-bindgen-test too).

use paycode_wallet::core::otp::{format_digits, hotp, totp, Algorithm};
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const VECTORS: &str = include_str!("vectors/otp.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("tests/vectors/otp.json is valid JSON")
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc4226_appendix_d() {
    let v = vectors();
    let h = &v["hotp"];
    let key = h["key_ascii"].as_str().unwrap().as_bytes();
    let digits = h["digits"].as_u64().unwrap() as u32;
    let cases = h["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let counter = case["counter"].as_u64().unwrap();
        let got = hotp(Algorithm::Sha1, key, counter, digits).unwrap();
        assert_eq!(
            format_digits(got, digits),
            case["code"].as_str().unwrap(),
            "counter {counter}"
        );
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rfc6238_appendix_b() {
    let v = vectors();
    let t = &v["totp"];
    let digits = t["digits"].as_u64().unwrap() as u32;
    let period = t["period"].as_u64().unwrap();
    let t0 = t["t0"].as_u64().unwrap();
    let cases = t["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    let mut checked = 0;
    for case in cases {
        let time = case["time"].as_u64().unwrap();
        for name in ["SHA1", "SHA256", "SHA512"] {
            let algorithm = Algorithm::from_name(name).unwrap();
            let key = t["keys_ascii"][name].as_str().unwrap().as_bytes();
            let got = totp(algorithm, key, time, t0, period, digits).unwrap();
            assert_eq!(
                format_digits(got, digits),
                case[name].as_str().unwrap(),
                "{name} at {time}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}
