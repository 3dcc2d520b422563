//! Why a payment code could not be written or read.

use std::borrow::Cow;

use crate::core::limits::MIN_KEY_BYTES;
use crate::core::text::with_number;

/// Why a code could not be written or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Something other than the ASCII digits 0-9 (or nothing at all).
    NotDigits,
    /// A total length outside 16..=24.
    BadLength { len: usize },
    /// A prefix outside 10..=15.
    BadPrefix,
    /// The payload is too large to hold the fields and a MAC.
    PayloadOutOfRange,
    /// A token id of 2^20 or more.
    TokenOutOfRange,
    /// A swipe counter of 16 or more (or past the card's last swipe).
    CounterOutOfRange,
    /// A funding index of 8 or more, or past the card's funding sources.
    FundingOutOfRange,
    /// A key shorter than [`MIN_KEY_BYTES`].
    KeyTooShort,
}

impl CodeError {
    /// Stable snake_case name, for programs and translations.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotDigits => "not_digits",
            Self::BadLength { .. } => "bad_length",
            Self::BadPrefix => "bad_prefix",
            Self::PayloadOutOfRange => "payload_out_of_range",
            Self::TokenOutOfRange => "token_out_of_range",
            Self::CounterOutOfRange => "counter_out_of_range",
            Self::FundingOutOfRange => "funding_out_of_range",
            Self::KeyTooShort => "key_too_short",
        }
    }
}

impl CodeError {
    /// The plain-words message (what Display prints), built without
    /// `core::fmt` so the wasm bundle carries no formatting code.
    pub fn message(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::NotDigits => "a payment code is made of the digits 0 to 9 only",
            Self::BadLength { len } => {
                return with_number(
                    "a payment code has 16 to 24 digits; this one has ",
                    *len as u64,
                    "",
                )
                .into()
            }
            Self::BadPrefix => "a payment code starts with 10, 11, 12, 13, 14 or 15",
            Self::PayloadOutOfRange => {
                "the digits after the prefix are too large to be a payment code"
            }
            Self::TokenOutOfRange => "the card's token id must be below 1048576",
            Self::CounterOutOfRange => "too many codes in this time step; wait for the next one",
            Self::FundingOutOfRange => "there is no such funding source on this card",
            Self::KeyTooShort => {
                return with_number(
                    "the card's key is shorter than ",
                    MIN_KEY_BYTES as u64,
                    " bytes",
                )
                .into()
            }
        })
    }
}

impl core::fmt::Display for CodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CodeError {}
