//! QR Code (ISO/IEC 18004) of digits, encoded by the `qrcode` crate at
//! error correction level M, in the version and mode it chooses (numeric
//! for digits; version 1 up to 34 of them).
//!
//! The steps are those of `QrCode::with_error_correction_level`, through
//! qrcode's public API, except that the mask is chosen by
//! [`super::qr_mask`]: the same choice, without qrcode's per-window
//! allocations.

use qrcode::canvas::Canvas;
use qrcode::types::{Color, EcLevel};
use qrcode::{bits, ec};

use super::{qr_mask, validate, Bitmap, Symbol, SymbolError, SymbolKind};

/// Light modules on each side, as ISO/IEC 18004 requires.
pub const QR_QUIET_ZONE: u32 = 4;

/// Level M restores up to 15 % of the codewords: a scratched or glared
/// phone screen still reads.
const EC_LEVEL: EcLevel = EcLevel::M;

/// Encodes `digits` as a QR symbol with a 4-module quiet zone.
pub fn qr(digits: &str) -> Result<Symbol, SymbolError> {
    let digits = validate(digits)?;
    let bits = bits::encode_auto(digits.as_bytes(), EC_LEVEL).map_err(|_| SymbolError::Encoder)?;
    let version = bits.version();
    let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EC_LEVEL)
        .map_err(|_| SymbolError::Encoder)?;
    let mut canvas = Canvas::new(version, EC_LEVEL);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = version.width();
    let canvas = qr_mask::apply_best_mask(&canvas, width).ok_or(SymbolError::Encoder)?;
    let side = u32::try_from(width).map_err(|_| SymbolError::Encoder)?;
    let full = side
        .checked_add(2 * QR_QUIET_ZONE)
        .ok_or(SymbolError::Encoder)?;
    let mut bitmap = Bitmap::light(full, full).ok_or(SymbolError::Encoder)?;
    let modules = canvas.into_colors();
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
