//! The payer's order of a card's funding sources: which source the issuer
//! tries next when the one a code names cannot pay and the card allows
//! fall-through (docs/MERCHANT_API.md). It is a permutation of the card's
//! funding indices, checked here before any store keeps it, and stored as
//! a JSON array (`[2,0,1]`); a card without one falls through in index
//! order.

use std::fmt;

use super::StoreError;

/// Why an order the payer sent is not one of the card's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FundingOrderError {
    /// Not one entry per source.
    Length { given: usize, sources: usize },
    /// An index the card has no source for.
    UnknownSource { index: u64, sources: usize },
    /// The same source twice.
    Repeated { index: u8 },
}

impl FundingOrderError {
    /// The code of the refusal (400) on the wallet channel.
    pub const CODE: &'static str = "INVALID_FUNDING_ORDER";
}

impl fmt::Display for FundingOrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { given, sources } => write!(
                f,
                "the order has {given} entries; it must name each of the card's {sources} funding sources once"
            ),
            Self::UnknownSource { index, sources } => write!(
                f,
                "the order names source {index}; this card's sources are 0 to {}",
                sources.saturating_sub(1)
            ),
            Self::Repeated { index } => {
                write!(f, "the order names source {index} twice")
            }
        }
    }
}

impl std::error::Error for FundingOrderError {}

/// `given` as the order of a card with `sources` funding sources: each
/// index below `sources` exactly once.
pub fn check_funding_order(given: &[u64], sources: usize) -> Result<Vec<u8>, FundingOrderError> {
    if given.len() != sources {
        return Err(FundingOrderError::Length {
            given: given.len(),
            sources,
        });
    }
    let mut seen = vec![false; sources];
    let mut order = Vec::with_capacity(sources);
    for &index in given {
        let known = usize::try_from(index)
            .ok()
            .filter(|i| *i < sources)
            .and_then(|i| u8::try_from(i).ok());
        let Some(i) = known else {
            return Err(FundingOrderError::UnknownSource { index, sources });
        };
        if std::mem::replace(&mut seen[usize::from(i)], true) {
            return Err(FundingOrderError::Repeated { index: i });
        }
        order.push(i);
    }
    Ok(order)
}

/// The stored form of an order.
pub(crate) fn order_text(order: &[u8]) -> String {
    serde_json::to_string(order).unwrap_or_else(|_| "[]".to_owned())
}

/// An order read back from a store.
pub(crate) fn order_from_text(text: &str) -> Result<Vec<u8>, StoreError> {
    serde_json::from_str(text)
        .map_err(|_| StoreError::Corrupt("a card's funding order is not a list of indices".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permutation_of_the_sources_is_an_order_and_nothing_else_is() {
        assert_eq!(check_funding_order(&[2, 0, 1], 3), Ok(vec![2, 0, 1]));
        assert_eq!(check_funding_order(&[0], 1), Ok(vec![0]));
        assert_eq!(
            check_funding_order(&[1, 0], 3),
            Err(FundingOrderError::Length {
                given: 2,
                sources: 3
            })
        );
        assert_eq!(
            check_funding_order(&[], 2),
            Err(FundingOrderError::Length {
                given: 0,
                sources: 2
            })
        );
        assert_eq!(
            check_funding_order(&[0, 3, 1], 3),
            Err(FundingOrderError::UnknownSource {
                index: 3,
                sources: 3
            })
        );
        assert_eq!(
            check_funding_order(&[0, u64::MAX, 1], 3),
            Err(FundingOrderError::UnknownSource {
                index: u64::MAX,
                sources: 3
            })
        );
        assert_eq!(
            check_funding_order(&[1, 1, 0], 3),
            Err(FundingOrderError::Repeated { index: 1 })
        );
        let message = check_funding_order(&[0, 5], 2).unwrap_err().to_string();
        assert_eq!(
            message,
            "the order names source 5; this card's sources are 0 to 1"
        );
    }

    #[test]
    fn the_stored_form_reads_back_and_garbage_is_corrupt() {
        assert_eq!(order_text(&[2, 0, 1]), "[2,0,1]");
        assert_eq!(order_from_text("[2,0,1]"), Ok(vec![2, 0, 1]));
        assert!(matches!(
            order_from_text("2,0,1"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            order_from_text("[256]"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
