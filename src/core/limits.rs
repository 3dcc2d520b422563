//! Limits the wallet and the issuer share, each defined once.

use core::ops::RangeInclusive;

/// Shortest card key accepted: 128 bits, as RFC 4226 §4 requires of HOTP.
pub const MIN_KEY_BYTES: usize = 16;
/// Longest card key a provisioning link may carry (one SHA-256 block).
pub const MAX_KEY_BYTES: usize = 64;
/// Longer provisioning links are refused before they are read: a QR code
/// holds less.
pub const MAX_LINK_CHARS: usize = 2048;
/// Seconds per time step when a link or a new card names none.
pub const DEFAULT_PERIOD: u32 = 60;
/// Seconds per time step a card may have.
pub const PERIODS: RangeInclusive<u32> = 15..=300;
/// Funding sources a card may have: a code carries the index in 3 bits.
pub const MAX_FUNDING: u8 = 8;
/// Longest issuer name, in characters.
pub const MAX_ISSUER_CHARS: usize = 64;
/// Longest bank name of a debit source, in characters.
pub const MAX_BANK_CHARS: usize = 32;
