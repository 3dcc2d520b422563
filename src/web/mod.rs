//! The only room that touches web-sys: canvas, timers, gestures, the JS API.

pub mod canvas;
mod error;
mod link_info;
pub mod swipe;
mod types;
pub mod view;

pub use link_info::parse_link;
pub use types::{LinkInfo, PaymentCodeOptions};
pub use view::PaymentCodeView;
