//! Why an activation link was refused.

use crate::core::limits::MAX_ISSUER_CHARS;
use crate::core::text::with_number;

/// Why an activation link (`paycode://activate?…`) was refused. Messages
/// never quote the link: its code delivers a card once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationLinkError {
    TooLong,
    WrongScheme,
    UnsupportedVersion,
    MissingField {
        field: &'static str,
    },
    DuplicateField {
        field: &'static str,
    },
    BadIssuer,
    /// `url` is not an https:// origin (or http:// on a loopback host).
    BadUrl,
    /// `code` is not 32 lowercase hex digits.
    BadCode,
}

impl ActivationLinkError {
    /// Stable snake_case name, shared with the wallet's own reader.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLong => "too_long",
            Self::WrongScheme => "wrong_scheme",
            Self::UnsupportedVersion => "unsupported_version",
            Self::MissingField { .. } => "missing_field",
            Self::DuplicateField { .. } => "duplicate_field",
            Self::BadIssuer => "bad_issuer",
            Self::BadUrl => "bad_activation_url",
            Self::BadCode => "bad_activation_code",
        }
    }
}

impl core::fmt::Display for ActivationLinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLong => f.write_str("the activation link is too long"),
            Self::WrongScheme => f.write_str(
                "this is not an activation link (it must start with paycode://activate?)",
            ),
            Self::UnsupportedVersion => f.write_str(
                "this activation link is from a newer version; only version 1 is understood",
            ),
            Self::MissingField { field } => write!(f, "the activation link has no \"{field}\""),
            Self::DuplicateField { field } => {
                write!(f, "the activation link gives \"{field}\" more than once")
            }
            Self::BadIssuer => f.write_str(&with_number(
                "the issuer name must be 1 to ",
                MAX_ISSUER_CHARS as u64,
                " printable characters",
            )),
            Self::BadUrl => f.write_str(
                "the issuer's address must be an https:// origin (or http:// on this device only)",
            ),
            Self::BadCode => f.write_str("the activation code must be 32 lowercase hex digits"),
        }
    }
}

impl std::error::Error for ActivationLinkError {}
