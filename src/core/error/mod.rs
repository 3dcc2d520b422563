//! Core's errors, one enum per concern, each in its own file. They depend
//! on `core::limits` and `core::text` only, so no module that returns them
//! is imported back. The wallet's (link, code, rotation, symbol) each have
//! a stable snake_case `kind()` for programs and translations and a
//! plain-words message built without `core::fmt`, so the wasm bundle
//! carries no formatting code for them.

mod activation;
mod code;
mod link;
mod otp;
mod rotation;
mod symbol;

pub use activation::ActivationLinkError;
pub use code::CodeError;
pub use link::LinkError;
pub use otp::OtpError;
pub use rotation::RotationError;
pub use symbol::SymbolError;
