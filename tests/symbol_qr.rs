//! QR symbols as ISO/IEC 18004 lays them out, read from the bitmap: the
//! version `qrcode` chose for the digit count, quiet zone, finder, timing
//! and alignment patterns, and the format information (level M, a valid
//! BCH code word, the same in both copies). Decoding by foreign readers is
//! in symbol_decode.rs.
//!
//! The wallet picks the mask itself (src/core/symbol/qr_mask.rs, for
//! speed); every symbol is checked here to equal the one qrcode's own
//! `QrCode::with_error_correction_level` makes.

use paycode_wallet::core::symbol::{qr, Bitmap, MAX_DIGITS, QR_QUIET_ZONE};
use qrcode::{Color, EcLevel, QrCode};

/// The symbol without its quiet zone, which is checked to be light.
struct Modules<'a> {
    bitmap: &'a Bitmap,
    side: u32,
}

impl<'a> Modules<'a> {
    fn of(bitmap: &'a Bitmap) -> Self {
        let q = QR_QUIET_ZONE;
        assert_eq!(bitmap.width, bitmap.height, "square");
        for y in 0..bitmap.height {
            for x in 0..bitmap.width {
                let inside =
                    (q..bitmap.width - q).contains(&x) && (q..bitmap.height - q).contains(&y);
                assert!(inside || !bitmap.get(x, y), "quiet zone at {x},{y}");
            }
        }
        Modules {
            bitmap,
            side: bitmap.width - 2 * q,
        }
    }

    fn dark(&self, x: u32, y: u32) -> bool {
        self.bitmap.get(x + QR_QUIET_ZONE, y + QR_QUIET_ZONE)
    }

    fn version(&self) -> u32 {
        assert_eq!(
            (self.side - 17) % 4,
            0,
            "side {} is 17 + 4·version",
            self.side
        );
        (self.side - 17) / 4
    }

    /// The 15 format bits of the copy around the top-left finder and of
    /// the copy split between the other two (ISO/IEC 18004 §7.9.1, figure
    /// 25), bit 0 first.
    fn format_bits(&self) -> (u16, u16) {
        let s = self.side;
        let bit = |dark: bool, i: u32| u16::from(dark) << i;
        let mut first = 0;
        let mut second = 0;
        for i in 0..=5 {
            first |= bit(self.dark(8, i), i);
        }
        first |= bit(self.dark(8, 7), 6) | bit(self.dark(8, 8), 7) | bit(self.dark(7, 8), 8);
        for i in 9..15 {
            first |= bit(self.dark(14 - i, 8), i);
        }
        for i in 0..8 {
            second |= bit(self.dark(s - 1 - i, 8), i);
        }
        for i in 8..15 {
            second |= bit(self.dark(8, s - 15 + i), i);
        }
        (first, second)
    }
}

/// Numeric-mode capacity at level M by version (ISO/IEC 18004 table 7).
fn expected_version(digits: usize) -> u32 {
    match digits {
        0..=34 => 1,
        35..=63 => 2,
        64..=101 => 3,
        _ => unreachable!("more than MAX_DIGITS"),
    }
}

fn digits(len: usize, seed: u64) -> String {
    (0..len as u64)
        .map(|i| char::from(b'0' + ((i * 7 + seed * 13 + (i * i * seed) % 11) % 10) as u8))
        .collect()
}

/// A 7×7 finder (dark ring, light ring, 3×3 dark core) at (x, y), with its
/// light separator where it lies inside the symbol.
fn assert_finder(m: &Modules, x: u32, y: u32) {
    for dy in -1i32..=7 {
        for dx in -1i32..=7 {
            let (px, py) = (x as i32 + dx, y as i32 + dy);
            if px < 0 || py < 0 || px >= m.side as i32 || py >= m.side as i32 {
                continue;
            }
            let in_finder = (0..7).contains(&dx) && (0..7).contains(&dy);
            let ring = in_finder && (dx == 0 || dy == 0 || dx == 6 || dy == 6);
            let core = (2..=4).contains(&dx) && (2..=4).contains(&dy);
            assert_eq!(
                m.dark(px as u32, py as u32),
                ring || core,
                "finder at {x},{y}: {dx},{dy}"
            );
        }
    }
}

#[test]
fn the_version_is_the_smallest_that_holds_the_digits_in_numeric_mode() {
    for len in 1..=MAX_DIGITS {
        let symbol = qr(&digits(len, 1)).expect("valid digits");
        let m = Modules::of(symbol.bitmap());
        assert_eq!(m.version(), expected_version(len), "{len} digits");
    }
}

#[test]
fn finders_timing_dark_module_and_alignment_are_in_place() {
    for len in [1, 18, 24, 34, 35, 63, 64] {
        let symbol = qr(&digits(len, 3)).expect("valid digits");
        let m = Modules::of(symbol.bitmap());
        let s = m.side;
        assert_finder(&m, 0, 0);
        assert_finder(&m, s - 7, 0);
        assert_finder(&m, 0, s - 7);
        // Timing patterns: alternating, dark on even indexes, between the
        // finders' separators.
        for i in 8..s - 8 {
            assert_eq!(m.dark(i, 6), i % 2 == 0, "{len}: row 6 at {i}");
            assert_eq!(m.dark(6, i), i % 2 == 0, "{len}: column 6 at {i}");
        }
        assert!(m.dark(8, s - 8), "{len}: the dark module");
        if m.version() >= 2 {
            // Versions 2 to 6 have one alignment pattern, centred 7 modules
            // in from the bottom-right corner: dark ring, light ring, dark
            // centre.
            let c = s - 7;
            for dy in 0..5 {
                for dx in 0..5 {
                    let ring = dx == 0 || dy == 0 || dx == 4 || dy == 4;
                    let centre = dx == 2 && dy == 2;
                    let dark = m.dark(c - 2 + dx, c - 2 + dy);
                    assert_eq!(dark, ring || centre, "{len}: alignment {dx},{dy}");
                }
            }
        }
    }
}

/// Remainder of the 15-bit format word divided by the BCH generator
/// x^10 + x^8 + x^5 + x^4 + x^2 + x + 1 (ISO/IEC 18004 annex C).
fn bch_remainder(word: u16) -> u16 {
    let mut r = u32::from(word);
    for shift in (0..=4).rev() {
        if r & (1 << (shift + 10)) != 0 {
            r ^= 0x537 << shift;
        }
    }
    r as u16
}

#[test]
fn format_information_says_level_m_in_both_copies() {
    let mut masks = [false; 8];
    for n in 0..400u64 {
        let code = format!("13{:016}", n * 2_654_435_761 % 10_000_000_000_000_000);
        let symbol = qr(&code).expect("valid digits");
        let m = Modules::of(symbol.bitmap());
        let (first, second) = m.format_bits();
        assert_eq!(first, second, "{code}: the two copies agree");
        let word = first ^ 0b101_0100_0001_0010;
        assert_eq!(bch_remainder(word), 0, "{code}: a BCH code word");
        let data = word >> 10;
        assert_eq!(data >> 3, 0b00, "{code}: level M is 00 (table 12)");
        masks[usize::from(data & 0b111)] = true;
    }
    // The eight masks are scored and the best one taken; across many codes
    // each one wins somewhere.
    assert_eq!(masks, [true; 8]);
}

#[test]
fn the_quiet_zone_is_four_modules() {
    assert_eq!(QR_QUIET_ZONE, 4);
    let symbol = qr("134512345678901268").expect("valid digits");
    assert_eq!(symbol.quiet_zone(), 4);
    assert_eq!(symbol.bitmap().width, 21 + 2 * 4);
}

/// qrcode's own symbol for `digits`, with the quiet zone, as a bitmap's
/// rows of dark flags.
fn qrcode_reference(digits: &str) -> Vec<Vec<bool>> {
    let code = QrCode::with_error_correction_level(digits, EcLevel::M).expect("qrcode encodes");
    let side = code.width();
    let q = QR_QUIET_ZONE as usize;
    let colors = code.into_colors();
    (0..side + 2 * q)
        .map(|y| {
            (0..side + 2 * q)
                .map(|x| {
                    let inside = (q..side + q).contains(&x) && (q..side + q).contains(&y);
                    inside && colors[(y - q) * side + (x - q)] == Color::Dark
                })
                .collect()
        })
        .collect()
}

fn rows(bitmap: &Bitmap) -> Vec<Vec<bool>> {
    (0..bitmap.height).map(|y| bitmap.row(y).to_vec()).collect()
}

#[test]
fn every_symbol_is_the_one_qrcode_itself_makes() {
    // 18-digit payment codes, and every length up to MAX_DIGITS (versions
    // 1 to 3), a few seeds each.
    let codes = (0..3000u64)
        .map(|n| {
            format!(
                "13{:016}",
                n.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 10u64.pow(16)
            )
        })
        .chain((1..=MAX_DIGITS).flat_map(|len| (0..8).map(move |seed| digits(len, seed))));
    let mut checked = 0;
    for code in codes {
        let ours = qr(&code).expect("valid digits");
        assert!(
            rows(ours.bitmap()) == qrcode_reference(&code),
            "{code}: differs from qrcode's QrCode::with_error_correction_level"
        );
        checked += 1;
    }
    assert_eq!(checked, 3000 + 8 * MAX_DIGITS);
}
