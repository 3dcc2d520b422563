//! The native merchant client: what a till runs to take payments over the
//! signed merchant API (docs/MERCHANT_API.md), and the example integrators
//! copy. `paycode till …` is a thin command line over it.
//!
//! - [`credentials`]: the merchant id and API key, read from a key file.
//! - [`wire`]: the request and answer bodies.
//! - [`transport`]: one signed HTTP/1.1 exchange with a timeout.
//! - [`client`]: pay, query, reverse and refund, one request each.
//! - [`rule`]: the till rule: after a timeout, an error or USERPAYING,
//!   query every few seconds, then reverse.

pub mod client;
pub mod credentials;
mod error;
pub mod order;
pub mod rule;
pub mod transport;
pub mod wire;

pub use client::{TillClient, TillConfig};
pub use credentials::{Credentials, CredentialsError};
pub use error::TillError;
pub use order::{check_order_no, new_out_trade_no, OrderNoError};
pub use rule::SaleOutcome;
pub use transport::{Endpoint, EndpointError};
pub use wire::{FundingUsed, Payment, PaymentStatus, Refund, WireError};
