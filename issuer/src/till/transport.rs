//! One HTTP/1.1 exchange with the issuer, on a new connection, within a
//! timeout. A till sends a request every few seconds at most, so a fresh
//! connection costs nothing, and a request that timed out never leaves a
//! half-read connection behind for the next one.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::TillError;

/// Where the issuer is: `http://HOST[:PORT][/BASE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// For connecting: a name or an address, IPv6 without brackets.
    host: String,
    port: u16,
    /// For the Host header, as written in the URL.
    authority: String,
    /// Prefix of every path, without a trailing slash ("" for none).
    base_path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointError {
    NotAUrl,
    /// Only plain `http://`: this client has no TLS (put the issuer behind
    /// a TLS-terminating proxy on the till's side, or use loopback).
    UnsupportedScheme,
    /// User names, passwords, queries or fragments have no place here.
    Unexpected(&'static str),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAUrl => f.write_str("the URL must look like http://127.0.0.1:8080"),
            Self::UnsupportedScheme => f.write_str("only http:// URLs are supported"),
            Self::Unexpected(what) => write!(f, "the URL must not contain {what}"),
        }
    }
}

impl std::error::Error for EndpointError {}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        let uri: Uri = url.parse().map_err(|_| EndpointError::NotAUrl)?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(_) => return Err(EndpointError::UnsupportedScheme),
            None => return Err(EndpointError::NotAUrl),
        }
        let authority = uri.authority().ok_or(EndpointError::NotAUrl)?;
        if authority.as_str().contains('@') {
            return Err(EndpointError::Unexpected("a user name or password"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(EndpointError::Unexpected("a query or a fragment"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(EndpointError::NotAUrl);
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: authority.as_str().to_owned(),
            base_path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The request target for `route` (which starts with `/v1/`), as it is
    /// sent and signed.
    pub fn target(&self, route: &str) -> String {
        format!("{}{route}", self.base_path)
    }
}

/// An answer: the status and the whole body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// Sends one request and reads the whole answer, all within `timeout`.
pub(crate) async fn exchange(
    endpoint: &Endpoint,
    method: Method,
    target: &str,
    authorization: &str,
    body: Bytes,
    timeout: Duration,
) -> Result<Reply, TillError> {
    let mut builder = Request::builder()
        .method(method)
        .uri(target)
        .header(HOST, &endpoint.authority)
        .header(AUTHORIZATION, authorization);
    if !body.is_empty() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    let request = builder
        .body(Full::new(body))
        .map_err(|e| TillError::Input(format!("cannot build the request: {e}")))?;
    tokio::time::timeout(timeout, send(endpoint, request))
        .await
        .map_err(|_| TillError::Timeout)?
}

async fn send(endpoint: &Endpoint, request: Request<Full<Bytes>>) -> Result<Reply, TillError> {
    let network = |what: &str, e: &dyn fmt::Display| TillError::Network(format!("{what}: {e}"));
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| network("connect", &e))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| network("handshake", &e))?;
    // Ends when the exchange is over and the sender is dropped.
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| network("request", &e))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| network("answer", &e))?
            .to_bytes();
        Ok(Reply { status, body })
    }
    .await;
    drop(sender);
    connection.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urls() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.authority.as_str()),
            ("127.0.0.1", 8080, "127.0.0.1:8080")
        );
        assert_eq!(e.target("/v1/payments"), "/v1/payments");
        let e = Endpoint::parse("http://[::1]:9/pay/").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9));
        assert_eq!(e.target("/v1/refunds"), "/pay/v1/refunds");
        assert_eq!(Endpoint::parse("http://shop.example").unwrap().port, 80);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        use EndpointError::*;
        assert_eq!(Endpoint::parse("https://a:1"), Err(UnsupportedScheme));
        assert_eq!(Endpoint::parse("127.0.0.1:8080"), Err(NotAUrl));
        assert_eq!(Endpoint::parse("not a url"), Err(NotAUrl));
        assert_eq!(Endpoint::parse("/v1"), Err(NotAUrl));
        assert!(matches!(
            Endpoint::parse("http://u:p@a:1"),
            Err(Unexpected(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://a:1/?x=1"),
            Err(Unexpected(_))
        ));
    }
}
