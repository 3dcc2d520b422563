//! Code 128 (ISO/IEC 15417), digits only: code set C with a final set B
//! digit for odd counts.
//!
//! Written out here instead of calling the `barcoders` crate: its general
//! parser formats strings per character and carries a table of string
//! triples, about 3.3 KB of the gzipped browser bundle, for the one code set
//! and a half that digits need. `barcoders` remains the reference the tests
//! compare every bar against (tests/symbol_structure.rs).

use super::{validate, Bitmap, SymbolError};

/// Light modules on each side. ISO/IEC 15417 asks for at least 10.
pub const CODE128_QUIET_ZONE: u32 = 10;

/// Bar patterns of symbol values 0..=105, 11 modules each, first module in
/// the most significant of the low 11 bits (1 = bar). ISO/IEC 15417 table 1.
const PATTERNS: [u16; 106] = [
    0b11011001100,
    0b11001101100,
    0b11001100110,
    0b10010011000,
    0b10010001100,
    0b10001001100,
    0b10011001000,
    0b10011000100,
    0b10001100100,
    0b11001001000,
    0b11001000100,
    0b11000100100,
    0b10110011100,
    0b10011011100,
    0b10011001110,
    0b10111001100,
    0b10011101100,
    0b10011100110,
    0b11001110010,
    0b11001011100,
    0b11001001110,
    0b11011100100,
    0b11001110100,
    0b11101101110,
    0b11101001100,
    0b11100101100,
    0b11100100110,
    0b11101100100,
    0b11100110100,
    0b11100110010,
    0b11011011000,
    0b11011000110,
    0b11000110110,
    0b10100011000,
    0b10001011000,
    0b10001000110,
    0b10110001000,
    0b10001101000,
    0b10001100010,
    0b11010001000,
    0b11000101000,
    0b11000100010,
    0b10110111000,
    0b10110001110,
    0b10001101110,
    0b10111011000,
    0b10111000110,
    0b10001110110,
    0b11101110110,
    0b11010001110,
    0b11000101110,
    0b11011101000,
    0b11011100010,
    0b11011101110,
    0b11101011000,
    0b11101000110,
    0b11100010110,
    0b11101101000,
    0b11101100010,
    0b11100011010,
    0b11101111010,
    0b11001000010,
    0b11110001010,
    0b10100110000,
    0b10100001100,
    0b10010110000,
    0b10010000110,
    0b10000101100,
    0b10000100110,
    0b10110010000,
    0b10110000100,
    0b10011010000,
    0b10011000010,
    0b10000110100,
    0b10000110010,
    0b11000010010,
    0b11001010000,
    0b11110111010,
    0b11000010100,
    0b10001111010,
    0b10100111100,
    0b10010111100,
    0b10010011110,
    0b10111100100,
    0b10011110100,
    0b10011110010,
    0b11110100100,
    0b11110010100,
    0b11110010010,
    0b11011011110,
    0b11011110110,
    0b11110110110,
    0b10101111000,
    0b10100011110,
    0b10001011110,
    0b10111101000,
    0b10111100010,
    0b11110101000,
    0b11110100010,
    0b10111011110,
    0b10111101110,
    0b11101011110,
    0b11110101110,
    0b11010000100,
    0b11010010000,
    0b11010011100,
];
/// The stop pattern with its final 2-module bar (13 modules).
const STOP: u16 = 0b1100011101011;
const START_B: u8 = 104;
const START_C: u8 = 105;
/// "Code B" in set C: switch to set B for the next characters.
const CODE_B: u8 = 100;
/// Set B encodes ASCII 32..=127 as values 0..=95, so '0' is 16.
const SET_B_ZERO: u8 = 16;

/// Encodes `digits` as a one-row Code 128 bitmap with quiet zones.
///
/// Code set C packs two digits per symbol character. An odd count (layouts
/// allow 17, 19, 21 or 23 digits) ends with a switch to set B for the last
/// digit, which costs the same one extra character as any other split; a
/// single digit starts in set B.
pub fn code128(digits: &str) -> Result<Bitmap, SymbolError> {
    let bytes = validate(digits)?;
    let mut values = Vec::with_capacity(bytes.len() / 2 + 3);
    let (pairs, last) = bytes.split_at(bytes.len() & !1);
    values.push(if pairs.is_empty() { START_B } else { START_C });
    for pair in pairs.chunks_exact(2) {
        values.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
    }
    if let Some(&digit) = last.first() {
        if !pairs.is_empty() {
            values.push(CODE_B);
        }
        values.push(digit - b'0' + SET_B_ZERO);
    }
    // Check value: start value plus each value times its position, mod 103.
    let check = values
        .iter()
        .enumerate()
        .fold(0u32, |sum, (i, &v)| sum + u32::from(v) * (i as u32).max(1))
        % 103;
    values.push(check as u8);

    let width = 11 * values.len() as u32 + 13 + 2 * CODE128_QUIET_ZONE;
    let mut bitmap = Bitmap::light(width, 1).ok_or(SymbolError::TooLong)?;
    let mut x = CODE128_QUIET_ZONE;
    let patterns = values
        .iter()
        .map(|&v| (PATTERNS.get(usize::from(v)).copied().unwrap_or(0), 11))
        .chain([(STOP, 13)]);
    for (pattern, modules) in patterns {
        for bit in (0..modules).rev() {
            if pattern >> bit & 1 == 1 {
                bitmap.set_dark(x, 0);
            }
            x += 1;
        }
    }
    Ok(bitmap)
}
