//! Symbol encoding: payment-code digits → module bitmaps (Code 128 and QR).
//!
//! A [`Bitmap`] is the symbol as the standard defines it, one cell per
//! module, quiet zones included, so the renderer only has to scale cells to
//! whole device pixels. Nothing here knows about canvases or pixels.

mod bitmap;
mod code128;
mod qr;
pub mod raster;

pub use bitmap::Bitmap;
pub use code128::{code128, CODE128_QUIET_ZONE};
pub use qr::{qr, QR_MAX_DIGITS, QR_QUIET_ZONE};

/// Longest digit string accepted. Payment codes have at most 24 digits; the
/// extra room keeps the encoders general while bounding the work per call.
pub const MAX_DIGITS: usize = 64;

/// Why digits could not be turned into a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolError {
    /// Nothing to encode.
    Empty,
    /// A character other than `0`–`9`.
    NotDigits,
    /// More than [`MAX_DIGITS`] digits ([`QR_MAX_DIGITS`] for QR).
    TooLong,
    /// The underlying encoder refused input that passed validation.
    Encoder,
}

impl SymbolError {
    /// Stable snake_case name for programs (the page picks its message by it).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Empty => "symbol_empty",
            Self::NotDigits => "symbol_not_digits",
            Self::TooLong => "symbol_too_long",
            Self::Encoder => "symbol_encoder",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Empty => "there are no digits to encode",
            Self::NotDigits => "only the digits 0 to 9 can be encoded",
            Self::TooLong => "too many digits to encode (at most 64, or 34 in a QR code)",
            Self::Encoder => "the symbol encoder could not encode these digits",
        }
    }
}

impl core::fmt::Display for SymbolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for SymbolError {}

/// Checks that `digits` is a non-empty, bounded string of ASCII digits; the
/// encoders below rely on it.
fn validate(digits: &str) -> Result<&[u8], SymbolError> {
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
    Ok(bytes)
}
