//! Why a provisioning link was refused.

use std::borrow::Cow;

use crate::core::limits::{
    MAX_BANK_CHARS, MAX_FUNDING, MAX_ISSUER_CHARS, MAX_KEY_BYTES, MAX_LINK_CHARS, MIN_KEY_BYTES,
    PERIODS,
};
use crate::core::text::{decimal, join, with_number};

/// Why a provisioning link was refused. Messages never quote the link: it
/// may hold the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    TooLong,
    WrongScheme,
    UnsupportedVersion,
    MissingField { field: &'static str },
    DuplicateField { field: &'static str },
    BadIssuer,
    BadPrefix,
    BadLength,
    BadToken,
    BadBase32,
    SecretLength { len: usize },
    UnsupportedAlgorithm,
    BadPeriod,
    BadTime,
    NoFunding,
    TooManyFunding,
    CreditRefused,
    BadFunding,
    BadBank,
    BadLast4,
    BadApi,
}

impl LinkError {
    /// Stable snake_case name; the page picks its zh-CN/en message by it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::WrongScheme => "wrong_scheme",
            Self::UnsupportedVersion => "unsupported_version",
            Self::MissingField { .. } => "missing_field",
            Self::DuplicateField { .. } => "duplicate_field",
            Self::BadIssuer => "bad_issuer",
            Self::BadPrefix => "bad_prefix",
            Self::BadLength => "bad_length",
            Self::BadToken => "bad_token",
            Self::BadBase32 => "bad_base32",
            Self::SecretLength { .. } => "secret_length",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::BadPeriod => "bad_period",
            Self::BadTime => "bad_time",
            Self::NoFunding => "no_funding",
            Self::TooManyFunding => "too_many_funding",
            Self::CreditRefused => "credit_refused",
            Self::BadFunding => "bad_funding",
            Self::BadBank => "bad_bank",
            Self::BadLast4 => "bad_last4",
            Self::BadApi => "bad_api",
        }
    }
}

impl LinkError {
    /// The plain-words message (what Display prints), built without
    /// `core::fmt` so the wasm bundle carries no formatting code.
    pub fn message(&self) -> Cow<'static, str> {
        let fixed = match self {
            Self::TooLong => {
                return with_number(
                    "the link is longer than ",
                    MAX_LINK_CHARS as u64,
                    " characters",
                )
                .into()
            }
            Self::WrongScheme => {
                "this is not a payment-card link (it must start with paycode://provision?)"
            }
            Self::UnsupportedVersion => {
                "this card link is from a newer version; only version 1 is understood"
            }
            Self::MissingField { field } => {
                return join(&["the link has no \"", field, "\""]).into()
            }
            Self::DuplicateField { field } => {
                return join(&["the link gives \"", field, "\" more than once"]).into()
            }
            Self::BadIssuer => {
                return with_number(
                    "the issuer name must be 1 to ",
                    MAX_ISSUER_CHARS as u64,
                    " printable characters",
                )
                .into()
            }
            Self::BadPrefix => "the code prefix must be two digits from 10 to 15",
            Self::BadLength => "the code length must be from 16 to 24 digits",
            Self::BadToken => "the card's token id must be a number below 1048576",
            Self::BadBase32 => "the card's secret is not valid base32",
            Self::SecretLength { len } => {
                let range = join(&[
                    " bytes; it must be ",
                    &decimal(MIN_KEY_BYTES as u64),
                    " to ",
                    &decimal(MAX_KEY_BYTES as u64),
                ]);
                return with_number("the card's secret is ", *len as u64, &range).into();
            }
            Self::UnsupportedAlgorithm => "only the SHA256 algorithm is supported",
            Self::BadPeriod => {
                let range = join(&[
                    &decimal(u64::from(*PERIODS.start())),
                    " to ",
                    &decimal(u64::from(*PERIODS.end())),
                    " seconds",
                ]);
                return join(&["the code period must be ", &range]).into();
            }
            Self::BadTime => "the issuer's time must be unix seconds between 2020 and 2100",
            Self::NoFunding => "the link offers no funding source",
            Self::TooManyFunding => {
                return with_number(
                    "the link offers more than ",
                    MAX_FUNDING.into(),
                    " funding sources",
                )
                .into()
            }
            Self::CreditRefused => {
                "credit cards cannot pay by payment code; use the balance or a debit card"
            }
            Self::BadFunding => "a funding source must be \"balance\" or \"debit:BANK:LAST4\"",
            Self::BadBank => {
                return with_number(
                    "a debit card's bank name must be 1 to ",
                    MAX_BANK_CHARS as u64,
                    " printable characters",
                )
                .into()
            }
            Self::BadLast4 => "a debit card needs exactly the last 4 digits of its number",
            Self::BadApi => {
                "the issuer's address must be an https:// origin (or http:// on this device only)"
            }
        };
        Cow::Borrowed(fixed)
    }
}

impl core::fmt::Display for LinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for LinkError {}
