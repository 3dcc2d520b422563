//! Why an HOTP or TOTP value could not be computed.

use crate::core::limits::MIN_KEY_BYTES;

/// Why an HOTP or TOTP value could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtpError {
    /// The key is shorter than [`MIN_KEY_BYTES`].
    KeyTooShort { len: usize },
    /// Only 6, 7 or 8 digits are defined.
    UnsupportedDigits(u32),
    /// A TOTP period of zero seconds has no time steps.
    ZeroPeriod,
    /// The time is before the TOTP epoch `t0`.
    BeforeEpoch,
}

impl core::fmt::Display for OtpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::KeyTooShort { len } => write!(
                f,
                "the key is {len} bytes; at least {MIN_KEY_BYTES} are required"
            ),
            Self::UnsupportedDigits(d) => write!(f, "{d} digits is not supported; use 6 to 8"),
            Self::ZeroPeriod => f.write_str("the time step must be at least one second"),
            Self::BeforeEpoch => f.write_str("the time is before the start of the first step"),
        }
    }
}

impl std::error::Error for OtpError {}
