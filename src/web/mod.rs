//! The only room that touches web-sys: canvas, timers, gestures, the JS API.

pub mod canvas;
mod error;
mod global;
mod link_info;
pub mod swipe;
mod types;
pub mod view;

pub use link_info::parse_link;
pub use types::{LinkInfo, PaymentCodeOptions};
pub use view::PaymentCodeView;

// SAFETY: wasm32-unknown-unknown without threads runs this module on one
// thread only, which is all AssumeSingleThreaded requires.
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
