//! Why digits could not be turned into a symbol.

/// Why digits could not be turned into a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolError {
    /// Nothing to encode.
    Empty,
    /// A character other than `0`–`9`.
    NotDigits,
    /// More than [`crate::core::symbol::MAX_DIGITS`] digits.
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
            Self::TooLong => "too many digits to encode (at most 64)",
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
