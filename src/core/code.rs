//! The payment code, format version 1 (docs/FORMAT.md is the specification).
//!
//! A code is `prefix ++ payload`: two issuer-prefix digits, then the payload
//! written as `length - 2` zero-padded decimal digits, where
//!
//! ```text
//! M       = floor(10^(length-2) / 2^30)                 (the MAC modulus)
//! payload = ((((token·8 + step mod 8)·16 + counter)·8 + funding)·M) + mac
//! mac     = first 8 bytes of HMAC-SHA256(key, message), big-endian, mod M
//! ```
//!
//! Encoding never allocates: the digits live in a stack array.

use subtle::ConstantTimeEq;

pub use super::error::CodeError;
use super::limits::{MAX_FUNDING, MIN_KEY_BYTES};
use super::otp::hmac_sha256;

/// Bits of the opaque token id that lets the issuer find the card.
pub const TOKEN_BITS: u32 = 20;
/// Token ids are below this.
pub const TOKEN_LIMIT: u32 = 1 << TOKEN_BITS;
/// Swipe counters within one time step are below this.
pub const COUNTER_LIMIT: u8 = 16;
/// The code carries the time step modulo this.
pub const STEP_RESIDUES: u64 = 8;
/// Widest verification window (in steps either side) for which a residue
/// modulo 8 still names exactly one step: 2·3 + 1 = 7 < 8.
pub const MAX_WINDOW: u64 = 3;
/// Prefixes tills route as this kind of code.
pub const PREFIXES: core::ops::RangeInclusive<u8> = 10..=15;
/// Total code lengths, prefix included.
pub const LENGTHS: core::ops::RangeInclusive<u8> = 16..=24;

/// Bits of the payload above the MAC: token, step residue, counter, funding.
const FIELD_BITS: u32 = TOKEN_BITS + 3 + 4 + 3;
/// Domain separation for the MAC input, so a key can never be confused with
/// one used for anything else.
const MAC_LABEL: &[u8; 10] = b"paycode/v1";
const MAX_DIGITS: usize = 24;

/// Issuer prefix and total length of the codes of one card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Two-digit issuer prefix, 10..=15.
    pub prefix: u8,
    /// Total number of digits, prefix included, 16..=24.
    pub length: u8,
}

impl Layout {
    /// Prefix 13, 18 digits.
    pub const DEFAULT: Layout = Layout {
        prefix: 13,
        length: 18,
    };

    pub fn new(prefix: u8, length: u8) -> Result<Layout, CodeError> {
        if !PREFIXES.contains(&prefix) {
            return Err(CodeError::BadPrefix);
        }
        if !LENGTHS.contains(&length) {
            return Err(CodeError::BadLength {
                len: usize::from(length),
            });
        }
        Ok(Layout { prefix, length })
    }

    /// The MAC modulus M = floor(10^(length-2) / 2^30); a forged code is
    /// accepted with probability 1/M per guess.
    pub fn mac_modulus(self) -> u64 {
        mac_modulus(self.length)
    }

    fn checked(self) -> Result<Layout, CodeError> {
        Layout::new(self.prefix, self.length)
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::DEFAULT
    }
}

/// M for a total length; 0 for lengths outside 16..=24.
pub fn mac_modulus(length: u8) -> u64 {
    if !LENGTHS.contains(&length) {
        return 0;
    }
    let payload = 10u128.pow(u32::from(length) - 2);
    // At most 10^22 / 2^30 ≈ 9.3e12, far inside u64.
    u64::try_from(payload >> FIELD_BITS).unwrap_or(0)
}

/// What one code says, before it is written as digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fields {
    /// Opaque token id assigned at provisioning, below 2^20.
    pub token: u32,
    /// Full time step: floor(issuer unix seconds / period).
    pub step: u64,
    /// Swipe counter within the step, below 16.
    pub counter: u8,
    /// Index of the funding source in the provisioning link, below 8.
    pub funding: u8,
}

/// The digits of one code, kept on the stack.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaymentCode {
    digits: [u8; MAX_DIGITS],
    len: u8,
}

impl PaymentCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this is always valid UTF-8.
        let len = usize::from(self.len).min(MAX_DIGITS);
        core::str::from_utf8(&self.digits[..len]).unwrap_or("")
    }

    /// For a screen someone may be looking over: the first 4 and last 2
    /// digits shown, the rest as dots, in groups of 4 ("1345 •••• •••• ••68").
    pub fn masked(&self) -> String {
        let digits = self.as_str();
        let len = digits.len();
        let mut out = String::with_capacity(len * 3 + len / 4);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(if i < 4 || i + 2 >= len { c } else { '•' });
        }
        out
    }
}

impl core::fmt::Display for PaymentCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PaymentCode({})", self.as_str())
    }
}

/// Writes the code for `fields` under `key`. Pure, no heap, never panics.
pub fn encode(layout: Layout, key: &[u8], fields: &Fields) -> Result<PaymentCode, CodeError> {
    let layout = layout.checked()?;
    check_fields(fields.token, fields.counter, fields.funding)?;
    if key.len() < MIN_KEY_BYTES {
        return Err(CodeError::KeyTooShort);
    }
    let m = layout.mac_modulus();
    let mac = compute_mac(layout, key, fields, m);
    let packed = pack(
        fields.token,
        fields.step % STEP_RESIDUES,
        fields.counter,
        fields.funding,
    );
    let payload = u128::from(packed) * u128::from(m) + u128::from(mac);

    let mut code = PaymentCode {
        digits: [b'0'; MAX_DIGITS],
        len: layout.length,
    };
    let len = usize::from(layout.length);
    code.digits[0] = b'0' + layout.prefix / 10;
    code.digits[1] = b'0' + layout.prefix % 10;
    write_decimal(payload, &mut code.digits[2..len]);
    Ok(code)
}

/// Writes `value` into `out` as decimal digits, right-aligned and padded
/// with zeros. 64-bit arithmetic on 32-bit limbs: a `u128` division would
/// link a 1 KB routine into the wasm for this one loop.
fn write_decimal(value: u128, out: &mut [u8]) {
    let mut limbs = [
        (value >> 96) as u32,
        (value >> 64) as u32,
        (value >> 32) as u32,
        value as u32,
    ];
    for slot in out.iter_mut().rev() {
        let mut rem = 0u64;
        for limb in &mut limbs {
            let current = (rem << 32) | u64::from(*limb);
            // current < 10 · 2^32, so the quotient fits in 32 bits.
            *limb = (current / 10) as u32;
            rem = current % 10;
        }
        *slot = b'0' + rem as u8;
    }
}

/// A code read back from its digits; the full step is not in it and must be
/// resolved against the verifier's clock with [`ParsedCode::step_near`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParsedCode {
    pub layout: Layout,
    pub token: u32,
    /// The time step modulo 8.
    pub step_residue: u8,
    pub counter: u8,
    pub funding: u8,
    pub mac: u64,
}

impl ParsedCode {
    /// Reads a code of 16..=24 ASCII digits (no spaces or separators).
    pub fn parse(digits: &str) -> Result<ParsedCode, CodeError> {
        let bytes = digits.as_bytes();
        if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(CodeError::NotDigits);
        }
        let length = u8::try_from(bytes.len())
            .ok()
            .filter(|l| LENGTHS.contains(l))
            .ok_or(CodeError::BadLength { len: bytes.len() })?;
        let prefix = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        let layout = Layout::new(prefix, length)?;
        let payload = bytes[2..]
            .iter()
            .fold(0u128, |acc, d| acc * 10 + u128::from(d - b'0'));
        let m = u128::from(layout.mac_modulus());
        let packed = payload / m;
        if packed >> FIELD_BITS != 0 {
            return Err(CodeError::PayloadOutOfRange);
        }
        // Both values are bounded (packed < 2^30, remainder < M < 2^44).
        let (packed, mac) = (packed as u32, (payload % m) as u64);
        Ok(ParsedCode {
            layout,
            token: packed >> 10,
            step_residue: ((packed >> 7) & 0x7) as u8,
            counter: ((packed >> 3) & 0xf) as u8,
            funding: (packed & 0x7) as u8,
            mac,
        })
    }

    /// The one step within `window` steps of `now_step` whose residue
    /// modulo 8 matches this code, if any. Windows wider than
    /// [`MAX_WINDOW`] are narrowed to it: beyond ±3 a residue modulo 8 no
    /// longer names a single step.
    pub fn step_near(&self, now_step: u64, window: u64) -> Option<u64> {
        let window = window.min(MAX_WINDOW);
        let ahead = (u64::from(self.step_residue) + STEP_RESIDUES - now_step % STEP_RESIDUES)
            % STEP_RESIDUES;
        if ahead <= window {
            now_step.checked_add(ahead)
        } else if STEP_RESIDUES - ahead <= window {
            now_step.checked_sub(STEP_RESIDUES - ahead)
        } else {
            None
        }
    }

    /// Whether the MAC is right for `key` at the full `step`, compared in
    /// constant time. False for keys shorter than [`MIN_KEY_BYTES`] and for
    /// steps whose residue differs from the code's.
    pub fn mac_matches(&self, key: &[u8], step: u64) -> bool {
        if key.len() < MIN_KEY_BYTES || step % STEP_RESIDUES != u64::from(self.step_residue) {
            return false;
        }
        let fields = Fields {
            token: self.token,
            step,
            counter: self.counter,
            funding: self.funding,
        };
        let expected = compute_mac(self.layout, key, &fields, self.layout.mac_modulus());
        expected.to_be_bytes().ct_eq(&self.mac.to_be_bytes()).into()
    }

    /// The fields of this code once its full step is known.
    pub fn fields(&self, step: u64) -> Fields {
        Fields {
            token: self.token,
            step,
            counter: self.counter,
            funding: self.funding,
        }
    }
}

fn check_fields(token: u32, counter: u8, funding: u8) -> Result<(), CodeError> {
    if token >= TOKEN_LIMIT {
        return Err(CodeError::TokenOutOfRange);
    }
    if counter >= COUNTER_LIMIT {
        return Err(CodeError::CounterOutOfRange);
    }
    if funding >= MAX_FUNDING {
        return Err(CodeError::FundingOutOfRange);
    }
    Ok(())
}

/// The 30 field bits: token (20), step residue (3), counter (4), funding (3).
fn pack(token: u32, residue: u64, counter: u8, funding: u8) -> u32 {
    // Callers have range-checked every field; the residue is below 8.
    (((token * 8 + residue as u32) * 16 + u32::from(counter)) * 8) + u32::from(funding)
}

/// The MAC input is 26 bytes: label, prefix, length, token, full step,
/// counter, funding (FORMAT.md §4).
fn compute_mac(layout: Layout, key: &[u8], fields: &Fields, modulus: u64) -> u64 {
    let mut msg = [0u8; 26];
    msg[..10].copy_from_slice(MAC_LABEL);
    msg[10] = layout.prefix;
    msg[11] = layout.length;
    msg[12..16].copy_from_slice(&fields.token.to_be_bytes());
    msg[16..24].copy_from_slice(&fields.step.to_be_bytes());
    msg[24] = fields.counter;
    msg[25] = fields.funding;
    let tag = hmac_sha256(key, &msg);
    let mut first = [0u8; 8];
    first.copy_from_slice(&tag[..8]);
    u64::from_be_bytes(first).checked_rem(modulus).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 20] = *b"12345678901234567890";

    fn fields() -> Fields {
        Fields {
            token: 482_913,
            step: 29_401_666,
            counter: 3,
            funding: 1,
        }
    }

    #[test]
    fn decimal_digits_match_u128_formatting() {
        let values = [
            0u128,
            9,
            10,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            10u128.pow(22) - 1,
            u128::MAX,
        ];
        for value in values {
            let mut out = [0u8; 39];
            write_decimal(value, &mut out);
            assert_eq!(core::str::from_utf8(&out).unwrap(), format!("{value:039}"));
        }
        let mut short = [0u8; 3];
        write_decimal(1234, &mut short);
        assert_eq!(&short, b"234", "only the lowest digits fit");
    }

    #[test]
    fn modulus_matches_the_format_table() {
        assert_eq!(mac_modulus(16), 93_132);
        assert_eq!(mac_modulus(18), 9_313_225);
        assert_eq!(mac_modulus(24), 9_313_225_746_154);
        assert_eq!(mac_modulus(15), 0);
        assert_eq!(mac_modulus(25), 0);
    }

    #[test]
    fn largest_payload_fits_in_the_digits() {
        for length in LENGTHS {
            let m = u128::from(mac_modulus(length));
            assert!((1u128 << FIELD_BITS) * m <= 10u128.pow(u32::from(length) - 2));
        }
    }

    #[test]
    fn encode_then_parse_gives_the_fields_back() {
        let code = encode(Layout::DEFAULT, &KEY, &fields()).unwrap();
        assert_eq!(code.as_str().len(), 18);
        assert!(code.as_str().starts_with("13"));
        let parsed = ParsedCode::parse(code.as_str()).unwrap();
        assert_eq!(parsed.token, 482_913);
        assert_eq!(u64::from(parsed.step_residue), 29_401_666 % 8);
        assert_eq!((parsed.counter, parsed.funding), (3, 1));
        assert!(parsed.mac_matches(&KEY, 29_401_666));
        assert!(!parsed.mac_matches(&KEY, 29_401_666 + 8));
        assert!(!parsed.mac_matches(&KEY, 29_401_667));
        assert!(!parsed.mac_matches(b"12345678901234567891", 29_401_666));
        assert!(!parsed.mac_matches(b"short", 29_401_666));
    }

    #[test]
    fn masked_shows_first_four_and_last_two() {
        let code = encode(Layout::new(13, 16).unwrap(), &KEY, &fields()).unwrap();
        let d = code.as_str();
        assert_eq!(
            code.masked(),
            format!("{} •••• •••• ••{}", &d[..4], &d[14..])
        );
        let code = encode(Layout::DEFAULT, &KEY, &fields()).unwrap();
        let d = code.as_str();
        assert_eq!(
            code.masked(),
            format!("{} •••• •••• •••• {}", &d[..4], &d[16..])
        );
    }

    #[test]
    fn step_near_resolves_within_the_window_only() {
        let mut p =
            ParsedCode::parse(encode(Layout::DEFAULT, &KEY, &fields()).unwrap().as_str()).unwrap();
        let s = 29_401_666;
        assert_eq!(p.step_near(s, 1), Some(s));
        assert_eq!(p.step_near(s + 1, 1), Some(s));
        assert_eq!(p.step_near(s - 1, 1), Some(s));
        assert_eq!(p.step_near(s + 2, 1), None);
        assert_eq!(p.step_near(s - 2, 1), None);
        assert_eq!(p.step_near(s + 3, 3), Some(s));
        assert_eq!(p.step_near(s - 3, 3), Some(s));
        assert_eq!(p.step_near(s + 4, 3), None);
        assert_eq!(p.step_near(s + 4, 100), None, "window is capped at 3");
        p.step_residue = 7;
        assert_eq!(p.step_near(0, 1), None, "no step before 0");
        p.step_residue = 0;
        assert_eq!(p.step_near(u64::MAX, 1), None, "no step after u64::MAX");
    }

    #[test]
    fn out_of_range_fields_are_refused() {
        let bad = |f: Fields| encode(Layout::DEFAULT, &KEY, &f).unwrap_err().kind();
        let f = fields();
        assert_eq!(
            bad(Fields {
                token: TOKEN_LIMIT,
                ..f
            }),
            "token_out_of_range"
        );
        assert_eq!(bad(Fields { counter: 16, ..f }), "counter_out_of_range");
        assert_eq!(bad(Fields { funding: 8, ..f }), "funding_out_of_range");
        let bad_layout = |p, l| {
            encode(
                Layout {
                    prefix: p,
                    length: l,
                },
                &KEY,
                &f,
            )
            .unwrap_err()
        };
        assert_eq!(bad_layout(9, 18).kind(), "bad_prefix");
        assert_eq!(bad_layout(16, 18).kind(), "bad_prefix");
        assert_eq!(bad_layout(13, 15).kind(), "bad_length");
        assert_eq!(bad_layout(13, 25).kind(), "bad_length");
        assert_eq!(
            encode(Layout::DEFAULT, b"short", &f).unwrap_err().kind(),
            "key_too_short"
        );
    }

    #[test]
    fn every_error_has_its_own_kind_and_a_message() {
        let all = [
            CodeError::NotDigits,
            CodeError::BadLength { len: 3 },
            CodeError::BadPrefix,
            CodeError::PayloadOutOfRange,
            CodeError::TokenOutOfRange,
            CodeError::CounterOutOfRange,
            CodeError::FundingOutOfRange,
            CodeError::KeyTooShort,
        ];
        let mut kinds: Vec<_> = all.iter().map(CodeError::kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
        let short = format!("shorter than {MIN_KEY_BYTES} bytes");
        assert!(CodeError::KeyTooShort.to_string().ends_with(&short));
    }

    #[test]
    fn bad_digits_are_named() {
        let kind = |s: &str| ParsedCode::parse(s).unwrap_err().kind();
        assert_eq!(kind(""), "not_digits");
        assert_eq!(kind("13456789012345678a"), "not_digits");
        assert_eq!(kind("1345 6789 0123 4567"), "not_digits");
        assert_eq!(kind("13٤567890123456789"), "not_digits");
        assert_eq!(kind("134567890123456"), "bad_length");
        assert_eq!(kind("1345678901234567890123456"), "bad_length");
        assert_eq!(kind("093456789012345678"), "bad_prefix");
        assert_eq!(kind("163456789012345678"), "bad_prefix");
        assert_eq!(kind("139999999999999999"), "payload_out_of_range");
    }
}
