//! The security headers of every answer, whatever produced it (a handler, a
//! static file, a 404, 405, 421 or a panic's 500), and the Host allowlist
//! in front of every route.
//!
//! Each page gets its own Content-Security-Policy header: the one its
//! `<meta>` tag states (kept for static hosts without this server) plus
//! what only a header can say, `frame-ancestors`. The wallet may be framed
//! by the `--embed-origin` origins only, the cashier page and the API
//! answers never.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, HOST, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::host::{HostAllowlist, HostRefusal};
use super::origin::Origin;
use super::v1::error::V1Error;
use super::{statics, ServerConfig};

/// The wallet page's policy as www/index.html's `<meta>` states it
/// (a test keeps the two equal).
pub const WALLET_META_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self'; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; \
worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// The cashier page's policy as www/cashier.html's `<meta>` states it.
pub const CASHIER_META_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// JSON answers run nothing and load nothing, even opened as a page.
pub const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Features no page of this server uses; the cashier page alone keeps the
/// camera, for its scan button (www/cashier.js, getUserMedia).
pub const WALLET_PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=()";
pub const CASHIER_PERMISSIONS: &str = "camera=(self), microphone=(), geolocation=(), payment=()";

/// A year, the usual HSTS lifetime; no includeSubDomains, since the public
/// URL's parent domain may serve other things over plain http.
pub const HSTS: &str = "max-age=31536000";

/// The page the cashier policy applies to; every other static path gets
/// the wallet's.
const CASHIER_PAGE: &str = "/cashier.html";

/// Static files that must be revalidated on every load: the service
/// worker and the hashed file list it imports, so a new build reaches the
/// wallet.
const ALWAYS_REVALIDATED: [&str; 2] = ["/sw.js", "/pkg/precache.js"];

/// The headers as the server's flags make them, built once at start.
#[derive(Clone, Debug)]
pub(crate) struct SecurityHeaders {
    wallet_csp: HeaderValue,
    cashier_csp: HeaderValue,
    /// X-Frame-Options for the wallet: DENY while no origin may frame it;
    /// none otherwise, since it cannot name a list of origins.
    wallet_frame_options: Option<HeaderValue>,
    hsts: bool,
    hosts: HostAllowlist,
}

/// Which policy an answer gets, from its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Api,
    Cashier,
    Wallet,
}

fn kind_of(path: &str) -> Kind {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/v1") || under("/api") {
        Kind::Api
    } else if path == CASHIER_PAGE {
        Kind::Cashier
    } else {
        Kind::Wallet
    }
}

/// `sources`, space-separated after `first`.
fn source_list(first: &str, sources: &[Origin]) -> String {
    sources.iter().fold(first.to_owned(), |mut list, origin| {
        list.push(' ');
        list.push_str(&origin.to_string());
        list
    })
}

/// The wallet's header: its `<meta>` policy with `connect-src` set to
/// its own origin and the `--connect-origin` ones (the tag may allow more,
/// for static hosts that cannot know the issuers; both apply, so this is
/// the tight one), and who may frame it.
pub fn wallet_csp(connect: &[Origin], embed: &[Origin]) -> String {
    let connect_src = source_list("connect-src 'self'", connect);
    let mut directives: Vec<String> = WALLET_META_CSP
        .split(';')
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .map(|d| {
            if d == "connect-src" || d.starts_with("connect-src ") {
                connect_src.clone()
            } else {
                d.to_owned()
            }
        })
        .collect();
    directives.push(if embed.is_empty() {
        "frame-ancestors 'none'".to_owned()
    } else {
        source_list("frame-ancestors", embed)
    });
    directives.join("; ")
}

pub fn cashier_csp() -> String {
    format!("{CASHIER_META_CSP}; frame-ancestors 'none'")
}

fn header_value(text: String) -> HeaderValue {
    // Origins are checked to be host names, addresses and ports
    // (origin.rs); the constants are ASCII.
    HeaderValue::try_from(text).expect("a policy made of checked origins is a valid header")
}

impl SecurityHeaders {
    pub fn new(config: &ServerConfig) -> SecurityHeaders {
        SecurityHeaders {
            wallet_csp: header_value(wallet_csp(&config.connect_origins, &config.embed_origins)),
            cashier_csp: header_value(cashier_csp()),
            wallet_frame_options: config
                .embed_origins
                .is_empty()
                .then(|| HeaderValue::from_static("DENY")),
            hsts: config
                .public_url
                .as_ref()
                .is_some_and(|url| url.origin().is_https()),
            hosts: HostAllowlist::new(config.addr, config.public_url.as_ref()),
        }
    }

    fn apply(&self, path: &str, response: &mut Response) {
        let kind = kind_of(path);
        let headers = response.headers_mut();
        let mut set = |name: HeaderName, value: HeaderValue| {
            headers.insert(name, value);
        };
        set(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        set(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        if self.hsts {
            set(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
        }
        let permissions = HeaderName::from_static("permissions-policy");
        let deny = HeaderValue::from_static("DENY");
        match kind {
            Kind::Api => {
                set(CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP));
                set(X_FRAME_OPTIONS, deny);
                set(permissions, HeaderValue::from_static(WALLET_PERMISSIONS));
                // A card's link or key is in some of these answers.
                set(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            Kind::Cashier => {
                set(CONTENT_SECURITY_POLICY, self.cashier_csp.clone());
                set(X_FRAME_OPTIONS, deny);
                set(permissions, HeaderValue::from_static(CASHIER_PERMISSIONS));
            }
            Kind::Wallet => {
                set(CONTENT_SECURITY_POLICY, self.wallet_csp.clone());
                if let Some(value) = &self.wallet_frame_options {
                    set(X_FRAME_OPTIONS, value.clone());
                }
                set(permissions, HeaderValue::from_static(WALLET_PERMISSIONS));
                if ALWAYS_REVALIDATED.contains(&path) {
                    set(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                }
            }
        }
    }
}

/// The refusal of a request for a Host not on the allowlist, in the
/// error shape of the part of the server it asked for.
fn refusal(path: &str, why: HostRefusal) -> Response {
    let status = match why {
        HostRefusal::NotAllowed => StatusCode::MISDIRECTED_REQUEST,
        HostRefusal::Missing | HostRefusal::Malformed => StatusCode::BAD_REQUEST,
    };
    let code = match why {
        HostRefusal::NotAllowed => ("MISDIRECTED_REQUEST", "misdirected_request"),
        HostRefusal::Missing | HostRefusal::Malformed => ("INVALID_HOST", "invalid_host"),
    };
    if path == "/v1" || path.starts_with("/v1/") {
        V1Error::new(status, code.0, why.message()).into_response()
    } else {
        ApiError::new(status, code.1, why.message()).into_response()
    }
}

/// Middleware around every route: the Host check first, then the
/// headers on whatever answer came back.
pub(crate) async fn secure(
    State(policy): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let host = request.headers().get(HOST).and_then(|h| h.to_str().ok());
    let mut response = match policy.hosts.check(host) {
        Ok(()) => next.run(request).await,
        Err(why) => refusal(&path, why),
    };
    policy.apply(&path, &mut response);
    statics::strict_type(&path, &mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wallet_policy_names_extra_origins_and_framers() {
        let o = |s: &str| Origin::parse(s).unwrap();
        let plain = wallet_csp(&[], &[]);
        assert!(plain.contains("; connect-src 'self'; "), "{plain}");
        assert!(plain.ends_with("; frame-ancestors 'none'"), "{plain}");
        let csp = wallet_csp(
            &[o("https://issuer-b.example")],
            &[o("https://shop.example"), o("http://127.0.0.1:9")],
        );
        assert!(
            csp.contains("; connect-src 'self' https://issuer-b.example; "),
            "{csp}"
        );
        assert!(
            csp.ends_with("; frame-ancestors https://shop.example http://127.0.0.1:9"),
            "{csp}"
        );
    }

    #[test]
    fn paths_are_sorted_by_policy() {
        assert_eq!(kind_of("/v1"), Kind::Api);
        assert_eq!(kind_of("/v1/wallet/history"), Kind::Api);
        assert_eq!(kind_of("/api/"), Kind::Api);
        assert_eq!(kind_of("/cashier.html"), Kind::Cashier);
        assert_eq!(kind_of("/"), Kind::Wallet);
        assert_eq!(kind_of("/v1x"), Kind::Wallet);
        assert_eq!(kind_of("/apis.html"), Kind::Wallet);
    }
}
