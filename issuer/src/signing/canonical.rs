//! The canonical string a request signature covers, and signing it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The parts of one request that its signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestParts<'a> {
    /// As sent, upper case: `GET`, `POST`.
    pub method: &'a str,
    /// The request target exactly as on the request line, e.g.
    /// `/v1/payments/A1?x=1`: not decoded, not normalised.
    pub path_and_query: &'a str,
    pub ts: u64,
    pub nonce: &'a str,
    /// The body bytes exactly as sent (empty for GET).
    pub body: &'a [u8],
}

/// Lowercase hex of SHA-256 of `body`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `METHOD \n PATH_AND_QUERY \n ts \n nonce \n hex(SHA-256(body))`, with no
/// newline at the end. `ts` is written in decimal without leading zeros,
/// as the header carries it.
pub fn canonical_string(parts: &RequestParts<'_>) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        parts.method,
        parts.path_and_query,
        parts.ts,
        parts.nonce,
        body_sha256_hex(parts.body)
    )
}

/// HMAC-SHA256 under `key` of the canonical string, before hex. HMAC takes
/// keys of any length (long ones are hashed first), so `None` never
/// happens; callers still fail closed on it rather than panic.
pub(crate) fn mac_of(key: &[u8], parts: &RequestParts<'_>) -> Option<Hmac<Sha256>> {
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    Some(mac.chain_update(canonical_string(parts).as_bytes()))
}

/// The request's signature: lowercase hex of HMAC-SHA256(key, canonical).
pub fn sign(key: &[u8], parts: &RequestParts<'_>) -> String {
    mac_of(key, parts)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_hashes_to_the_sha256_of_nothing() {
        assert_eq!(
            body_sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn canonical_string_is_five_lines_without_a_final_newline() {
        let parts = RequestParts {
            method: "GET",
            path_and_query: "/v1/payments/A-1?x=%20",
            ts: 1_700_000_000,
            nonce: "abcdefghijklmnop",
            body: b"",
        };
        assert_eq!(
            canonical_string(&parts),
            "GET\n/v1/payments/A-1?x=%20\n1700000000\nabcdefghijklmnop\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_mac_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2, "what do ya want for nothing?" under "Jefe".
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe")
            .unwrap()
            .chain_update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
