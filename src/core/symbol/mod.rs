//! Symbol encoding: payment-code digits → symbols (Code 128 and QR).
//!
//! The `barcoders` and `qrcode` crates encode; this module checks the
//! digits, picks the input that gives the shortest symbol, and records what
//! the rasteriser needs to know once: the module bitmap, whether the symbol
//! is linear or a matrix, and its quiet zone. Nothing here knows about
//! canvases or pixels.

mod bitmap;
mod code128;
mod qr;
mod qr_mask;

pub use super::error::SymbolError;
pub use bitmap::Bitmap;
pub use code128::{code128, CODE128_QUIET_ZONE};
pub use qr::{qr, QR_QUIET_ZONE};

/// Longest digit string accepted. Payment codes have at most 24 digits; the
/// extra room keeps the encoders general while bounding the work per call.
pub const MAX_DIGITS: usize = 64;

/// How a symbol's modules are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// One row of bars, stretched to the bar height (Code 128). Its quiet
    /// zone is left and right only.
    Linear,
    /// Square modules in rows and columns (QR), with a quiet zone all round.
    Matrix,
}

/// A symbol ready to rasterise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    bitmap: Bitmap,
    kind: SymbolKind,
    quiet_zone: u32,
}

impl Symbol {
    /// The modules, quiet zones included; one row for a linear symbol.
    pub fn bitmap(&self) -> &Bitmap {
        &self.bitmap
    }

    pub fn kind(&self) -> SymbolKind {
        self.kind
    }

    /// Light modules on each side that the bitmap includes (left and right
    /// only for a linear symbol).
    pub fn quiet_zone(&self) -> u32 {
        self.quiet_zone
    }
}

/// Checks that `digits` is a non-empty, bounded string of ASCII digits; the
/// encoders below rely on it.
fn validate(digits: &str) -> Result<&str, SymbolError> {
    let bytes = digits.as_bytes();
    if bytes.is_empty() {
        return Err(SymbolError::Empty);
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(SymbolError::NotDigits);
    }
    if bytes.len() > MAX_DIGITS {
        return Err(SymbolError::TooLong);
    }
    Ok(digits)
}
