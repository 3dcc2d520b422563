//! Code 128 (ISO/IEC 15417) of digits, encoded by the `barcoders` crate.

use barcoders::sym::code128::Code128;

use super::{validate, Bitmap, Symbol, SymbolError, SymbolKind};

/// Light modules on each side. ISO/IEC 15417 asks for at least 10.
pub const CODE128_QUIET_ZONE: u32 = 10;

/// barcoders' marks for "start in, or switch to, code set B / C".
const SET_B: char = '\u{0181}';
const SET_C: char = '\u{0106}';

/// Encodes `digits` as a one-row Code 128 symbol with quiet zones.
///
/// Code set C packs two digits per symbol character. An odd count (layouts
/// allow 17, 19, 21 or 23 digits) ends with a switch to set B for the last
/// digit, which costs the same one extra character as any other split; a
/// single digit is set B alone. Nothing shorter exists for digits.
pub fn code128(digits: &str) -> Result<Symbol, SymbolError> {
    let digits = validate(digits)?;
    let bars = Code128::new(code_sets(digits))
        .map_err(|_| SymbolError::Encoder)?
        .encode();
    let width = u32::try_from(bars.len())
        .ok()
        .and_then(|n| n.checked_add(2 * CODE128_QUIET_ZONE))
        .ok_or(SymbolError::Encoder)?;
    let mut bitmap = Bitmap::light(width, 1).ok_or(SymbolError::Encoder)?;
    for (x, _) in (CODE128_QUIET_ZONE..)
        .zip(bars)
        .filter(|&(_, bar)| bar == 1)
    {
        bitmap.set_dark(x, 0);
    }
    Ok(Symbol {
        bitmap,
        kind: SymbolKind::Linear,
        quiet_zone: CODE128_QUIET_ZONE,
    })
}

/// barcoders' input for `digits`: set C for the pairs, then set B for an
/// odd last digit.
fn code_sets(digits: &str) -> String {
    // The digits are ASCII (validated), so every index is a char boundary;
    // the checked split keeps str's panic message and its char formatting
    // (about 1.5 KB of wasm) out of the bundle.
    let (pairs, last) = digits
        .split_at_checked(digits.len() & !1)
        .unwrap_or((digits, ""));
    let mut data = String::with_capacity(digits.len() + 4);
    for (set, part) in [(SET_C, pairs), (SET_B, last)] {
        if !part.is_empty() {
            data.push(set);
            data.push_str(part);
        }
    }
    data
}
