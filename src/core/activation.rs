//! Activation links (docs/FORMAT.md §8.1): how a card reaches the wallet
//! without its key in the link.
//!
//! `paycode://activate?v=1&issuer=Demo%20Bank&url=https%3A%2F%2Fbank.example&code=…`
//!
//! The wallet posts `code` to `{url}/v1/activations/redeem` and receives the
//! card once; the code is dead after that, or after 10 minutes.

use std::borrow::Cow;
use std::fmt;

pub use super::error::ActivationLinkError;
use super::limits::{MAX_ISSUER_CHARS, MAX_LINK_CHARS};
use super::link::api_origin;
use super::text::{is_printable_name, split_first};

/// Scheme and host every activation link starts with (any letter case).
pub const ACTIVATE_START: &str = "paycode://activate?";
/// Hex digits of a code: 128 random bits.
pub const CODE_HEX_DIGITS: usize = 32;
/// Where under `url` the wallet redeems the code.
pub const REDEEM_PATH: &str = "/v1/activations/redeem";

/// An activation link, read and checked.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationLink {
    /// The issuer's name, to show while the card is fetched.
    pub issuer: String,
    /// The issuer's origin (`https://host[:port]`, no trailing `/`).
    pub url: String,
    /// 32 lowercase hex digits; good for one redemption.
    pub code: String,
}

/// Debug names the issuer only: the code delivers a card.
impl fmt::Debug for ActivationLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivationLink")
            .field("issuer", &self.issuer)
            .field("url", &self.url)
            .field("code", &"redacted")
            .finish()
    }
}

/// Whether `text` is a well-formed activation code.
pub fn is_code(text: &str) -> bool {
    text.len() == CODE_HEX_DIGITS
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ActivationLink {
    pub fn parse(link: &str) -> Result<ActivationLink, ActivationLinkError> {
        if link.len() > MAX_LINK_CHARS {
            return Err(ActivationLinkError::TooLong);
        }
        let query = link
            .get(..ACTIVATE_START.len())
            .filter(|start| start.eq_ignore_ascii_case(ACTIVATE_START))
            .and_then(|_| link.get(ACTIVATE_START.len()..))
            .ok_or(ActivationLinkError::WrongScheme)?;
        let query = split_first(query, b'#').map_or(query, |(q, _)| q);
        let mut v = None;
        let mut issuer = None;
        let mut url = None;
        let mut code = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let (field, slot): (&'static str, &mut Option<Cow<'_, str>>) = match key.as_ref() {
                "v" => ("v", &mut v),
                "issuer" => ("issuer", &mut issuer),
                "url" => ("url", &mut url),
                "code" => ("code", &mut code),
                // Later versions may add fields; v1 readers skip them.
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(ActivationLinkError::DuplicateField { field });
            }
        }
        let required = |value: Option<Cow<'_, str>>, field| {
            value
                .map(Cow::into_owned)
                .ok_or(ActivationLinkError::MissingField { field })
        };
        match required(v, "v")?.as_str() {
            "1" => {}
            _ => return Err(ActivationLinkError::UnsupportedVersion),
        }
        let issuer = required(issuer, "issuer")?;
        if !is_printable_name(&issuer, MAX_ISSUER_CHARS) {
            return Err(ActivationLinkError::BadIssuer);
        }
        let url = api_origin(&required(url, "url")?).ok_or(ActivationLinkError::BadUrl)?;
        let code = required(code, "code")?;
        if !is_code(&code) {
            return Err(ActivationLinkError::BadCode);
        }
        Ok(ActivationLink { issuer, url, code })
    }

    /// The link [`ActivationLink::parse`] reads back.
    pub fn to_link(&self) -> String {
        form_urlencoded::Serializer::for_suffix(String::from(ACTIVATE_START), ACTIVATE_START.len())
            .append_pair("v", "1")
            .append_pair("issuer", &self.issuer)
            .append_pair("url", &self.url)
            .append_pair("code", &self.code)
            .finish()
    }

    /// Where the wallet posts the code.
    pub fn redeem_url(&self) -> String {
        let mut url = self.url.clone();
        url.push_str(REDEEM_PATH);
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "0123456789abcdef0123456789abcdef";
    const LINK: &str = "paycode://activate?v=1&issuer=Demo+Bank\
        &url=https%3A%2F%2Fbank.example&code=0123456789abcdef0123456789abcdef";

    #[test]
    fn a_link_reads_back_as_written() {
        let link = ActivationLink::parse(LINK).unwrap();
        assert_eq!(link.issuer, "Demo Bank");
        assert_eq!(link.url, "https://bank.example");
        assert_eq!(link.code, CODE);
        assert_eq!(link.to_link(), LINK);
        assert_eq!(
            link.redeem_url(),
            "https://bank.example/v1/activations/redeem"
        );
        let loopback = LINK.replace(
            "https%3A%2F%2Fbank.example",
            "http%3A%2F%2F127.0.0.1%3A8080",
        );
        assert_eq!(
            ActivationLink::parse(&loopback).unwrap().url,
            "http://127.0.0.1:8080"
        );
        assert!(!format!("{link:?}").contains(CODE));
    }

    #[test]
    fn bad_links_are_refused_with_their_reason() {
        use ActivationLinkError as E;
        let cases: Vec<(String, E)> = vec![
            ("paycode://provision?v=1".into(), E::WrongScheme),
            (LINK.replace("v=1", "v=2"), E::UnsupportedVersion),
            (LINK.replace("v=1&", ""), E::MissingField { field: "v" }),
            (
                format!("{LINK}&code={CODE}"),
                E::DuplicateField { field: "code" },
            ),
            (LINK.replace("Demo+Bank", ""), E::BadIssuer),
            (
                LINK.replace("https%3A%2F%2Fbank.example", "http%3A%2F%2Fbank.example"),
                E::BadUrl,
            ),
            (
                LINK.replace(
                    "https%3A%2F%2Fbank.example",
                    "https%3A%2F%2Fbank.example%2Fpath",
                ),
                E::BadUrl,
            ),
            (LINK.replace(CODE, &CODE[1..]), E::BadCode),
            (LINK.replace(CODE, &CODE.to_uppercase()), E::BadCode),
            (
                LINK.replace("&code=", "&x=").replace(CODE, ""),
                E::MissingField { field: "code" },
            ),
            (
                format!("{LINK}&pad={}", "a".repeat(MAX_LINK_CHARS)),
                E::TooLong,
            ),
        ];
        for (link, want) in cases {
            assert_eq!(ActivationLink::parse(&link), Err(want), "{want:?}");
        }
        // Unknown fields are skipped; the scheme is matched in any case.
        let upper = LINK.replace("paycode://activate?", "PAYCODE://Activate?");
        assert!(ActivationLink::parse(&format!("{upper}&later=1")).is_ok());
    }

    #[test]
    fn every_error_has_its_own_kind_and_a_message() {
        use ActivationLinkError as E;
        let all = [
            E::TooLong,
            E::WrongScheme,
            E::UnsupportedVersion,
            E::MissingField { field: "v" },
            E::DuplicateField { field: "v" },
            E::BadIssuer,
            E::BadUrl,
            E::BadCode,
        ];
        let mut kinds: Vec<_> = all.iter().map(E::kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }
}
