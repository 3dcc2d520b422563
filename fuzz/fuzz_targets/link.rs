//! `Card::from_link` on arbitrary input: it must never panic, a link it
//! accepts must survive a write/read round trip and make a code the
//! verifier's parser reads back, and a refusal must never quote the secret.
//! The same input goes to `ActivationLink::parse`: no panic, a round trip
//! for what it accepts, and no refusal quoting the code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_wallet::core::activation::ActivationLink;
use paycode_wallet::core::code::ParsedCode;
use paycode_wallet::core::link::Card;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    activation(&text);
    match Card::from_link(&text) {
        Ok(card) => accepted(&card),
        Err(error) => {
            let shown = format!("{error} {error:?} {}", error.kind());
            assert!(!error.kind().is_empty() && !error.to_string().is_empty());
            // Every secret value in the query that looks like a key (16 or
            // more base32 characters, which no fixed message text has in a
            // row): none may appear in what the error prints.
            if let Some((_, query)) = text.split_once('?') {
                for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                    let key_like = value.len() >= 16
                        && value.bytes().all(|b| {
                            b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b) || b == b'='
                        });
                    if key == "secret" && key_like {
                        assert!(!shown.contains(value.as_ref()), "error quotes the secret");
                    }
                }
            }
        }
    }
});

fn accepted(card: &Card) {
    let again = Card::from_link(&card.to_link());
    assert_eq!(again.as_ref(), Ok(card), "to_link/from_link round trip");
    // The issuer and bank names are free text and may spell anything, the
    // key included: look for the key in the Debug of everything else.
    let mut bare = card.clone();
    bare.issuer.clear();
    bare.funding.clear();
    assert!(
        !format!("{bare:?}").contains(&card.secret.to_base32()),
        "Debug prints the secret"
    );
    // A card the wallet accepted can always make its first code, and the
    // verifier reads that code back to the same token and a matching MAC.
    let code = card
        .code_at(card.issued_at, 0, 0)
        .expect("an accepted card makes codes");
    let parsed = ParsedCode::parse(code.as_str()).expect("own code parses");
    assert_eq!(parsed.layout, card.layout);
    assert_eq!(parsed.token, card.token);
    let step = card.step_at(card.issued_at);
    assert!(parsed.mac_matches(card.secret.as_bytes(), step));
    assert_eq!(parsed.step_near(step, 1), Some(step));
}

fn activation(text: &str) {
    match ActivationLink::parse(text) {
        Ok(link) => {
            let again = ActivationLink::parse(&link.to_link());
            assert_eq!(again.as_ref(), Ok(&link), "to_link/parse round trip");
            assert!(
                !format!("{link:?}").contains(&link.code),
                "Debug prints the code"
            );
        }
        Err(error) => {
            let shown = format!("{error} {error:?} {}", error.kind());
            assert!(!error.kind().is_empty() && !error.to_string().is_empty());
            if let Some((_, query)) = text.split_once('?') {
                for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                    if key == "code" && value.len() >= 16 {
                        assert!(!shown.contains(value.as_ref()), "error quotes the code");
                    }
                }
            }
        }
    }
}
