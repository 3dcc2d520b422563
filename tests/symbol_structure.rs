//! Code 128 symbols as ISO/IEC 15417 describes them, and what every symbol
//! shares: its kind and quiet zone recorded once, determinism, and bad
//! input refused with an error. QR structure is in symbol_qr.rs; decoding
//! by foreign readers in symbol_decode.rs.

use barcoders::sym::code128::Code128;
use paycode_wallet::core::symbol::{
    code128, qr, Bitmap, SymbolError, SymbolKind, CODE128_QUIET_ZONE, MAX_DIGITS, QR_QUIET_ZONE,
};

/// ISO/IEC 15417: start 11 + 11 per symbol character + check 11 + stop 13.
fn shortest_code128_width(digits: usize) -> u32 {
    let characters = match digits {
        // A lone digit starts in set B: no switch needed.
        1 => 1,
        // Set C pairs only.
        n if n % 2 == 0 => n / 2,
        // Set C pairs, one switch of code set, and the digit left over.
        n => n / 2 + 2,
    };
    (11 + 11 * characters + 11 + 13) as u32 + 2 * CODE128_QUIET_ZONE
}

fn digits(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'0' + ((i * 7 + 3) % 10) as u8))
        .collect()
}

fn bars(bitmap: &Bitmap, columns: core::ops::Range<u32>) -> String {
    columns
        .map(|x| if bitmap.get(x, 0) { '1' } else { '0' })
        .collect()
}

/// Modules (without quiet zones) that barcoders gives for its own input
/// syntax: "Ɓ" starts or switches to code set B, "Ć" set C.
fn barcoders_modules(data: &str) -> usize {
    Code128::new(data)
        .expect("barcoders accepts it")
        .encode()
        .len()
}

#[test]
fn code128_module_count_per_digit_length_is_the_shortest_possible() {
    for len in 1..=MAX_DIGITS {
        let d = digits(len);
        let symbol = code128(&d).expect("valid digits");
        let bitmap = symbol.bitmap();
        assert_eq!(bitmap.width, shortest_code128_width(len), "{len} digits");
        assert_eq!(bitmap.height, 1, "one row of bars");
        // No other choice of code sets gives fewer modules: all set B, or
        // the odd digit first in set B and the pairs after it in set C.
        let ours = (bitmap.width - 2 * CODE128_QUIET_ZONE) as usize;
        assert!(ours <= barcoders_modules(&format!("\u{0181}{d}")), "{len}");
        if len % 2 == 1 && len > 1 {
            let (first, rest) = d.split_at(1);
            let b_first = format!("\u{0181}{first}\u{0106}{rest}");
            assert_eq!(ours, barcoders_modules(&b_first), "{len}");
        }
    }
    // The widths payment codes have, written out.
    assert_eq!(code128(&digits(16)).unwrap().bitmap().width, 143);
    assert_eq!(code128(&digits(17)).unwrap().bitmap().width, 165);
    assert_eq!(code128(&digits(18)).unwrap().bitmap().width, 154);
    assert_eq!(code128(&digits(24)).unwrap().bitmap().width, 187);
}

#[test]
fn code128_has_quiet_zones_start_check_and_stop() {
    for d in ["134512345678901268", "13451234567890126", "1", "42"] {
        let symbol = code128(d).expect("valid digits");
        let bitmap = symbol.bitmap();
        let (q, w) = (CODE128_QUIET_ZONE, bitmap.width);
        assert!(q >= 10, "ISO/IEC 15417 asks for 10 modules");
        assert_eq!(
            bars(bitmap, 0..q),
            "0".repeat(q as usize),
            "{d}: left quiet zone"
        );
        assert_eq!(bars(bitmap, w - q..w), "0".repeat(q as usize), "{d}");
        // Start C (value 105) for pairs, start B (104) for a lone digit
        // (ISO/IEC 15417 table 1).
        let start = if d.len() == 1 {
            "11010010000"
        } else {
            "11010011100"
        };
        assert_eq!(bars(bitmap, q..q + 11), start, "{d}: start");
        assert_eq!(
            bars(bitmap, w - q - 13..w - q),
            "1100011101011",
            "{d}: stop"
        );
        // Every symbol character, the check character included, is 11
        // modules starting with a bar and ending with a space.
        for c in (q..w - q - 13).step_by(11) {
            let character = bars(bitmap, c..c + 11);
            assert!(
                character.starts_with('1') && character.ends_with('0'),
                "{d}"
            );
            assert_eq!(
                character.matches('1').count() % 2,
                0,
                "{d}: even bar modules"
            );
        }
    }
}

#[test]
fn code128_check_character_is_the_weighted_sum_mod_103() {
    // "1345": start C (105), 13, 45 → (105 + 13·1 + 45·2) mod 103 = 2,
    // whose pattern is 11001100110 (table 1).
    let symbol = code128("1345").expect("valid digits");
    let q = CODE128_QUIET_ZONE;
    let bitmap = symbol.bitmap();
    assert_eq!(bars(bitmap, q + 11..q + 22), "10011011100", "13");
    assert_eq!(bars(bitmap, q + 22..q + 33), "10111011000", "45");
    assert_eq!(bars(bitmap, q + 33..q + 44), "11001100110", "check value 2");
}

#[test]
fn each_symbol_records_its_kind_and_quiet_zone() {
    let bars = code128("134512345678901268").unwrap();
    assert_eq!(bars.kind(), SymbolKind::Linear);
    assert_eq!(bars.quiet_zone(), CODE128_QUIET_ZONE);
    let square = qr("134512345678901268").unwrap();
    assert_eq!(square.kind(), SymbolKind::Matrix);
    assert_eq!(square.quiet_zone(), QR_QUIET_ZONE);
}

#[test]
fn encoding_is_deterministic() {
    for digits in ["134512345678901268", "13451234567890126", "9"] {
        assert_eq!(code128(digits), code128(digits));
        assert_eq!(qr(digits), qr(digits));
    }
    assert_ne!(code128("134512345678901268"), code128("134512345678901269"));
    assert_ne!(qr("134512345678901268"), qr("134512345678901269"));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let too_long = "1".repeat(MAX_DIGITS + 1);
    for (input, error) in [
        ("", SymbolError::Empty),
        ("12a4", SymbolError::NotDigits),
        ("1234 5678", SymbolError::NotDigits),
        ("１２３４", SymbolError::NotDigits),
        ("-123", SymbolError::NotDigits),
        ("+1", SymbolError::NotDigits),
        ("\u{0}", SymbolError::NotDigits),
        // barcoders' own code-set marks are not digits either.
        ("\u{0106}12", SymbolError::NotDigits),
        ("12\u{0181}3", SymbolError::NotDigits),
        (too_long.as_str(), SymbolError::TooLong),
    ] {
        assert_eq!(code128(input), Err(error), "code128({input:?})");
        assert_eq!(qr(input), Err(error), "qr({input:?})");
    }
    assert!(code128(&"7".repeat(MAX_DIGITS)).is_ok());
    assert!(qr(&"7".repeat(MAX_DIGITS)).is_ok());
}

#[test]
fn errors_have_stable_kinds_and_plain_messages() {
    assert_eq!(SymbolError::Empty.kind(), "symbol_empty");
    assert_eq!(SymbolError::NotDigits.kind(), "symbol_not_digits");
    assert_eq!(SymbolError::TooLong.kind(), "symbol_too_long");
    assert_eq!(SymbolError::Encoder.kind(), "symbol_encoder");
    assert_eq!(
        SymbolError::NotDigits.to_string(),
        "only the digits 0 to 9 can be encoded"
    );
    assert!(SymbolError::TooLong
        .to_string()
        .contains(&format!("at most {MAX_DIGITS}")));
}

#[test]
fn outside_the_bitmap_is_light() {
    let symbol = qr("42").expect("valid digits");
    let bitmap = symbol.bitmap();
    assert!(!bitmap.get(bitmap.width, 0));
    assert!(!bitmap.get(0, bitmap.height));
    assert!(!bitmap.get(u32::MAX, u32::MAX));
    assert!(bitmap.row(bitmap.height).is_empty());
    assert_eq!(bitmap.row(5).len(), bitmap.width as usize);
}

#[cfg(not(target_arch = "wasm32"))]
mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_digits_give_the_shortest_width_and_a_start_and_stop(d in "[0-9]{1,64}") {
            let symbol = code128(&d).expect("valid digits");
            let bitmap = symbol.bitmap();
            let (q, w) = (CODE128_QUIET_ZONE, bitmap.width);
            prop_assert_eq!(w, shortest_code128_width(d.len()));
            prop_assert!(bars(bitmap, q..q + 11).starts_with("110100"));
            prop_assert_eq!(bars(bitmap, w - q - 13..w - q), "1100011101011");
        }
    }
}
