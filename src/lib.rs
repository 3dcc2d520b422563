//! Dynamic payment codes generated offline in the browser.
//!
//! Data flows one way: secret → code → symbols → pixels → canvas.
//!
//! - [`core`]: pure Rust (OTP, the code format, provisioning links, symbol
//!   bitmaps). Builds and tests natively; never touches web-sys.
//! - `web` (wasm32 only): canvas, timers, gestures and the JavaScript API.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;
