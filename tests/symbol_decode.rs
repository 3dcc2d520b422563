//! Every symbol is read back by a decoder not written here: `rqrr` for QR,
//! `rxing` (a port of ZXing) for Code 128.
// proptest is a native-only dev-dependency.
#![cfg(not(target_arch = "wasm32"))]

use paycode_wallet::core::symbol::{code128, qr, Bitmap, Symbol, MAX_DIGITS};
use proptest::prelude::*;
use rxing::BarcodeFormat;

/// Renders the bitmap to greyscale: `scale` pixels per module, `rows` rows
/// per bitmap row (for the one-row Code 128).
fn luma(bitmap: &Bitmap, scale: u32, rows: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = (bitmap.width * scale, bitmap.height * rows * scale);
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let dark = bitmap.get(x / scale, y / (rows * scale));
            pixels.push(if dark { 0 } else { 255 });
        }
    }
    (pixels, w, h)
}

fn read_qr(symbol: &Symbol) -> (rqrr::MetaData, String) {
    let (pixels, w, h) = luma(symbol.bitmap(), 4, 1);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
        pixels[y * w as usize + x]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR symbol found");
    grids[0].decode().expect("rqrr decodes the symbol")
}

fn read_code128(symbol: &Symbol) -> String {
    let (pixels, w, h) = luma(symbol.bitmap(), 2, 40);
    let result = rxing::helpers::detect_in_luma(pixels, w, h, Some(BarcodeFormat::CODE_128))
        .expect("rxing decodes the symbol");
    assert_eq!(*result.getBarcodeFormat(), BarcodeFormat::CODE_128);
    result.getText().to_string()
}

const CODES: [&str; 6] = [
    "134512345678901268",
    "100000000000000000",
    "159999999999999999999999",
    "1300000000000001",
    "13451234567890126",
    "12345678901234567890123",
];

#[test]
fn rqrr_reads_the_qr_digits_version_1_level_m() {
    for digits in CODES {
        let (meta, text) = read_qr(&qr(digits).expect("valid digits"));
        assert_eq!(text, digits);
        assert_eq!(meta.version.0, 1, "smallest version for {digits}");
        // Format bits 00 = level M (ISO/IEC 18004 table 12).
        assert_eq!(meta.ecc_level, 0, "level M for {digits}");
    }
}

#[test]
fn longer_digit_strings_take_the_next_versions_and_still_read() {
    // Numeric capacity at level M: 34 digits in version 1, 63 in version 2,
    // 101 in version 3 (ISO/IEC 18004 table 7).
    for (len, version) in [(35, 2), (48, 2), (63, 2), (MAX_DIGITS, 3)] {
        let digits: String = (0..len)
            .map(|i| char::from(b'0' + (i * 3 % 10) as u8))
            .collect();
        let (meta, text) = read_qr(&qr(&digits).expect("valid digits"));
        assert_eq!(text, digits);
        assert_eq!(
            (meta.version.0, meta.ecc_level),
            (version, 0),
            "{len} digits"
        );
        assert_eq!(
            read_code128(&code128(&digits).expect("valid digits")),
            digits
        );
    }
}

#[test]
fn qr_data_is_in_numeric_mode() {
    // A version 1 symbol at level M holds 34 digits in numeric mode but only
    // 20 in alphanumeric and 14 in byte mode (ISO/IEC 18004 table 7), so a
    // 34-digit version 1-M symbol proves the mode.
    let digits = "1345123456789012681345123456789012";
    assert_eq!(digits.len(), 34);
    let (meta, text) = read_qr(&qr(digits).expect("valid digits"));
    assert_eq!(text, digits);
    assert_eq!((meta.version.0, meta.ecc_level), (1, 0));
}

#[test]
fn rxing_reads_the_code128_digits() {
    for digits in CODES {
        assert_eq!(
            read_code128(&code128(digits).expect("valid digits")),
            digits
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_digit_string_round_trips(digits in "[0-9]{1,64}") {
        prop_assert_eq!(read_code128(&code128(&digits).expect("valid digits")), digits.clone());
    }

    #[test]
    fn any_digit_string_round_trips_in_qr(digits in "[0-9]{1,64}") {
        prop_assert_eq!(read_qr(&qr(&digits).expect("valid digits")).1, digits);
    }
}
