//! Amounts of money in integer fen (1 yuan = 100 fen).
//!
//! Floating point never touches money: "0.1 + 0.2" style rounding would let
//! a 300.00 limit be crossed or missed by a fen. Amounts are parsed from
//! their decimal text digit by digit.

use std::fmt;

/// A positive amount in fen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(u64);

/// The largest amount accepted: 99,999,999.99 yuan. Far above any card
/// payment, and far below the `i64` range SQLite stores integers in.
pub const MAX_AMOUNT: Fen = Fen(9_999_999_999);

/// Longest input looked at, so that a megabyte of digits is refused before
/// any work is done on it.
const MAX_INPUT_LEN: usize = 32;

impl Fen {
    /// `fen` as an amount; `None` for zero or above [`MAX_AMOUNT`].
    pub fn new(fen: u64) -> Option<Fen> {
        (fen > 0 && fen <= MAX_AMOUNT.0).then_some(Fen(fen))
    }

    /// Whole yuan and fen, e.g. 300 yuan = `Fen::from_yuan(300, 0)`.
    pub const fn from_yuan(yuan: u64, fen: u64) -> Fen {
        Fen(yuan * 100 + fen)
    }

    pub fn as_fen(self) -> u64 {
        self.0
    }
}

/// Always two decimals, no thousands separators: "12.50", "300.00".
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Why an amount was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    Negative,
    /// Anything that is not plain decimal digits with at most one point:
    /// "abc", "1e9", "+5", " 12", "1,000", "12.", ".5".
    NotANumber,
    /// More than two digits after the point: "1.234".
    TooManyDecimals,
    Zero,
    TooLarge,
}

impl AmountError {
    /// Stable snake_case name used in JSON output.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Empty => "amount_empty",
            Self::Negative => "amount_negative",
            Self::NotANumber => "amount_not_a_number",
            Self::TooManyDecimals => "amount_too_many_decimals",
            Self::Zero => "amount_zero",
            Self::TooLarge => "amount_too_large",
        }
    }
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "no amount was given",
            Self::Negative => "the amount is negative; a charge must be more than zero",
            Self::NotANumber => {
                "the amount is not a plain decimal number of yuan like 12.50 \
                 (no signs, spaces, separators or exponents)"
            }
            Self::TooManyDecimals => {
                "the amount has more than two decimals; the smallest unit is one fen (0.01)"
            }
            Self::Zero => "the amount is zero; a charge must be more than zero",
            Self::TooLarge => "the amount is larger than 99999999.99",
        })
    }
}

impl std::error::Error for AmountError {}

/// Parses yuan written as "12.50", "12.5" or "300" into fen, exactly.
pub fn parse_amount(text: &str) -> Result<Fen, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, decimals) = match text.split_once('.') {
        Some((w, d)) => (w, Some(d)),
        None => (text, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || decimals.is_some_and(|d| !all_digits(d)) {
        return Err(AmountError::NotANumber);
    }
    let decimals = decimals.unwrap_or("");
    if decimals.len() > 2 {
        return Err(AmountError::TooManyDecimals);
    }
    if text.len() > MAX_INPUT_LEN {
        return Err(AmountError::TooLarge);
    }
    let fen = digits_value(whole)
        .checked_mul(100)
        .and_then(|yuan_fen| {
            // "12.5" means 50 fen, not 5.
            let frac = match decimals.len() {
                0 => 0,
                1 => digits_value(decimals) * 10,
                _ => digits_value(decimals),
            };
            yuan_fen.checked_add(frac)
        })
        .ok_or(AmountError::TooLarge)?;
    if fen == 0 {
        return Err(AmountError::Zero);
    }
    Fen::new(fen).ok_or(AmountError::TooLarge)
}

/// Value of a string of ASCII digits, saturating instead of overflowing so
/// that a too-long number is reported as too large, never wrapped.
fn digits_value(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_whole_one_and_two_decimal_amounts() {
        assert_eq!(parse_amount("12.50"), Ok(Fen(1250)));
        assert_eq!(parse_amount("12.5"), Ok(Fen(1250)));
        assert_eq!(parse_amount("12.05"), Ok(Fen(1205)));
        assert_eq!(parse_amount("300"), Ok(Fen(30000)));
        assert_eq!(parse_amount("300.00"), Ok(Fen(30000)));
        assert_eq!(parse_amount("300.01"), Ok(Fen(30001)));
        assert_eq!(parse_amount("0.01"), Ok(Fen(1)));
        assert_eq!(parse_amount("007.5"), Ok(Fen(750)));
        assert_eq!(parse_amount("99999999.99"), Ok(MAX_AMOUNT));
    }

    #[test]
    fn refuses_each_bad_form_with_its_own_error() {
        use AmountError::*;
        let cases = [
            ("", Empty),
            ("-1", Negative),
            ("-0.5", Negative),
            ("1.234", TooManyDecimals),
            ("abc", NotANumber),
            ("1e9", NotANumber),
            ("+5", NotANumber),
            (" 12", NotANumber),
            ("12 ", NotANumber),
            ("1,000", NotANumber),
            ("12.", NotANumber),
            (".5", NotANumber),
            ("1.2.3", NotANumber),
            ("１２", NotANumber),
            ("NaN", NotANumber),
            ("inf", NotANumber),
            ("0", Zero),
            ("0.00", Zero),
            ("000", Zero),
            ("100000000", TooLarge),
            ("99999999.991", TooManyDecimals),
            ("18446744073709551616", TooLarge),
            ("99999999999999999999999999999999999999", TooLarge),
        ];
        for (text, want) in cases {
            assert_eq!(parse_amount(text), Err(want), "input {text:?}");
        }
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Fen(1250).to_string(), "12.50");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen::from_yuan(300, 0).to_string(), "300.00");
    }

    #[test]
    fn every_error_has_a_distinct_kind_and_a_message() {
        use AmountError::*;
        let all = [Empty, Negative, NotANumber, TooManyDecimals, Zero, TooLarge];
        let kinds: std::collections::HashSet<_> = all.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_string(text in ".{0,40}") {
            let _ = parse_amount(&text);
        }

        #[test]
        fn display_and_parse_round_trip(fen in 1u64..=MAX_AMOUNT.0) {
            let amount = Fen(fen);
            proptest::prop_assert_eq!(parse_amount(&amount.to_string()), Ok(amount));
        }
    }
}
