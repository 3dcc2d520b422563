//! HOTP (RFC 4226) and TOTP (RFC 6238) over HMAC-SHA1, -SHA256 and -SHA512.
//!
//! Every function returns an error value instead of panicking: in wasm a
//! panic takes the whole page down with it.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

pub use super::error::OtpError;
use super::limits::MIN_KEY_BYTES;

/// The hash under the HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// Parses the names used by provisioning links (`SHA1`, `SHA256`, `SHA512`),
    /// case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }
}

/// HMAC of `message` under `key` with `algorithm`, written into `out`;
/// returns the number of bytes written (20, 32 or 64).
///
/// Shared by the OTP functions and the payment-code MAC so that the three
/// hashes are wired up in exactly one place.
pub fn hmac(algorithm: Algorithm, key: &[u8], message: &[u8], out: &mut [u8; 64]) -> usize {
    fn run<M: Mac + KeyInit>(key: &[u8], message: &[u8], out: &mut [u8; 64]) -> usize {
        // HMAC accepts keys of any length, so this never fails.
        let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
            return 0;
        };
        mac.update(message);
        let tag = mac.finalize().into_bytes();
        out[..tag.len()].copy_from_slice(&tag);
        tag.len()
    }
    match algorithm {
        Algorithm::Sha1 => run::<Hmac<Sha1>>(key, message, out),
        Algorithm::Sha256 => {
            out[..32].copy_from_slice(&hmac_sha256(key, message));
            32
        }
        Algorithm::Sha512 => run::<Hmac<Sha512>>(key, message, out),
    }
}

/// HMAC-SHA256 of `message` under `key`: the payment-code MAC.
///
/// Its own function rather than `hmac(Algorithm::Sha256, ..)` so that the
/// wallet, which only ever needs SHA-256, does not link SHA-1 and SHA-512
/// into its wasm through the runtime `match` (several KB).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so the error arm is never taken.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// RFC 4226 HOTP value for `counter`, as a number below 10^`digits`.
pub fn hotp(algorithm: Algorithm, key: &[u8], counter: u64, digits: u32) -> Result<u32, OtpError> {
    if key.len() < MIN_KEY_BYTES {
        return Err(OtpError::KeyTooShort { len: key.len() });
    }
    if !(6..=8).contains(&digits) {
        return Err(OtpError::UnsupportedDigits(digits));
    }
    let mut tag = [0u8; 64];
    let len = hmac(algorithm, key, &counter.to_be_bytes(), &mut tag);
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte
    // picks four bytes; the top bit is dropped to avoid sign ambiguity.
    let offset = usize::from(tag[len - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        tag[offset],
        tag[offset + 1],
        tag[offset + 2],
        tag[offset + 3],
    ]) & 0x7fff_ffff;
    Ok(bin % 10u32.pow(digits))
}

/// The RFC 6238 time step containing `unix_seconds`.
pub fn time_step(unix_seconds: u64, t0: u64, period: u64) -> Result<u64, OtpError> {
    if period == 0 {
        return Err(OtpError::ZeroPeriod);
    }
    let since = unix_seconds.checked_sub(t0).ok_or(OtpError::BeforeEpoch)?;
    Ok(since / period)
}

/// RFC 6238 TOTP value at `unix_seconds` with epoch `t0` and step `period`.
pub fn totp(
    algorithm: Algorithm,
    key: &[u8],
    unix_seconds: u64,
    t0: u64,
    period: u64,
    digits: u32,
) -> Result<u32, OtpError> {
    hotp(algorithm, key, time_step(unix_seconds, t0, period)?, digits)
}

/// Zero-padded decimal form of an OTP value, as shown to a person.
pub fn format_digits(value: u32, digits: u32) -> String {
    format!("{value:0width$}", width = digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_key_is_an_error() {
        assert_eq!(
            hotp(Algorithm::Sha1, b"short", 0, 6),
            Err(OtpError::KeyTooShort { len: 5 })
        );
        assert_eq!(
            hotp(Algorithm::Sha1, b"", 0, 6),
            Err(OtpError::KeyTooShort { len: 0 })
        );
    }

    #[test]
    fn digits_outside_six_to_eight_are_errors() {
        let key = [7u8; 20];
        for d in [0, 1, 5, 9, 10, u32::MAX] {
            assert_eq!(
                hotp(Algorithm::Sha1, &key, 0, d),
                Err(OtpError::UnsupportedDigits(d))
            );
        }
    }

    #[test]
    fn zero_period_and_time_before_epoch_are_errors() {
        let key = [7u8; 20];
        assert_eq!(
            totp(Algorithm::Sha1, &key, 100, 0, 0, 6),
            Err(OtpError::ZeroPeriod)
        );
        assert_eq!(
            totp(Algorithm::Sha1, &key, 10, 11, 30, 6),
            Err(OtpError::BeforeEpoch)
        );
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(Algorithm::from_name(&a.name().to_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::from_name("MD5"), None);
    }

    #[test]
    fn extreme_counters_and_times_do_not_panic() {
        let key = [0xffu8; 64];
        for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert!(hotp(a, &key, u64::MAX, 8).is_ok());
            assert!(totp(a, &key, u64::MAX, 0, 1, 8).is_ok());
        }
    }
}
