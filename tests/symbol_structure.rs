//! Shape of the symbol bitmaps: sizes derived from the standards by hand,
//! quiet zones, determinism, and bad input rejected with an error.

use paycode_wallet::core::symbol::{
    code128, qr, Bitmap, SymbolError, CODE128_QUIET_ZONE, MAX_DIGITS, QR_MAX_DIGITS, QR_QUIET_ZONE,
};

/// ISO/IEC 15417: start 11 + 11 per symbol character + check 11 + stop 13.
fn code128_width(digits: usize) -> u32 {
    let characters = match digits {
        // A lone digit starts in set B: no switch needed.
        1 => 1,
        // Set C pairs only.
        n if n % 2 == 0 => n / 2,
        // Set C pairs, a switch to set B, then the last digit.
        n => n / 2 + 2,
    };
    (11 + 11 * characters + 11 + 13) as u32 + 2 * CODE128_QUIET_ZONE
}

fn light_columns(bitmap: &Bitmap, columns: impl Iterator<Item = u32>) -> bool {
    let columns: Vec<u32> = columns.collect();
    (0..bitmap.height).all(|y| columns.iter().all(|&x| !bitmap.get(x, y)))
}

#[test]
fn code128_width_follows_the_standard() {
    for (digits, expected) in [
        ("12", 11 + 11 + 11 + 13 + 20),
        ("134512345678901268", 154),
        ("1345123456789012", code128_width(16)),
        ("13451234567890126", 165),
        ("134512345678901234567890", code128_width(24)),
        ("1", code128_width(1)),
    ] {
        let bitmap = code128(digits).expect("valid digits");
        assert_eq!(bitmap.width, expected, "{digits}");
        assert_eq!(bitmap.width, code128_width(digits.len()), "{digits}");
        assert_eq!(bitmap.height, 1);
    }
}

#[test]
fn code128_has_quiet_zones_and_starts_and_ends_with_a_bar() {
    let bitmap = code128("134512345678901268").expect("valid digits");
    let q = CODE128_QUIET_ZONE;
    assert!(q >= 10);
    assert!(light_columns(&bitmap, 0..q));
    assert!(light_columns(&bitmap, bitmap.width - q..bitmap.width));
    assert!(bitmap.get(q, 0), "first bar right after the quiet zone");
    assert!(bitmap.get(bitmap.width - q - 1, 0), "stop ends with a bar");
    // Start C is 11010011100 (ISO/IEC 15417 table 1, value 105).
    let start: String = (q..q + 11)
        .map(|x| if bitmap.get(x, 0) { '1' } else { '0' })
        .collect();
    assert_eq!(start, "11010011100");
    // Stop pattern 1100011101011 ends the symbol.
    let stop: String = (bitmap.width - q - 13..bitmap.width - q)
        .map(|x| if bitmap.get(x, 0) { '1' } else { '0' })
        .collect();
    assert_eq!(stop, "1100011101011");
}

#[test]
fn qr_is_version_1_up_to_its_capacity_and_refuses_more() {
    // Version 1 is 17 + 4 modules wide and holds 34 digits at level M in
    // numeric mode (ISO/IEC 18004 table 7); payment codes have at most 24.
    for len in [1, 16, 18, 24, 34] {
        let digits: String = (0..len)
            .map(|i| char::from(b'0' + (i % 10) as u8))
            .collect();
        let bitmap = qr(&digits).expect("valid digits");
        let side = 21 + 2 * QR_QUIET_ZONE;
        assert_eq!((bitmap.width, bitmap.height), (side, side), "{len} digits");
    }
    for len in [35, 63, 64] {
        assert_eq!(qr(&"1".repeat(len)), Err(SymbolError::TooLong), "{len}");
    }
}

#[test]
fn qr_has_a_quiet_zone_and_finder_patterns() {
    let bitmap = qr("134512345678901268").expect("valid digits");
    let q = QR_QUIET_ZONE;
    assert_eq!(q, 4);
    let w = bitmap.width;
    for i in 0..w {
        for d in 0..q {
            assert!(
                !bitmap.get(i, d) && !bitmap.get(i, w - 1 - d),
                "row quiet zone"
            );
            assert!(
                !bitmap.get(d, i) && !bitmap.get(w - 1 - d, i),
                "column quiet zone"
            );
        }
    }
    // The top-left finder: a 7×7 dark ring, a light ring, a 3×3 dark core.
    for y in 0..7 {
        for x in 0..7 {
            let ring = x == 0 || y == 0 || x == 6 || y == 6;
            let core = (2..=4).contains(&x) && (2..=4).contains(&y);
            assert_eq!(bitmap.get(q + x, q + y), ring || core, "finder at {x},{y}");
        }
    }
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
        ("\u{0106}12", SymbolError::NotDigits),
        (too_long.as_str(), SymbolError::TooLong),
    ] {
        assert_eq!(code128(input), Err(error), "code128({input:?})");
        assert_eq!(qr(input), Err(error), "qr({input:?})");
    }
    assert!(code128(&"7".repeat(MAX_DIGITS)).is_ok());
    assert!(qr(&"7".repeat(QR_MAX_DIGITS)).is_ok());
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
}

#[test]
fn outside_the_bitmap_is_light() {
    let bitmap = qr("42").expect("valid digits");
    assert!(!bitmap.get(bitmap.width, 0));
    assert!(!bitmap.get(0, bitmap.height));
    assert!(!bitmap.get(u32::MAX, u32::MAX));
    assert!(bitmap.row(bitmap.height).is_empty());
    assert_eq!(bitmap.row(5).len(), bitmap.width as usize);
}

/// The reference: barcoders' general Code 128 encoder, given the same code
/// sets ("Ć" starts set C, "Ɓ" set B).
fn barcoders_bars(digits: &str) -> String {
    let paired = digits.len() & !1;
    let mut data = String::new();
    if paired > 0 {
        data.push('\u{0106}');
        data.push_str(&digits[..paired]);
    }
    if paired < digits.len() {
        data.push('\u{0181}');
        data.push_str(&digits[paired..]);
    }
    barcoders::sym::code128::Code128::new(&data)
        .expect("barcoders accepts the digits")
        .encode()
        .iter()
        .map(|&b| if b == 1 { '1' } else { '0' })
        .collect()
}

fn our_bars(digits: &str) -> String {
    let bitmap = code128(digits).expect("valid digits");
    (CODE128_QUIET_ZONE..bitmap.width - CODE128_QUIET_ZONE)
        .map(|x| if bitmap.get(x, 0) { '1' } else { '0' })
        .collect()
}

#[test]
fn code128_bars_match_the_barcoders_crate() {
    for digits in [
        "0",
        "9",
        "00",
        "99",
        "12",
        "134605419269801054",
        "13451234567890126",
        "159999999983157677567351",
        "1000000000003809",
    ] {
        assert_eq!(our_bars(digits), barcoders_bars(digits), "{digits}");
    }
    // Every pair value 00..99 in set C, and every last digit in set B.
    for n in 0..100u32 {
        let digits = format!("{n:02}{n:02}7");
        assert_eq!(our_bars(&digits), barcoders_bars(&digits), "{digits}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod random {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn code128_matches_barcoders_for_any_digits(digits in "[0-9]{1,64}") {
            prop_assert_eq!(super::our_bars(&digits), super::barcoders_bars(&digits));
        }
    }
}
