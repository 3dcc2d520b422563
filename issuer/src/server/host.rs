//! The Host allowlist, against DNS rebinding: a page on an attacker's name
//! that resolves to this server's address would otherwise be same-origin
//! with every answer it gets. Only the names this server is meant to be
//! reached by are answered: the listen address, the localhost forms and
//! `--public-url`'s host. The port is not compared (a proxy in front may
//! listen on another one); rebinding changes the name, not the port.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::uri::Authority;

use super::origin::{host_of, PublicUrl};

/// Why a request's Host was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostRefusal {
    /// No Host header (HTTP/1.0, or a hand-made request).
    Missing,
    /// A Host that is not a host name or address.
    Malformed,
    /// A well-formed host this server does not answer for.
    NotAllowed,
}

impl HostRefusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => {
                "the request has no Host header; this server answers only requests that name it"
            }
            Self::Malformed => "the Host header is not a host name or address",
            Self::NotAllowed => {
                "this server does not answer for that Host: only for its listen address, \
                 localhost and the host of --public-url"
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct HostAllowlist {
    listen: IpAddr,
    /// Lower case, IPv6 in brackets.
    public: Option<String>,
}

impl HostAllowlist {
    pub fn new(listen: SocketAddr, public: Option<&PublicUrl>) -> HostAllowlist {
        HostAllowlist {
            listen: listen.ip(),
            public: public.map(|url| url.origin().host().to_owned()),
        }
    }

    /// Whether a request with this Host header value is answered.
    pub fn check(&self, host: Option<&str>) -> Result<(), HostRefusal> {
        let host = host.ok_or(HostRefusal::Missing)?;
        let authority = Authority::from_str(host).map_err(|_| HostRefusal::Malformed)?;
        if authority.as_str().contains('@') {
            return Err(HostRefusal::Malformed);
        }
        let name = host_of(&authority).ok_or(HostRefusal::Malformed)?;
        if self.public.as_deref() == Some(name.as_str()) || name == "localhost" {
            return Ok(());
        }
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            // An address in the Host is the address the browser connected
            // to (no name to rebind): the listen address, any loopback one,
            // or any at all when listening on every interface.
            Ok(ip) if ip == self.listen || ip.is_loopback() || self.listen.is_unspecified() => {
                Ok(())
            }
            _ => Err(HostRefusal::NotAllowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(listen: &str, public: Option<&str>) -> HostAllowlist {
        let public = public.map(|p| PublicUrl::parse(p).unwrap());
        HostAllowlist::new(listen.parse().unwrap(), public.as_ref())
    }

    #[test]
    fn own_names_pass_and_others_are_refused() {
        let l = list("192.168.1.5:8080", Some("https://Pay.Example"));
        for ok in [
            "192.168.1.5:8080",
            "192.168.1.5",
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost:8080",
            "LOCALHOST",
            "pay.example",
            "pay.example.:443",
        ] {
            assert_eq!(l.check(Some(ok)), Ok(()), "{ok}");
        }
        for refused in [
            "evil.example",
            "pay.example.evil.example",
            "10.0.0.1:8080",
            "a.localhost",
        ] {
            assert_eq!(
                l.check(Some(refused)),
                Err(HostRefusal::NotAllowed),
                "{refused}"
            );
        }
        assert_eq!(l.check(None), Err(HostRefusal::Missing));
        for bad in ["", "a b", "user@pay.example", "[zz]", "exa_mple.com"] {
            assert_eq!(l.check(Some(bad)), Err(HostRefusal::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn listening_everywhere_accepts_any_address_but_no_other_name() {
        let l = list("0.0.0.0:8080", None);
        assert_eq!(l.check(Some("10.0.0.7:8080")), Ok(()));
        assert_eq!(
            l.check(Some("rebind.example:8080")),
            Err(HostRefusal::NotAllowed)
        );
        let loopback = list("127.0.0.1:0", None);
        assert_eq!(
            loopback.check(Some("10.0.0.7")),
            Err(HostRefusal::NotAllowed)
        );
    }
}
