//! The page's global object, bound directly.
//!
//! `web_sys::window()` finds the global through four accessors
//! (`globalThis`, `self`, `window`, `global`) and an `instanceof Window`
//! check, each a JS import; the view needs only the pixel ratio and the
//! resize listener, and `globalThis` is the window in every page.

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    pub type Global;

    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: Global;

    /// NaN where there is none (a worker).
    #[wasm_bindgen(method, getter, js_name = devicePixelRatio)]
    fn device_pixel_ratio(this: &Global) -> f64;

    #[wasm_bindgen(method, catch, js_name = addEventListener)]
    fn add_event_listener(this: &Global, kind: &str, listener: &Function) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = removeEventListener)]
    fn remove_event_listener(this: &Global, kind: &str, listener: &Function)
        -> Result<(), JsValue>;
}

/// The screen's device pixel ratio (1 if the browser gives none).
pub fn device_pixel_ratio() -> f64 {
    let dpr = GLOBAL.with(Global::device_pixel_ratio);
    if dpr.is_finite() && dpr > 0.0 {
        dpr
    } else {
        1.0
    }
}

/// `addEventListener(kind, listener)` on the page; false if refused.
pub fn listen(kind: &str, listener: &Function) -> bool {
    GLOBAL
        .with(|g| g.add_event_listener(kind, listener))
        .is_ok()
}

pub fn unlisten(kind: &str, listener: &Function) {
    let _ = GLOBAL.with(|g| g.remove_event_listener(kind, listener));
}
