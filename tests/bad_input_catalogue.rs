//! The wallet's bad-input catalogue: one table row per hostile or broken
//! input (provisioning links, scanned or typed codes, clock and swipe
//! events), the error kind each must give, and after each one a check that
//! nothing was lost: the card the wallet already holds is unchanged and
//! still shows a code the issuer would accept.
//!
//! The issuer side (CLI and HTTP API) has its own catalogue in
//! issuer/tests/bad_input_catalogue.rs.

use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::rotation::Rotation;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// Issuer time of the held card's link; the device clock is 5 minutes slow.
const T0_MS: f64 = 1_764_100_000_000.0;
const DEVICE_MS: f64 = T0_MS - 300_000.0;

/// A valid link with one field replaced (or removed when `value` is None).
fn link_with(field: &str, value: Option<&str>) -> String {
    let fields = [
        ("v", "1"),
        ("issuer", "Demo%20Bank"),
        ("prefix", "13"),
        ("length", "18"),
        ("token", "482913"),
        ("secret", SECRET),
        ("algorithm", "SHA256"),
        ("period", "60"),
        ("time", "1764100000"),
        ("funding", "balance"),
    ];
    let pairs: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| {
            if *k == field {
                value.map(|v| format!("{k}={v}"))
            } else {
                Some(format!("{k}={v}"))
            }
        })
        .collect();
    format!("paycode://provision?{}", pairs.join("&"))
}

fn good_link() -> String {
    link_with("", None)
}

/// The wallet as the page drives it: a held card shown through the
/// rotation state machine, replaced only by a link that reads cleanly.
struct Wallet {
    rotation: Rotation,
}

impl Wallet {
    fn new() -> Wallet {
        let card = Card::from_link(&good_link()).expect("the held card's link is valid");
        Wallet {
            rotation: Rotation::new(card, T0_MS - DEVICE_MS, 0, DEVICE_MS).expect("starts"),
        }
    }

    /// Re-provisioning: read first, replace only on success.
    fn provision(&mut self, link: &str) -> Result<(), &'static str> {
        let card = Card::from_link(link).map_err(|e| e.kind())?;
        let offset = Rotation::offset_from_link(&card, DEVICE_MS);
        self.rotation = Rotation::new(card, offset, 0, DEVICE_MS).map_err(|e| e.kind())?;
        Ok(())
    }

    /// What the held card is and shows, to compare before and after.
    fn snapshot(&self) -> (Card, String, u64, u8, u8) {
        let r = &self.rotation;
        (
            r.card().clone(),
            r.code().to_string(),
            r.step(),
            r.counter(),
            r.funding(),
        )
    }

    /// The shown code is the card's own and verifies under its key.
    fn assert_still_works(&self, case: &str) {
        let r = &self.rotation;
        let code = r.code().to_string();
        let parsed = ParsedCode::parse(&code).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(parsed.token, r.card().token, "{case}");
        assert!(
            parsed.mac_matches(r.card().secret.as_bytes(), r.step()),
            "{case}: shown code no longer verifies"
        );
        assert_eq!(r.card().secret.to_base32(), SECRET, "{case}: key changed");
    }
}

enum Input {
    Link(String),
    Code(&'static str),
    /// A rotation event on the held card; returns the error kind.
    Event(fn(&mut Rotation) -> Result<(), &'static str>),
}

struct Case {
    name: &'static str,
    input: Input,
    kind: &'static str,
}

fn case(name: &'static str, input: Input, kind: &'static str) -> Case {
    Case { name, input, kind }
}

fn link(field: &str, value: &str) -> Input {
    Input::Link(link_with(field, Some(value)))
}

fn catalogue() -> Vec<Case> {
    use Input::{Code, Event, Link};
    let mut nine_funding = good_link();
    for _ in 0..8 {
        nine_funding.push_str("&funding=balance");
    }
    let mut too_long = good_link();
    too_long.push('&');
    too_long.push_str(&"x".repeat(2049 - too_long.len()));
    vec![
        // Provisioning links.
        case("empty link", Link(String::new()), "wrong_scheme"),
        case(
            "web URL",
            Link("https://bank.example/provision?v=1".into()),
            "wrong_scheme",
        ),
        case(
            "scheme only",
            Link("paycode://provision".into()),
            "wrong_scheme",
        ),
        case(
            "otpauth link",
            Link(format!("otpauth://totp/x?secret={SECRET}")),
            "wrong_scheme",
        ),
        case("over 2048 bytes", Link(too_long), "too_long"),
        case(
            "empty query",
            Link("paycode://provision?".into()),
            "missing_field",
        ),
        case("no version", Link(link_with("v", None)), "missing_field"),
        case("version 2", link("v", "2"), "unsupported_version"),
        case("version 01", link("v", "01"), "unsupported_version"),
        case(
            "no secret",
            Link(link_with("secret", None)),
            "missing_field",
        ),
        case(
            "secret twice",
            Link(format!("{}&secret={SECRET}", good_link())),
            "duplicate_field",
        ),
        case("empty issuer", link("issuer", ""), "bad_issuer"),
        case("blank issuer", link("issuer", "+++"), "bad_issuer"),
        case("NUL in issuer", link("issuer", "Demo%00Bank"), "bad_issuer"),
        case(
            "65-char issuer",
            link("issuer", &"B".repeat(65)),
            "bad_issuer",
        ),
        case("prefix 16", link("prefix", "16"), "bad_prefix"),
        case("prefix 013", link("prefix", "013"), "bad_prefix"),
        case("length 25", link("length", "25"), "bad_length"),
        case("length -18", link("length", "-18"), "bad_length"),
        case("token 2^20", link("token", "1048576"), "bad_token"),
        case("token +5", link("token", "%2B5"), "bad_token"),
        case(
            "token 21 digits",
            link("token", &"9".repeat(21)),
            "bad_token",
        ),
        case(
            "secret with a 1",
            link("secret", "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ"),
            "bad_base32",
        ),
        case(
            "secret with a space",
            link("secret", "GEZDGNBV+GY3TQOJQGEZDGNBVGY3TQOJQ"),
            "bad_base32",
        ),
        case(
            "secret = inside",
            link("secret", "GEZDGNBV%3DGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "bad_base32",
        ),
        case(
            "secret of 10 bytes",
            link("secret", "GEZDGNBVGY3TQOJQ"),
            "secret_length",
        ),
        case(
            "secret of 70 bytes",
            link("secret", &"GEZDGNBV".repeat(14)),
            "secret_length",
        ),
        case("SHA1", link("algorithm", "SHA1"), "unsupported_algorithm"),
        case("period 14", link("period", "14"), "bad_period"),
        case("period 301", link("period", "301"), "bad_period"),
        case("time in 2019", link("time", "1577836799"), "bad_time"),
        case("time in 2100", link("time", "4102444800"), "bad_time"),
        case("time in ms", link("time", "1764100000000"), "bad_time"),
        case("no funding", Link(link_with("funding", None)), "no_funding"),
        case("nine funding", Link(nine_funding), "too_many_funding"),
        case(
            "credit card",
            link("funding", "credit%3AVISA%3A1234"),
            "credit_refused",
        ),
        case("cash", link("funding", "cash"), "bad_funding"),
        case(
            "debit without bank",
            link("funding", "debit%3A%3A1234"),
            "bad_bank",
        ),
        case(
            "debit with 5 digits",
            link("funding", "debit%3AICBC%3A12345"),
            "bad_last4",
        ),
        // Codes typed or scanned at a till.
        case("empty code", Code(""), "not_digits"),
        case("spaced code", Code("1346 0541 9283 5061 71"), "not_digits"),
        case(
            "trailing newline",
            Code("134605419283506171\n"),
            "not_digits",
        ),
        case(
            "fullwidth digits",
            Code("１３４６０５４１９２８３５０６１７１"),
            "not_digits",
        ),
        case("sign", Code("+34605419283506171"), "not_digits"),
        case("15 digits", Code("134605419283506"), "bad_length"),
        case("25 digits", Code("1346054192835061710000000"), "bad_length"),
        case("code prefix 09", Code("094605419283506171"), "bad_prefix"),
        case("code prefix 16", Code("164605419283506171"), "bad_prefix"),
        case(
            "payload too large",
            Code("139999999999999999"),
            "payload_out_of_range",
        ),
        // Events on the held card.
        case(
            "funding index 1 of 1",
            Event(|r| kind(r.set_funding(1, DEVICE_MS))),
            "funding_out_of_range",
        ),
        case(
            "funding index 2^32-1",
            Event(|r| kind(r.set_funding(u32::MAX, DEVICE_MS))),
            "funding_out_of_range",
        ),
        case(
            "NaN clock tick",
            Event(|r| kind(r.tick(f64::NAN).map(drop))),
            "bad_clock",
        ),
        case(
            "infinite clock swipe",
            Event(|r| kind(r.refresh(f64::INFINITY))),
            "bad_clock",
        ),
        case(
            "negative clock",
            Event(|r| kind(r.refresh(-1e18))),
            "bad_clock",
        ),
        case(
            "17th swipe in a step",
            Event(seventeen_swipes),
            "counter_exhausted",
        ),
    ]
}

fn kind<T, E: Into<paycode_wallet::core::rotation::RotationError>>(
    r: Result<T, E>,
) -> Result<(), &'static str> {
    r.map(drop).map_err(|e| e.into().kind())
}

/// 15 swipes are allowed in a step; the 16th fresh code does not exist.
/// The swipes themselves change the shown code, so this case compares
/// against the state after the 15th.
fn seventeen_swipes(r: &mut Rotation) -> Result<(), &'static str> {
    for _ in 0..15 {
        r.refresh(DEVICE_MS + 1.0).map_err(|e| e.kind())?;
    }
    kind(r.refresh(DEVICE_MS + 2.0))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_bad_input_gives_its_error_and_loses_nothing() {
    let cases = catalogue();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");

    for c in &cases {
        let mut wallet = Wallet::new();
        let before = wallet.snapshot();
        let got = match &c.input {
            Input::Link(link) => {
                let got = wallet.provision(link);
                if let Err(kind) = got {
                    // The message is plain words and never repeats the link.
                    let e = Card::from_link(link).expect_err("refused");
                    assert_eq!(e.kind(), kind);
                    let shown = format!("{e} {e:?}");
                    assert!(!shown.contains(SECRET), "{}: {shown}", c.name);
                    let quoted = link.len() > 20 && shown.contains(link.as_str());
                    assert!(!quoted, "{}: {shown}", c.name);
                }
                got
            }
            Input::Code(code) => ParsedCode::parse(code).map(drop).map_err(|e| e.kind()),
            Input::Event(event) => {
                let got = event(&mut wallet.rotation);
                let after = wallet.snapshot();
                if c.kind == "counter_exhausted" {
                    assert_eq!(after.3, 15, "{}: counter stays at the last swipe", c.name);
                } else {
                    assert_eq!(
                        after, before,
                        "{}: a failed event changed the wallet",
                        c.name
                    );
                }
                wallet.assert_still_works(c.name);
                assert_eq!(got, Err(c.kind), "{}", c.name);
                continue;
            }
        };
        assert_eq!(got, Err(c.kind), "{}", c.name);
        assert_eq!(
            wallet.snapshot(),
            before,
            "{}: the held card changed",
            c.name
        );
        wallet.assert_still_works(c.name);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_catalogue_can_tell_good_from_bad() {
    // Controls: the same builders make inputs that are accepted, so each
    // bad case fails for its one edit and not for a broken template.
    let mut wallet = Wallet::new();
    assert_eq!(wallet.provision(&good_link()), Ok(()));
    assert_eq!(
        wallet.provision(&link_with("funding", Some("debit%3AICBC%3A1234"))),
        Ok(())
    );
    assert_eq!(wallet.provision(&link_with("period", None)), Ok(()));
    let code = wallet.rotation.code().to_string();
    assert!(ParsedCode::parse(&code).is_ok());
    // A good re-provisioning does replace the card.
    let other = link_with("token", Some("7"));
    wallet.provision(&other).expect("valid");
    assert_eq!(wallet.rotation.card().token, 7);
}

/// Every spelling of the held card's key that must never be printed.
fn key_spellings(card: &Card) -> Vec<String> {
    let b32 = card.secret.to_base32();
    let hex: String = card
        .secret
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let bytes = format!("{:?}", card.secret.as_bytes());
    vec![
        b32.clone(),
        b32.to_lowercase(),
        b32[..16].to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        bytes[1..bytes.len() / 2].to_owned(),
        String::from_utf8_lossy(card.secret.as_bytes()).into_owned(),
    ]
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn nothing_that_holds_the_key_prints_it() {
    let wallet = Wallet::new();
    let card = wallet.rotation.card().clone();
    let mut shown = vec![
        format!("{card:?}"),
        format!("{card:#?}"),
        format!("{:?}", card.secret),
        format!("{:#?}", card.secret),
        format!("{:?}", wallet.rotation),
        format!("{:#?}", wallet.rotation),
    ];
    // Every refusal of every catalogue link, in both forms.
    for c in catalogue() {
        if let Input::Link(link) = &c.input {
            if let Err(e) = Card::from_link(link) {
                shown.push(format!("{e} {e:?} {e:#?}"));
            }
        }
    }
    for text in &shown {
        for key in key_spellings(&card) {
            assert!(!text.contains(&key), "{key:?} appears in {text}");
        }
    }
    // The control: the spellings are really there to be found.
    assert!(card.to_link().contains(&key_spellings(&card)[0]));
}

/// Types holding the key, or state derived from it, wipe it when dropped.
/// HMAC keeps the SHA-256 (SHA-1 for RFC 4226 OTPs) states after absorbing
/// key ⊕ ipad and key ⊕ opad: those states make MACs as well as the key
/// does. This fails to compile if the hash crates' `zeroize` feature is off.
#[test]
#[cfg(not(target_arch = "wasm32"))]
fn key_material_is_wiped_on_drop() {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<sha2::block_api::Sha256VarCore>();
    wiped_on_drop::<sha1::block_api::Sha1Core>();
    wiped_on_drop::<zeroize::Zeroizing<Vec<u8>>>();
    wiped_on_drop::<zeroize::Zeroizing<String>>();
}
