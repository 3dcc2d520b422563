//! Code 128 (ISO/IEC 15417) through the `barcoders` crate.

use super::{validate, Bitmap, SymbolError};
use barcoders::sym::code128::Code128;

/// Light modules on each side. ISO/IEC 15417 asks for at least 10.
pub const CODE128_QUIET_ZONE: u32 = 10;

/// barcoders' markers for "start in / switch to" character sets B and C.
const SET_B: char = '\u{0181}';
const SET_C: char = '\u{0106}';

/// Encodes `digits` as a one-row Code 128 bitmap with quiet zones.
///
/// Code set C packs two digits per symbol character. An odd count (layouts
/// allow 17, 19, 21 or 23 digits) ends with a switch to set B for the last
/// digit, which costs the same one extra character as any other split.
pub fn code128(digits: &str) -> Result<Bitmap, SymbolError> {
    let bytes = validate(digits)?;
    let paired = bytes.len() & !1;
    let mut data = String::with_capacity(bytes.len() + 4);
    if paired > 0 {
        data.push(SET_C);
        data.push_str(digits.get(..paired).ok_or(SymbolError::Encoder)?);
    }
    if paired < bytes.len() {
        data.push(SET_B);
        data.push_str(digits.get(paired..).ok_or(SymbolError::Encoder)?);
    }
    let bars = Code128::new(&data)
        .map_err(|_| SymbolError::Encoder)?
        .encode();
    let width = u32::try_from(bars.len())
        .ok()
        .and_then(|w| w.checked_add(2 * CODE128_QUIET_ZONE))
        .ok_or(SymbolError::TooLong)?;
    let mut bitmap = Bitmap::light(width, 1).ok_or(SymbolError::TooLong)?;
    for (x, _) in (CODE128_QUIET_ZONE..)
        .zip(&bars)
        .filter(|(_, &bar)| bar == 1)
    {
        bitmap.set_dark(x, 0);
    }
    Ok(bitmap)
}
