//! Reference issuer for paycode: verifies payment codes, keeps card state
//! in SQLite and drives both from the `paycode` command line.
//!
//! - [`money`]: amounts in integer fen, parsed exactly.
//! - [`allowance`], [`lockout`]: the no-PIN limits and failure lockout.
//! - [`store`]: the [`store::Store`] trait, SQLite and in-memory stores.

pub mod allowance;
pub mod cli;
pub mod lockout;
pub mod money;
pub mod provision;
pub mod secret;
pub mod server;
pub mod store;
pub mod verifier;
