//! Provisioning links (docs/FORMAT.md §6): how a card reaches the wallet.
//!
//! `paycode://provision?v=1&issuer=…&prefix=13&length=18&token=…&secret=…`
//! `&algorithm=SHA256&period=60&time=…&funding=balance&funding=debit%3AICBC%3A1234`

use std::borrow::Cow;

use zeroize::Zeroizing;

use super::code::{encode, Fields, Layout, PaymentCode, TOKEN_LIMIT};
use super::error::CodeError;
pub use super::error::LinkError;
use super::funding::Funding;
use super::limits::{DEFAULT_PERIOD, MAX_FUNDING, MAX_ISSUER_CHARS, MAX_LINK_CHARS, PERIODS};
use super::secret::Secret;
use super::text::{is_printable_name, split_first};

/// Scheme and host every v1 link starts with (matched in any letter case).
pub const LINK_START: &str = "paycode://provision?";
/// 2020-01-01T00:00:00Z: an issuer clock before this is broken.
pub const EARLIEST_TIME: u64 = 1_577_836_800;
/// 2100-01-01T00:00:00Z (exclusive).
pub const LATEST_TIME: u64 = 4_102_444_800;

/// One provisioned card, as the wallet keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub issuer: String,
    pub layout: Layout,
    /// Opaque id the issuer finds the card by; not an account number.
    pub token: u32,
    /// Debug prints `Secret(redacted)`.
    pub secret: Secret,
    /// Seconds per time step.
    pub period: u32,
    /// The issuer's unix time when the link was made; the wallet keeps its
    /// offset from the device clock.
    pub issued_at: u64,
    /// 1..=8 sources; a code's funding index points into this list.
    pub funding: Vec<Funding>,
    /// The origin of the issuer's wallet API (`https://host[:port]`), when
    /// it is not the origin serving the wallet page (docs/FORMAT.md §8).
    pub api: Option<String>,
}

impl Card {
    pub fn from_link(link: &str) -> Result<Card, LinkError> {
        if link.len() > MAX_LINK_CHARS {
            return Err(LinkError::TooLong);
        }
        let query = link
            .get(..LINK_START.len())
            .filter(|start| start.eq_ignore_ascii_case(LINK_START))
            .and_then(|_| link.get(LINK_START.len()..))
            .ok_or(LinkError::WrongScheme)?;
        let query = split_first(query, b'#').map_or(query, |(q, _)| q);
        let raw = RawLink::collect(query)?;

        match raw.v.as_deref() {
            None => return Err(LinkError::MissingField { field: "v" }),
            Some("1") => {}
            Some(_) => return Err(LinkError::UnsupportedVersion),
        }
        let issuer = required(raw.issuer, "issuer")?.into_owned();
        if !is_printable_name(&issuer, MAX_ISSUER_CHARS) {
            return Err(LinkError::BadIssuer);
        }
        let prefix = required(raw.prefix, "prefix")?;
        let prefix = number(&prefix)
            .filter(|_| prefix.len() == 2)
            .and_then(|p| u8::try_from(p).ok())
            .ok_or(LinkError::BadPrefix)?;
        let length = number(&required(raw.length, "length")?)
            .and_then(|l| u8::try_from(l).ok())
            .ok_or(LinkError::BadLength)?;
        let layout = Layout::new(prefix, length).map_err(|e| match e {
            CodeError::BadPrefix => LinkError::BadPrefix,
            _ => LinkError::BadLength,
        })?;
        let token = number(&required(raw.token, "token")?)
            .and_then(|t| u32::try_from(t).ok())
            .filter(|t| *t < TOKEN_LIMIT)
            .ok_or(LinkError::BadToken)?;
        // The decoded text is a copy of the key: zero it when done.
        let secret_text = Zeroizing::new(required(raw.secret, "secret")?.into_owned());
        let secret = Secret::from_base32(&secret_text)?;
        if let Some(algorithm) = raw.algorithm {
            if !algorithm.eq_ignore_ascii_case("SHA256") {
                return Err(LinkError::UnsupportedAlgorithm);
            }
        }
        let period = match raw.period {
            None => DEFAULT_PERIOD,
            Some(p) => number(&p)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| PERIODS.contains(p))
                .ok_or(LinkError::BadPeriod)?,
        };
        let issued_at = number(&required(raw.time, "time")?)
            .filter(|t| (EARLIEST_TIME..LATEST_TIME).contains(t))
            .ok_or(LinkError::BadTime)?;
        if raw.funding.is_empty() {
            return Err(LinkError::NoFunding);
        }
        let funding = raw
            .funding
            .iter()
            .map(|f| Funding::parse(f))
            .collect::<Result<Vec<_>, _>>()?;
        let api = match raw.api {
            None => None,
            Some(api) => Some(api_origin(&api).ok_or(LinkError::BadApi)?),
        };

        Ok(Card {
            issuer,
            layout,
            token,
            secret,
            period,
            issued_at,
            funding,
            api,
        })
    }

    /// The link [`Card::from_link`] reads back. It holds the secret: it is
    /// for the provisioning QR code or hand-over only, never for a server.
    pub fn to_link(&self) -> String {
        let secret = Zeroizing::new(self.secret.to_base32());
        let mut query =
            form_urlencoded::Serializer::for_suffix(String::from(LINK_START), LINK_START.len());
        query
            .append_pair("v", "1")
            .append_pair("issuer", &self.issuer)
            .append_pair("prefix", &self.layout.prefix.to_string())
            .append_pair("length", &self.layout.length.to_string())
            .append_pair("token", &self.token.to_string())
            .append_pair("secret", &secret)
            .append_pair("algorithm", "SHA256")
            .append_pair("period", &self.period.to_string())
            .append_pair("time", &self.issued_at.to_string());
        for f in &self.funding {
            query.append_pair("funding", &f.to_link_value());
        }
        if let Some(api) = &self.api {
            query.append_pair("api", api);
        }
        query.finish()
    }

    /// The time step at `issuer_unix` seconds (issuer clock). A period of 0
    /// is read as 1 so that a hand-built card cannot divide by zero.
    pub fn step_at(&self, issuer_unix: u64) -> u64 {
        issuer_unix / u64::from(self.period.max(1))
    }

    /// The code for swipe `counter` within the step at `issuer_unix`, paid
    /// from funding source `funding` (an index into [`Card::funding`]).
    pub fn code_at(
        &self,
        issuer_unix: u64,
        counter: u8,
        funding: u8,
    ) -> Result<PaymentCode, CodeError> {
        if usize::from(funding) >= self.funding.len() {
            return Err(CodeError::FundingOutOfRange);
        }
        let fields = Fields {
            token: self.token,
            step: self.step_at(issuer_unix),
            counter,
            funding,
        };
        encode(self.layout, self.secret.as_bytes(), &fields)
    }
}

/// The query fields as they were found, before any is interpreted.
#[derive(Default)]
struct RawLink<'a> {
    v: Option<Cow<'a, str>>,
    issuer: Option<Cow<'a, str>>,
    prefix: Option<Cow<'a, str>>,
    length: Option<Cow<'a, str>>,
    token: Option<Cow<'a, str>>,
    secret: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    period: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    funding: Vec<Cow<'a, str>>,
    api: Option<Cow<'a, str>>,
}

impl<'a> RawLink<'a> {
    fn collect(query: &'a str) -> Result<RawLink<'a>, LinkError> {
        let mut raw = RawLink::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let (field, slot) = match key.as_ref() {
                "v" => ("v", &mut raw.v),
                "issuer" => ("issuer", &mut raw.issuer),
                "prefix" => ("prefix", &mut raw.prefix),
                "length" => ("length", &mut raw.length),
                "token" => ("token", &mut raw.token),
                "secret" => ("secret", &mut raw.secret),
                "algorithm" => ("algorithm", &mut raw.algorithm),
                "period" => ("period", &mut raw.period),
                "time" => ("time", &mut raw.time),
                "api" => ("api", &mut raw.api),
                "funding" => {
                    if raw.funding.len() == usize::from(MAX_FUNDING) {
                        return Err(LinkError::TooManyFunding);
                    }
                    raw.funding.push(value);
                    continue;
                }
                // Later versions may add fields; v1 readers skip them.
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(LinkError::DuplicateField { field });
            }
        }
        Ok(raw)
    }
}

fn required<'a>(
    value: Option<Cow<'a, str>>,
    field: &'static str,
) -> Result<Cow<'a, str>, LinkError> {
    value.ok_or(LinkError::MissingField { field })
}

/// Loopback hosts a link may name over plain http: the device itself, where
/// no one on the network can read or change the traffic.
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];
const MAX_API_CHARS: usize = 200;

/// `text` as an issuer origin, written without a trailing `/`: `https://`
/// and a host name (letters, digits, `.` and `-`), or `http://` and a
/// loopback host; then an optional `:port`. Nothing else: no path, query,
/// fragment or user name, so the origin is all a page's CSP has to allow.
pub(crate) fn api_origin(text: &str) -> Option<String> {
    if text.len() > MAX_API_CHARS {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let origin = lower.strip_suffix('/').unwrap_or(&lower);
    let (secure, rest) = match origin.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, origin.strip_prefix("http://")?),
    };
    let (host, port) = split_first(rest, b':').unwrap_or((rest, ""));
    let edge_ok = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    let host_ok = edge_ok(host.as_bytes().first())
        && edge_ok(host.as_bytes().last())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok = rest.len() == host.len()
        || number(port).is_some_and(|p| (1..=65_535).contains(&p) && port.len() <= 5);
    let loopback = LOOPBACK_HOSTS.contains(&host);
    (host_ok && port_ok && (secure || loopback)).then(|| origin.to_owned())
}

/// Plain decimal digits only (no sign, no spaces), at most 20 of them.
pub(crate) fn number(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "paycode://provision?v=1&issuer=Demo%20Bank&prefix=13&length=18\
        &token=482913&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&time=1764100000\
        &funding=balance&funding=debit%3AICBC%3A1234";

    #[test]
    fn codes_use_the_card_and_refuse_missing_sources() {
        let card = Card::from_link(LINK).unwrap();
        assert_eq!(card.period, DEFAULT_PERIOD);
        assert_eq!(card.step_at(1_764_100_000), 29_401_666);
        // Same inputs as the "default layout, debit source" vector.
        let code = card.code_at(1_764_100_000, 0, 1).unwrap();
        assert_eq!(code.as_str(), "134605419283506171");
        assert_eq!(
            card.code_at(1_764_100_000, 0, 2),
            Err(CodeError::FundingOutOfRange)
        );
        assert_eq!(
            card.code_at(1_764_100_000, 16, 0),
            Err(CodeError::CounterOutOfRange)
        );
    }

    #[test]
    fn the_issuer_origin_is_read_checked_and_written_back() {
        assert_eq!(Card::from_link(LINK).unwrap().api, None);
        for (given, origin) in [
            ("https://bank-b.example", "https://bank-b.example"),
            (
                "HTTPS://Bank-B.Example:8443/",
                "https://bank-b.example:8443",
            ),
            ("http://127.0.0.1:41234", "http://127.0.0.1:41234"),
            ("http://localhost", "http://localhost"),
        ] {
            let link = format!(
                "{LINK}&api={}",
                given.replace(':', "%3A").replace('/', "%2F")
            );
            let card = Card::from_link(&link).unwrap();
            assert_eq!(card.api.as_deref(), Some(origin), "{given}");
            assert_eq!(Card::from_link(&card.to_link()).unwrap(), card);
        }
        for bad in [
            "http://bank-b.example",
            "https://bank-b.example/wallet",
            "https://bank-b.example?x=1",
            "https://user@bank-b.example",
            "https://bank-b.example:0",
            "https://bank-b.example:65536",
            "https://bank-b.example:",
            "https://-bank.example",
            "https://",
            "ftp://bank-b.example",
            "bank-b.example",
            "",
        ] {
            let link = format!("{LINK}&api={}", bad.replace(':', "%3A").replace('/', "%2F"));
            assert_eq!(Card::from_link(&link), Err(LinkError::BadApi), "{bad}");
        }
        let twice = format!("{LINK}&api=https%3A%2F%2Fa.example&api=https%3A%2F%2Fb.example");
        assert_eq!(
            Card::from_link(&twice),
            Err(LinkError::DuplicateField { field: "api" })
        );
    }

    #[test]
    fn a_hand_built_card_with_period_zero_does_not_divide_by_zero() {
        let mut card = Card::from_link(LINK).unwrap();
        card.period = 0;
        assert_eq!(card.step_at(1_000), 1_000);
        card.funding.clear();
        assert!(card.code_at(1_000, 0, 0).is_err());
    }

    #[test]
    fn every_error_has_its_own_kind_and_a_message() {
        let all = [
            LinkError::TooLong,
            LinkError::WrongScheme,
            LinkError::UnsupportedVersion,
            LinkError::MissingField { field: "v" },
            LinkError::DuplicateField { field: "v" },
            LinkError::BadIssuer,
            LinkError::BadPrefix,
            LinkError::BadLength,
            LinkError::BadToken,
            LinkError::BadBase32,
            LinkError::SecretLength { len: 3 },
            LinkError::UnsupportedAlgorithm,
            LinkError::BadPeriod,
            LinkError::BadTime,
            LinkError::NoFunding,
            LinkError::TooManyFunding,
            LinkError::CreditRefused,
            LinkError::BadFunding,
            LinkError::BadBank,
            LinkError::BadLast4,
            LinkError::BadApi,
        ];
        let mut kinds: Vec<_> = all.iter().map(LinkError::kind).collect();
        for kind in &kinds {
            assert!(kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()));
        }
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }

    #[test]
    fn messages_quote_the_limits_in_force() {
        let text = |e: LinkError| e.message().into_owned();
        assert!(text(LinkError::WrongScheme).contains(LINK_START));
        assert!(text(LinkError::TooLong).contains(&MAX_LINK_CHARS.to_string()));
        assert!(text(LinkError::BadIssuer).contains(&format!(" {MAX_ISSUER_CHARS} ")));
        assert!(text(LinkError::TooManyFunding).contains(&format!(" {MAX_FUNDING} ")));
        let bank = format!(" {} ", crate::core::limits::MAX_BANK_CHARS);
        assert!(text(LinkError::BadBank).contains(&bank));
        assert!(text(LinkError::BadToken).contains(&TOKEN_LIMIT.to_string()));
        use crate::core::limits::{MAX_KEY_BYTES, MIN_KEY_BYTES};
        let key_range = format!(" {MIN_KEY_BYTES} to {MAX_KEY_BYTES}");
        assert!(text(LinkError::SecretLength { len: 3 }).ends_with(&key_range));
        let periods = format!(" {} to {} seconds", PERIODS.start(), PERIODS.end());
        assert!(text(LinkError::BadPeriod).ends_with(&periods));
        assert_eq!(
            text(LinkError::MissingField { field: "secret" }),
            "the link has no \"secret\""
        );
        assert_eq!(
            LinkError::SecretLength { len: 7 }.to_string(),
            "the card's secret is 7 bytes; it must be 16 to 64"
        );
    }
}
