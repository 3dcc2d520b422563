//! QR Code (ISO/IEC 18004) through the `qrcode` crate.

use super::{validate, Bitmap, SymbolError};
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Light modules on each side, as ISO/IEC 18004 requires.
pub const QR_QUIET_ZONE: u32 = 4;

/// Error correction level M: recovers ~15 % damage (a scratched screen,
/// glare) and still fits 24 digits in a version 1 symbol.
const EC_LEVEL: EcLevel = EcLevel::M;

/// Encodes `digits` in numeric mode, error correction M, in the smallest
/// version that holds them, with a 4-module quiet zone.
pub fn qr(digits: &str) -> Result<Bitmap, SymbolError> {
    let bytes = validate(digits)?;
    let code = smallest_numeric(bytes)?;
    let size = u32::try_from(code.width()).map_err(|_| SymbolError::Encoder)?;
    let side = size + 2 * QR_QUIET_ZONE;
    let mut bitmap = Bitmap::light(side, side).ok_or(SymbolError::Encoder)?;
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i % code.width(), i / code.width());
            // x, y < size, which fits in u32.
            bitmap.set_dark(x as u32 + QR_QUIET_ZONE, y as u32 + QR_QUIET_ZONE);
        }
    }
    Ok(bitmap)
}

/// Tries versions from 1 upwards so the mode is numeric by construction
/// (qrcode's automatic segmentation would choose it too, but only
/// implicitly).
fn smallest_numeric(digits: &[u8]) -> Result<QrCode, SymbolError> {
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        if bits.push_numeric_data(digits).is_err() || bits.push_terminator(EC_LEVEL).is_err() {
            continue;
        }
        return QrCode::with_bits(bits, EC_LEVEL).map_err(|_| SymbolError::Encoder);
    }
    Err(SymbolError::TooLong)
}
