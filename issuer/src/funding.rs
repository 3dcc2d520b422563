//! Funding sources as the issuer stores them (their link form).

/// For people: "Balance", "ICBC ••1234"; anything unrecognised as is.
pub fn funding_label(link_value: &str) -> String {
    let mut parts = link_value.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("balance"), None, _, _) => "Balance".to_owned(),
        (Some("debit"), Some(bank), Some(last4), None) => format!("{bank} ••{last4}"),
        _ => link_value.to_owned(),
    }
}
