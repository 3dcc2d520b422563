//! Reference issuer for paycode: verifies payment codes, keeps card state
//! in SQLite and drives both from the `paycode` command line.
//!
//! - [`money`]: amounts in integer fen, parsed exactly.
//! - [`allowance`], [`lockout`]: the no-PIN limits and failure lockout.
//! - [`store`]: the [`store::Store`] trait, SQLite and in-memory stores.
//! - [`secret`]: key bytes, zeroized on drop and never shown.
//! - [`provision`]: new cards with random token ids and keys.
//! - [`verifier`]: the decision for a scanned code (docs/FORMAT.md §6).
//! - [`ledger`]: balanced postings, top-ups and `ledger check`.
//! - [`bank`]: the debit sources' bank, and the built-in demo bank.
//! - [`payments`]: pay, query, reverse, refund and confirm for merchants.
//! - [`signing`]: merchant API request signatures (docs/MERCHANT_API.md).
//! - [`till`]: the native merchant client (`paycode till`).
//! - [`cli`]: the `paycode` command line; the binary is a thin `main`.

pub mod activation;
pub mod allowance;
pub mod bank;
pub mod cli;
pub mod custody;
pub mod ledger;
pub mod lockout;
pub mod money;
pub mod payments;
pub mod provision;
pub mod secret;
pub mod server;
pub mod signing;
pub mod store;
pub mod till;
pub mod verifier;
