//! `paycode provision --activation ORIGIN`: a new card handed out as a
//! one-time activation link instead of a link with its key.

use paycode_wallet::core::activation::ActivationLink;
use serde_json::json;

use super::{bad_value, status, Failure, Output};
use crate::activation;
use crate::store::{AnyStore, CardRecord, Store, TxMode};

/// ORIGIN as activation links carry it (lower case, no trailing `/`),
/// checked by the wallet's own reader.
pub(super) fn activation_origin(text: &str) -> Result<String, Failure> {
    let probe = ActivationLink {
        issuer: "probe".into(),
        url: text.to_owned(),
        code: "0".repeat(paycode_wallet::core::activation::CODE_HEX_DIGITS),
    };
    ActivationLink::parse(&probe.to_link())
        .map(|link| link.url)
        .map_err(|_| {
            bad_value(
                "--activation",
                "the issuer origin the wallet redeems at: https://HOST[:PORT], or http:// on 127.0.0.1 or localhost",
            )
        })
}

/// Issues the activation of the card just stored and prints its link.
pub(super) fn activation_output(
    store: &mut AnyStore,
    record: &CardRecord,
    origin: &str,
    at: u64,
) -> Result<Output, Failure> {
    let mut tx = store.begin(TxMode::Write)?;
    let issued = activation::issue(tx.as_mut(), record.key, at)?;
    tx.commit()?;
    Ok(Output::json(
        status::OK,
        json!({
            "activation": issued.link(&record.issuer, origin),
            "expires_at": issued.expires_at,
            "token": record.key.token,
            "prefix": record.key.prefix,
            "length": record.length,
            "period": record.period,
            "funding": record.funding.iter().enumerate().map(|(i, f)| json!({
                "index": i, "source": f.to_link_value(), "label": f.label(),
            })).collect::<Vec<_>>(),
        }),
    ))
}
