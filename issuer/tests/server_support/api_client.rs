//! A small HTTP/1.1 client for the server's API: one keep-alive connection
//! per [`ApiClient`], plain http (the server is a loopback demo). Anything
//! may be sent, malformed bodies included, with any headers (signed
//! requests carry `Authorization`).
//!
//! Test tooling, not part of the library: the server tests reach it through
//! `server_support`, the load example (`examples/load/`) and the fuzz
//! target `api` through `#[path]`, so there is one copy.
#![allow(dead_code)] // Each user needs its own part.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderMap, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// Why no answer came back (connection refused, reset, closed...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(pub String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClientError {}

/// An answer: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON, `Value::Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct ApiClient {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl ApiClient {
    /// Connects on first use, and again after the connection dropped.
    pub fn new(addr: SocketAddr) -> ApiClient {
        ApiClient { addr, sender: None }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| ClientError(format!("connect {}: {e}", self.addr)))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| ClientError(format!("handshake: {e}")))?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request and reads the whole answer. A failed exchange
    /// drops the connection; the next request opens a new one.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Result<Reply, ClientError> {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| (CONTENT_TYPE.as_str(), t))
            .into_iter()
            .collect();
        self.send(method, path, &headers, body).await
    }

    /// Sends one request with these headers (an `Authorization` of a
    /// signed request, say) besides `Host`.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, ClientError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.to_string());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(body.into()))
            .map_err(|e| ClientError(format!("bad request: {e}")))?;
        let result = self.exchange(request).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, ClientError> {
        let usable = match self.sender.as_mut() {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            self.sender = Some(self.connect().await?);
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err(ClientError("no connection".into()));
        };
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| ClientError(format!("request: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| ClientError(format!("body: {e}")))?
            .to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    pub async fn get(&mut self, path: &str) -> Result<Reply, ClientError> {
        self.request(Method::GET, path, None, Bytes::new()).await
    }

    pub async fn post_json(&mut self, path: &str, value: &Value) -> Result<Reply, ClientError> {
        self.request(
            Method::POST,
            path,
            Some("application/json"),
            value.to_string(),
        )
        .await
    }
}
