//! Where a payment's money comes from. Only debit sources and the stored
//! balance are offered: a payment code must never run up credit.

use super::error::LinkError;
use super::limits::MAX_BANK_CHARS;
use super::text::{is_printable_name, join, split_first, split_last};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Funding {
    /// The balance held by the issuer.
    Balance,
    /// A debit card, named by its bank and the last 4 digits of the card
    /// number (never the whole number).
    Debit { bank: String, last4: String },
}

impl Funding {
    /// `balance` or `debit:BANK:1234`, as in a provisioning link. The kind
    /// is matched in any letter case; `credit:…` is refused as such.
    pub fn parse(value: &str) -> Result<Funding, LinkError> {
        let (kind, rest) = match split_first(value, b':') {
            Some((kind, rest)) => (kind, Some(rest)),
            None => (value, None),
        };
        if kind.eq_ignore_ascii_case("credit") {
            return Err(LinkError::CreditRefused);
        }
        if kind.eq_ignore_ascii_case("balance") && rest.is_none() {
            return Ok(Funding::Balance);
        }
        if !kind.eq_ignore_ascii_case("debit") {
            return Err(LinkError::BadFunding);
        }
        // The bank is everything between the first and the last colon, so
        // a bank name may itself contain colons.
        let (bank, last4) = rest.and_then(|r| split_last(r, b':')).unwrap_or(("", ""));
        if !is_printable_name(bank, MAX_BANK_CHARS) {
            return Err(LinkError::BadBank);
        }
        if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LinkError::BadLast4);
        }
        Ok(Funding::Debit {
            bank: bank.to_owned(),
            last4: last4.to_owned(),
        })
    }

    /// The value [`Funding::parse`] reads back (before URL encoding).
    pub fn to_link_value(&self) -> String {
        match self {
            Funding::Balance => "balance".to_owned(),
            Funding::Debit { bank, last4 } => join(&["debit:", bank, ":", last4]),
        }
    }

    /// What the wallet shows: "Balance" or "ICBC ••1234".
    pub fn label(&self) -> String {
        match self {
            Funding::Balance => "Balance".to_owned(),
            Funding::Debit { bank, last4 } => join(&[bank, " ••", last4]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debit(bank: &str, last4: &str) -> Funding {
        Funding::Debit {
            bank: bank.to_owned(),
            last4: last4.to_owned(),
        }
    }

    #[test]
    fn balance_and_debit_parse_and_label() {
        assert_eq!(Funding::parse("balance"), Ok(Funding::Balance));
        assert_eq!(Funding::parse("Balance"), Ok(Funding::Balance));
        assert_eq!(Funding::parse("debit:ICBC:1234"), Ok(debit("ICBC", "1234")));
        assert_eq!(
            Funding::parse("DEBIT:工商银行:0007"),
            Ok(debit("工商银行", "0007"))
        );
        assert_eq!(Funding::parse("debit:A:B:9876"), Ok(debit("A:B", "9876")));
        assert_eq!(Funding::Balance.label(), "Balance");
        assert_eq!(debit("ICBC", "1234").label(), "ICBC ••1234");
        for f in [Funding::Balance, debit("Bank of X: Y", "0000")] {
            assert_eq!(Funding::parse(&f.to_link_value()), Ok(f));
        }
    }

    #[test]
    fn credit_and_malformed_sources_are_refused() {
        let kind = |s: &str| Funding::parse(s).unwrap_err().kind();
        assert_eq!(kind("credit:VISA:1234"), "credit_refused");
        assert_eq!(kind("Credit"), "credit_refused");
        assert_eq!(kind("cash"), "bad_funding");
        assert_eq!(kind(""), "bad_funding");
        assert_eq!(kind("balance:1"), "bad_funding");
        assert_eq!(kind("debit"), "bad_bank");
        assert_eq!(kind("debit:1234"), "bad_bank");
        assert_eq!(kind("debit::1234"), "bad_bank");
        assert_eq!(kind("debit: :1234"), "bad_bank");
        assert_eq!(kind(&format!("debit:{}:1234", "B".repeat(33))), "bad_bank");
        assert!(Funding::parse(&format!("debit:{}:1234", "行".repeat(32))).is_ok());
        assert_eq!(kind("debit:IC\nBC:1234"), "bad_bank");
        assert_eq!(kind("debit:ICBC:123"), "bad_last4");
        assert_eq!(kind("debit:ICBC:12345"), "bad_last4");
        assert_eq!(kind("debit:ICBC:12a4"), "bad_last4");
        assert_eq!(kind("debit:ICBC:１２３４"), "bad_last4");
    }
}
