//! Web origins and the public URL as `paycode serve` takes them
//! (`--embed-origin`, `--connect-origin`, `--public-url`): checked strictly,
//! since each one is written into a Content-Security-Policy header or the
//! Host allowlist, and a stray `;` or space would add a directive.

use std::fmt;

use axum::http::uri::{Authority, Scheme, Uri};

/// Why an origin or URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginError {
    /// Not `scheme://host[:port]` at all.
    Malformed,
    /// A scheme other than http or https.
    Scheme,
    /// A user name or password before the host.
    UserInfo,
    /// A host that is neither a DNS name nor an IP address.
    Host,
    /// An origin is scheme, host and port only: no path, query or fragment.
    Path,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => {
                "not a URL; use a form like https://shop.example or http://127.0.0.1:8080"
            }
            Self::Scheme => "only http:// and https:// are accepted",
            Self::UserInfo => "a user name or password has no place here",
            Self::Host => {
                "the host must be a DNS name (letters, digits, dots, dashes) or an IP address"
            }
            Self::Path => "an origin has no path, query or fragment: scheme://host[:port] only",
        })
    }
}

impl std::error::Error for OriginError {}

/// `scheme://host[:port]`, lower case, as a CSP source expression names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    https: bool,
    /// Lower case; an IPv6 address keeps its brackets.
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// An origin (`https://shop.example`, `http://[::1]:8080`); a trailing
    /// `/` is accepted, a path is not.
    pub fn parse(text: &str) -> Result<Origin, OriginError> {
        let (origin, path) = Self::split(text)?;
        if !(path.is_empty() || path == "/") {
            return Err(OriginError::Path);
        }
        Ok(origin)
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host as a Host header names it (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The origin and what follows it (path and query, may be empty).
    fn split(text: &str) -> Result<(Origin, String), OriginError> {
        if text.contains('#') {
            return Err(OriginError::Path);
        }
        let uri: Uri = text.parse().map_err(|_| OriginError::Malformed)?;
        let https = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            Some(_) => return Err(OriginError::Scheme),
            None => return Err(OriginError::Malformed),
        };
        let authority = uri.authority().ok_or(OriginError::Malformed)?;
        if authority.as_str().contains('@') {
            return Err(OriginError::UserInfo);
        }
        let host = host_of(authority).ok_or(OriginError::Host)?;
        let rest = uri.path_and_query().map_or("", |p| p.as_str()).to_owned();
        // `Uri` turns an empty path into "/"; a bare "?" would vanish.
        if text.ends_with('?') {
            return Err(OriginError::Path);
        }
        Ok((
            Origin {
                https,
                host,
                port: authority.port_u16(),
            },
            rest,
        ))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(port) => write!(f, "{scheme}://{}:{port}", self.host),
            None => write!(f, "{scheme}://{}", self.host),
        }
    }
}

/// Where payers and tills reach this server from outside (`--public-url`):
/// its host joins the Host allowlist, and `https://` turns on HSTS. A path
/// (a server behind a proxy under `/pay/`) is allowed and not used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    origin: Origin,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<PublicUrl, OriginError> {
        let (origin, _) = Origin::split(text)?;
        Ok(PublicUrl { origin })
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

/// The host of an authority, lower case, if it is a DNS name or an IP
/// address (IPv6 in brackets); `None` for anything else.
pub(crate) fn host_of(authority: &Authority) -> Option<String> {
    let host = authority.host().to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host).to_owned();
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|_| host.clone());
    }
    let name_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    name_ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_and_written_in_csp_form() {
        let o = Origin::parse("HTTPS://Shop.Example").unwrap();
        assert_eq!(o.to_string(), "https://shop.example");
        assert!(o.is_https());
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080/").unwrap().to_string(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            Origin::parse("http://[::1]:9").unwrap().to_string(),
            "http://[::1]:9"
        );
    }

    #[test]
    fn anything_that_could_widen_a_policy_is_refused() {
        let cases = [
            ("shop.example", OriginError::Malformed),
            ("", OriginError::Malformed),
            ("ftp://shop.example", OriginError::Scheme),
            ("javascript://x", OriginError::Scheme),
            ("https://user:pw@shop.example", OriginError::UserInfo),
            ("https://shop.example/pay", OriginError::Path),
            ("https://shop.example/?x", OriginError::Path),
            ("https://shop.example?", OriginError::Path),
            ("https://shop.example#x", OriginError::Path),
            ("https://*.example", OriginError::Host),
            ("https://-bad.example", OriginError::Host),
            ("https://[zz::1]", OriginError::Host),
        ];
        for (text, why) in cases {
            let got = Origin::parse(text).map(|o| o.to_string());
            assert_eq!(got, Err(why), "{text:?}");
        }
        // Spaces and semicolons never parse: they would split a CSP.
        for text in [
            "https://a.example; script-src *",
            "https://a.example 'unsafe-inline'",
        ] {
            assert!(Origin::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn a_public_url_may_carry_a_path() {
        let url = PublicUrl::parse("https://pay.example/issuer/").unwrap();
        assert_eq!(url.origin().host(), "pay.example");
        assert!(url.origin().is_https());
        assert!(PublicUrl::parse("pay.example").is_err());
    }
}
