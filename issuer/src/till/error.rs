//! Why a till request did not get an answer it could use.

use std::fmt;

use super::wire::WireError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TillError {
    /// Refused before anything was sent: a bad order number or amount.
    Input(String),
    /// No answer within the request timeout: the request may or may not
    /// have been carried out.
    Timeout,
    /// Connecting, sending or reading failed; the request may or may not
    /// have arrived.
    Network(String),
    /// The issuer answered with an error.
    Api { status: u16, error: WireError },
    /// The answer was not what the API document describes.
    BadAnswer { status: u16, why: String },
}

impl TillError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Input(_) => "bad_value",
            Self::Timeout => "timeout",
            Self::Network(_) => "network",
            Self::Api { .. } => "api_error",
            Self::BadAnswer { .. } => "bad_answer",
        }
    }

    /// Whether the outcome of the request is unknown, so a payment must go
    /// through the till rule: no answer, a server failure, or rate limited.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Timeout | Self::Network(_) | Self::BadAnswer { .. } => true,
            Self::Api { status, .. } => *status >= 500 || *status == 429,
            Self::Input(_) => false,
        }
    }

    /// The API's error code, when the issuer answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }
}

impl fmt::Display for TillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(why) => f.write_str(why),
            Self::Timeout => f.write_str("the issuer did not answer in time"),
            Self::Network(why) => write!(f, "could not reach the issuer: {why}"),
            Self::Api { status, error } => {
                write!(
                    f,
                    "the issuer answered {status} {}: {}",
                    error.code, error.message
                )
            }
            Self::BadAnswer { status, why } => {
                write!(f, "the issuer's answer ({status}) is not readable: {why}")
            }
        }
    }
}

impl std::error::Error for TillError {}
