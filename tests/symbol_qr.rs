//! The QR encoder against the `qrcode` crate, module for module: same bit
//! stream, error correction, placement and, through the same penalty rules,
//! the same mask. Decoding by foreign readers is in symbol_decode.rs.

use paycode_wallet::core::symbol::{qr, SymbolError, QR_MAX_DIGITS, QR_QUIET_ZONE};
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// The reference: version 1, numeric mode, level M, as `qrcode` draws it
/// (row-major, `true` = dark, no quiet zone).
fn reference(digits: &str) -> Vec<bool> {
    let mut bits = Bits::new(Version::Normal(1));
    bits.push_numeric_data(digits.as_bytes())
        .expect("qrcode accepts the digits");
    bits.push_terminator(EcLevel::M)
        .expect("the digits fit version 1-M");
    let code = QrCode::with_bits(bits, EcLevel::M).expect("qrcode encodes");
    assert_eq!(code.width(), 21);
    code.to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect()
}

/// Ours without the quiet zone, which is checked to be light.
fn ours(digits: &str) -> Vec<bool> {
    let bitmap = qr(digits).expect("valid digits");
    let q = QR_QUIET_ZONE;
    assert_eq!((bitmap.width, bitmap.height), (21 + 2 * q, 21 + 2 * q));
    for y in 0..bitmap.height {
        for x in 0..bitmap.width {
            let inside = (q..q + 21).contains(&x) && (q..q + 21).contains(&y);
            assert!(inside || !bitmap.get(x, y), "quiet zone at {x},{y}");
        }
    }
    (q..q + 21)
        .flat_map(|y| (q..q + 21).map(move |x| (x, y)))
        .map(|(x, y)| bitmap.get(x, y))
        .collect()
}

fn picture(modules: &[bool]) -> String {
    modules
        .chunks(21)
        .map(|row| row.iter().map(|&d| if d { '#' } else { '.' }).collect())
        .collect::<Vec<String>>()
        .join("\n")
}

fn assert_matches_reference(digits: &str) {
    let (ours, reference) = (ours(digits), reference(digits));
    assert!(
        ours == reference,
        "{digits}:\nours\n{}\nqrcode\n{}",
        picture(&ours),
        picture(&reference)
    );
}

#[test]
fn every_length_matches_the_qrcode_crate() {
    assert_eq!(QR_MAX_DIGITS, 34);
    for len in 1..=QR_MAX_DIGITS {
        // Several digit patterns per length so different masks win.
        for seed in 0..12u64 {
            let digits: String = (0..len as u64)
                .map(|i| {
                    let v = (i * 7 + seed * 13 + (i * i * seed) % 11) % 10;
                    char::from(b'0' + v as u8)
                })
                .collect();
            assert_matches_reference(&digits);
        }
        assert_matches_reference(&"0".repeat(len));
        assert_matches_reference(&"9".repeat(len));
    }
}

#[test]
fn payment_codes_match_the_qrcode_crate() {
    for digits in [
        "134512345678901268",
        "100000000000000000",
        "159999999999999999999999",
        "1300000000000001",
        "13451234567890126",
        "12345678901234567890123",
        "01234567",
    ] {
        assert_matches_reference(digits);
    }
}

/// The reference chooses each of the eight masks for some of these inputs,
/// so the penalty rules are compared for every mask (the mask number is
/// format bits 12–10 XOR 101, on row 8 at columns 2–4).
#[test]
fn the_inputs_exercise_every_mask() {
    let mut seen = [false; 8];
    for n in 0..4000u64 {
        let digits = format!("13{:016}", n * 2_654_435_761 % 10_000_000_000_000_000);
        let modules = reference(&digits);
        let bit = |x: usize| u8::from(modules[8 * 21 + x]);
        let mask = (bit(2) << 2 | bit(3) << 1 | bit(4)) ^ 0b101;
        if !seen[usize::from(mask)] {
            seen[usize::from(mask)] = true;
            assert_matches_reference(&digits);
        }
        if seen == [true; 8] {
            break;
        }
    }
    assert_eq!(seen, [true; 8]);
}

#[test]
fn digits_that_do_not_fit_version_1_m_are_refused() {
    for (input, error) in [
        ("", SymbolError::Empty),
        ("12a4", SymbolError::NotDigits),
        ("1234 5678", SymbolError::NotDigits),
        ("１２３４", SymbolError::NotDigits),
        ("+1", SymbolError::NotDigits),
        ("\u{0}", SymbolError::NotDigits),
    ] {
        assert_eq!(qr(input), Err(error), "{input:?}");
    }
    assert!(qr(&"5".repeat(QR_MAX_DIGITS)).is_ok());
    for len in [QR_MAX_DIGITS + 1, 63, 64, 65, 1000] {
        assert_eq!(qr(&"5".repeat(len)), Err(SymbolError::TooLong), "{len}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod random {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_digits_match_the_qrcode_crate(digits in "[0-9]{1,34}") {
            prop_assert_eq!(super::ours(&digits), super::reference(&digits));
        }
    }
}
