//! The pure-Rust room: everything that can be computed without a browser.

pub mod code;
pub mod otp;
pub mod symbol;
