//! Errors as JavaScript sees them: an `Error` with a plain-words message and
//! a stable `.kind` string the page picks its translated message by.

use std::borrow::Cow;

use js_sys::{Error, Reflect};
use wasm_bindgen::{JsCast, JsValue};

pub fn js_error(kind: &str, message: &str) -> JsValue {
    let error = Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}

/// Anything with a `kind()` and a `message()`.
pub trait Kind {
    fn kind_str(&self) -> &'static str;
    fn message_text(&self) -> Cow<'static, str>;
}

macro_rules! impl_kind {
    ($($t:ty),*) => {$(
        impl Kind for $t {
            fn kind_str(&self) -> &'static str {
                self.kind()
            }
            fn message_text(&self) -> Cow<'static, str> {
                self.message().into()
            }
        }
    )*};
}

impl_kind!(
    crate::core::link::LinkError,
    crate::core::rotation::RotationError,
    crate::core::symbol::SymbolError
);

pub fn to_js<E: Kind>(error: E) -> JsValue {
    js_error(error.kind_str(), &error.message_text())
}

/// A browser call that failed (a detached canvas, a context that could not
/// be created): the browser's own exception is kept as the message.
pub fn browser(kind: &str, cause: JsValue) -> JsValue {
    let message = cause
        .dyn_ref::<Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| String::from("the browser refused a drawing call"));
    js_error(kind, &message)
}
