//! Merchant order numbers (`out_trade_no`, `out_refund_no`): 1–32 of
//! `[A-Za-z0-9_-]`, unique per merchant forever.

use std::fmt;

use rand::Rng;

use crate::signing::is_token_char;

pub const MAX_ORDER_NO_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderNoError {
    Empty,
    TooLong(usize),
    BadCharacter,
}

impl fmt::Display for OrderNoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("an order number cannot be empty"),
            Self::TooLong(n) => write!(f, "an order number is at most 32 characters, not {n}"),
            Self::BadCharacter => {
                f.write_str("an order number may only hold A-Z, a-z, 0-9, _ and -")
            }
        }
    }
}

impl std::error::Error for OrderNoError {}

pub fn check_order_no(no: &str) -> Result<&str, OrderNoError> {
    if no.is_empty() {
        return Err(OrderNoError::Empty);
    }
    if !no.bytes().all(is_token_char) {
        return Err(OrderNoError::BadCharacter);
    }
    if no.len() > MAX_ORDER_NO_LEN {
        return Err(OrderNoError::TooLong(no.len()));
    }
    Ok(no)
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh order number: `T`, the unix time (so they sort by sale) and 10
/// random characters (50 bits, within a second: tills sharing a merchant
/// do not collide). At most 32 characters for any `u64` time.
pub fn new_out_trade_no(now: u64) -> String {
    let mut rng = rand::rng();
    let random: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("T{now}-{random}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_numbers_are_valid_and_differ() {
        let a = new_out_trade_no(u64::MAX);
        assert_eq!(check_order_no(&a), Ok(a.as_str()));
        assert_ne!(new_out_trade_no(1), new_out_trade_no(1));
    }

    #[test]
    fn refusals() {
        assert_eq!(check_order_no(""), Err(OrderNoError::Empty));
        assert_eq!(
            check_order_no(&"a".repeat(33)),
            Err(OrderNoError::TooLong(33))
        );
        assert_eq!(check_order_no("a.b"), Err(OrderNoError::BadCharacter));
        assert_eq!(check_order_no("a/b"), Err(OrderNoError::BadCharacter));
        assert!(check_order_no(&"a".repeat(32)).is_ok());
    }
}
