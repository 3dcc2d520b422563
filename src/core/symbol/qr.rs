//! QR Code (ISO/IEC 18004) of digits, encoded by the `qrcode` crate at
//! error correction level M, in the version and mode it chooses (numeric
//! for digits; version 1 up to 34 of them).

use qrcode::{Color, EcLevel, QrCode};

use super::{validate, Bitmap, Symbol, SymbolError, SymbolKind};

/// Light modules on each side, as ISO/IEC 18004 requires.
pub const QR_QUIET_ZONE: u32 = 4;

/// Level M restores up to 15 % of the codewords: a scratched or glared
/// phone screen still reads.
const EC_LEVEL: EcLevel = EcLevel::M;

/// Encodes `digits` as a QR symbol with a 4-module quiet zone.
pub fn qr(digits: &str) -> Result<Symbol, SymbolError> {
    let digits = validate(digits)?;
    let code =
        QrCode::with_error_correction_level(digits, EC_LEVEL).map_err(|_| SymbolError::Encoder)?;
    let side = u32::try_from(code.width()).map_err(|_| SymbolError::Encoder)?;
    let full = side
        .checked_add(2 * QR_QUIET_ZONE)
        .ok_or(SymbolError::Encoder)?;
    let mut bitmap = Bitmap::light(full, full).ok_or(SymbolError::Encoder)?;
    let modules = code.into_colors();
    let dark = (0..side)
        .flat_map(|y| (0..side).map(move |x| (x, y)))
        .zip(modules)
        .filter(|&(_, color)| color == Color::Dark);
    for ((x, y), _) in dark {
        bitmap.set_dark(x + QR_QUIET_ZONE, y + QR_QUIET_ZONE);
    }
    Ok(Symbol {
        bitmap,
        kind: SymbolKind::Matrix,
        quiet_zone: QR_QUIET_ZONE,
    })
}
