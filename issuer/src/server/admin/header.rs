//! The admin channel's `Authorization` value:
//! `PAYCODE-ADMIN ts=<unix seconds>,nonce=<nonce>,sig=<hex>`, the
//! canonical string of the merchant API signed under the admin key. Read
//! by the same field reader as the other schemes.

use crate::signing::header::{check_nonce, check_sig, fields, parse_ts};
use crate::signing::{sign, AuthError, RequestParts, SignedHeader};

/// The scheme word of the admin channel.
pub const ADMIN_SCHEME: &str = "PAYCODE-ADMIN";

/// Whose nonces the admin's are in the one nonce log: no merchant id
/// (`m_…`) or card (`card:…`) looks like it.
pub const ADMIN_NONCE_OWNER: &str = "admin";

const FIELDS: [&str; 3] = ["ts", "nonce", "sig"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminAuthHeader {
    ts: u64,
    nonce: String,
    sig: String,
}

impl AdminAuthHeader {
    pub fn parse(value: &str) -> Result<AdminAuthHeader, AuthError> {
        let [ts, nonce, sig] = fields(value, ADMIN_SCHEME, &FIELDS)?;
        Ok(AdminAuthHeader {
            ts: parse_ts(ts)?,
            nonce: check_nonce(nonce)?.to_owned(),
            sig: check_sig(sig)?.to_owned(),
        })
    }
}

impl SignedHeader for AdminAuthHeader {
    fn ts(&self) -> u64 {
        self.ts
    }
    fn nonce(&self) -> &str {
        &self.nonce
    }
    fn sig(&self) -> &str {
        &self.sig
    }
    fn nonce_owner(&self) -> String {
        ADMIN_NONCE_OWNER.to_owned()
    }
}

/// Signs `parts` under the admin key: the whole `Authorization` value.
pub fn admin_authorization(key: &[u8], parts: &RequestParts<'_>) -> String {
    format!(
        "{ADMIN_SCHEME} ts={},nonce={},sig={}",
        parts.ts,
        parts.nonce,
        sign(key, parts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_value_reads_back_and_other_schemes_do_not() {
        let parts = RequestParts {
            method: "POST",
            path_and_query: "/v1/admin/cards/revoke",
            ts: 1_700_000_000,
            nonce: "nonce-0123456789_",
            body: b"{}",
        };
        let value = admin_authorization(&[7; 32], &parts);
        let header = AdminAuthHeader::parse(&value).unwrap();
        assert_eq!(header.ts(), 1_700_000_000);
        assert_eq!(header.nonce_owner(), "admin");
        assert!(crate::signing::verify(
            &[7; 32],
            &header,
            "POST",
            "/v1/admin/cards/revoke",
            b"{}",
            1_700_000_000
        )
        .is_ok());
        let merchant = value.replace("PAYCODE-ADMIN ", "PAYCODE-HMAC-SHA256 merchant=m_1,");
        assert_eq!(
            AdminAuthHeader::parse(&merchant),
            Err(AuthError::UnknownScheme)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(value in ".{0,300}") {
            let _ = AdminAuthHeader::parse(&value);
        }
    }
}
