//! Core's errors, one enum per concern. Each has a stable snake_case
//! `kind()` for programs and translations and a plain-words message built
//! without `core::fmt`, so the wasm bundle carries no formatting code for
//! them.

mod code;
mod link;
mod otp;
mod rotation;
mod symbol;

pub use code::CodeError;
pub use link::LinkError;
pub use otp::OtpError;
pub use rotation::RotationError;
pub use symbol::SymbolError;
