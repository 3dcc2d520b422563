//! Properties of the code format and the provisioning link over generated
//! inputs: round trips, and no panic on any input (a panic in wasm takes the
//! page down). Native only: proptest does not run in the browser.
#![cfg(not(target_arch = "wasm32"))]

use paycode_wallet::core::code::{encode, Fields, Layout, ParsedCode};
use paycode_wallet::core::funding::Funding;
use paycode_wallet::core::link::Card;
use paycode_wallet::core::secret::Secret;
use proptest::prelude::*;

fn layout() -> impl Strategy<Value = Layout> {
    (10u8..=15, 16u8..=24).prop_map(|(p, l)| Layout::new(p, l).unwrap())
}

fn fields() -> impl Strategy<Value = Fields> {
    (0u32..1 << 20, any::<u64>(), 0u8..16, 0u8..8).prop_map(|(token, step, counter, funding)| {
        Fields {
            token,
            step,
            counter,
            funding,
        }
    })
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 16..=64)
}

fn funding() -> impl Strategy<Value = Funding> {
    prop_oneof![
        Just(Funding::Balance),
        (
            "[A-Za-z0-9工商银行:&=%+#?][A-Za-z0-9 工商银行:&=%+#?]{0,31}",
            "[0-9]{4}"
        )
            .prop_map(|(bank, last4)| Funding::Debit { bank, last4 }),
    ]
}

fn card() -> impl Strategy<Value = Card> {
    (
        "[A-Za-z0-9工商银行&=%+#?:][A-Za-z0-9 工商银行&=%+#?:]{0,63}",
        layout(),
        0u32..1 << 20,
        key(),
        15u32..=300,
        1_577_836_800u64..4_102_444_800,
        proptest::collection::vec(funding(), 1..=8),
    )
        .prop_map(
            |(issuer, layout, token, key, period, issued_at, funding)| Card {
                issuer,
                layout,
                token,
                secret: Secret::from_bytes(key),
                period,
                issued_at,
                funding,
                api: None,
            },
        )
}

const EXAMPLE_LINK: &str = "paycode://provision?v=1&issuer=Demo%20Bank&prefix=13&length=18\
    &token=482913&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&period=60\
    &time=1764100000&funding=balance&funding=debit%3AICBC%3A1234";

proptest! {
    #[test]
    fn encode_then_parse_round_trips(layout in layout(), f in fields(), key in key()) {
        let code = encode(layout, &key, &f).unwrap();
        let digits = code.as_str();
        prop_assert_eq!(digits.len(), usize::from(layout.length));
        prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        let p = ParsedCode::parse(digits).unwrap();
        prop_assert_eq!(p.layout, layout);
        prop_assert_eq!(p.fields(f.step), f);
        prop_assert_eq!(u64::from(p.step_residue), f.step % 8);
        prop_assert!(p.mac < layout.mac_modulus());
        prop_assert!(p.mac_matches(&key, f.step));
        prop_assert_eq!(p.step_near(f.step, 1), Some(f.step));
    }

    /// At 20 digits and more a wrong MAC matches by chance with probability
    /// at most 1/931322574, so these never fail spuriously; at 16 digits
    /// (1/93132) a few thousand runs would.
    #[test]
    fn another_step_or_key_does_not_match(
        prefix in 10u8..=15,
        length in 20u8..=24,
        f in fields(),
        key in key(),
        flip in 0usize..16,
        later in 1u64..1000,
    ) {
        let layout = Layout::new(prefix, length).unwrap();
        let p = ParsedCode::parse(encode(layout, &key, &f).unwrap().as_str()).unwrap();
        if let Some(other) = f.step.checked_add(later * 8) {
            prop_assert!(!p.mac_matches(&key, other));
        }
        prop_assert!(!p.mac_matches(&key, f.step ^ 1));
        let mut other_key = key.clone();
        other_key[flip] ^= 0x80;
        prop_assert!(!p.mac_matches(&other_key, f.step));
    }

    #[test]
    fn the_step_is_found_anywhere_in_the_window(
        now in any::<u64>(),
        window in 0u64..=3,
        offset in -3i64..=3,
    ) {
        prop_assume!(offset.unsigned_abs() <= window);
        let Some(step) = now.checked_add_signed(offset) else { return Ok(()) };
        let p = ParsedCode {
            layout: Layout::DEFAULT,
            token: 0,
            step_residue: (step % 8) as u8,
            counter: 0,
            funding: 0,
            mac: 0,
        };
        prop_assert_eq!(p.step_near(now, window), Some(step));
    }

    #[test]
    fn masked_keeps_only_the_ends(layout in layout(), f in fields(), key in key()) {
        let code = encode(layout, &key, &f).unwrap();
        let digits = code.as_str();
        let masked = code.masked();
        let shown: String = masked.chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(shown, format!("{}{}", &digits[..4], &digits[digits.len() - 2..]));
        prop_assert_eq!(masked.chars().filter(|c| *c != ' ').count(), digits.len());
    }

    #[test]
    fn cards_round_trip_through_links(card in card()) {
        let link = card.to_link();
        prop_assert!(link.len() <= 2048);
        let back = Card::from_link(&link);
        prop_assert_eq!(back, Ok(card));
    }

    #[test]
    fn secrets_round_trip_through_base32(key in key(), pad in any::<bool>()) {
        let secret = Secret::from_bytes(key.clone());
        let mut text = secret.to_base32().to_lowercase();
        if pad {
            while !text.len().is_multiple_of(8) {
                text.push('=');
            }
        }
        let back = Secret::from_base32(&text).unwrap();
        prop_assert_eq!(back.as_bytes(), &key[..]);
    }

    #[test]
    fn funding_round_trips(f in funding()) {
        prop_assert_eq!(Funding::parse(&f.to_link_value()), Ok(f));
    }

    #[test]
    fn code_parser_never_panics(s in "\\PC{0,40}") {
        let _ = ParsedCode::parse(&s);
    }

    #[test]
    fn code_parser_never_panics_on_digit_strings(s in "[0-9]{0,40}") {
        if let Ok(p) = ParsedCode::parse(&s) {
            prop_assert_eq!(usize::from(p.layout.length), s.len());
            let _ = p.step_near(u64::MAX, 3);
            let _ = p.mac_matches(&[0u8; 16], u64::MAX);
        }
    }

    #[test]
    fn link_and_field_parsers_never_panic(s in "\\PC{0,300}") {
        let _ = Card::from_link(&s);
        let _ = Secret::from_base32(&s);
        let _ = Funding::parse(&s);
        let _ = Card::from_link(&format!("paycode://provision?{s}"));
    }

    /// Random edits of a valid link give an error or a card, never a panic,
    /// and any card read that way survives its own round trip.
    #[test]
    fn edited_links_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), "\\PC{0,3}", 0usize..4), 1..6)
    ) {
        let mut link = EXAMPLE_LINK.to_owned();
        for (at, insert, remove) in edits {
            let mut i = at.index(link.len() + 1);
            while !link.is_char_boundary(i) {
                i -= 1;
            }
            let mut end = (i + remove).min(link.len());
            while !link.is_char_boundary(end) {
                end += 1;
            }
            link.replace_range(i..end, &insert);
        }
        if let Ok(card) = Card::from_link(&link) {
            prop_assert_eq!(Card::from_link(&card.to_link()), Ok(card));
        }
    }

    #[test]
    fn codes_at_any_time_are_well_formed(card in card(), t in any::<u64>(), counter in 0u8..20, funding in 0u8..10) {
        match card.code_at(t, counter, funding) {
            Ok(code) => {
                let p = ParsedCode::parse(code.as_str()).unwrap();
                prop_assert!(p.mac_matches(card.secret.as_bytes(), card.step_at(t)));
            }
            Err(e) => prop_assert!(counter >= 16 || usize::from(funding) >= card.funding.len(), "{}", e),
        }
    }
}
