//! The pure-Rust room: everything that can be computed without a browser.

pub mod activation;
pub mod channel;
pub mod code;
pub mod error;
pub mod funding;
pub mod limits;
pub mod link;
pub mod otp;
pub mod raster;
pub mod rotation;
pub mod secret;
pub mod symbol;
pub mod text;
