//! Horizontal swipe on an element: pointer down, pointer up ≥ 40 CSS px
//! away horizontally, more horizontal than vertical.
//!
//! `touch-action: pan-y` leaves vertical scrolling to the browser, which
//! then cancels the pointer (`pointercancel`): a scroll never counts.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, PointerEvent};

/// Shortest horizontal travel that counts as a swipe, in CSS pixels.
pub const MIN_SWIPE_PX: f64 = 40.0;

/// Whether a pointer travel of (`dx`, `dy`) CSS px is a swipe.
pub fn is_swipe(dx: f64, dy: f64) -> bool {
    dx.abs() >= MIN_SWIPE_PX && dx.abs() > dy.abs()
}

type Handler = Closure<dyn FnMut(PointerEvent)>;

/// The listeners on one element; dropping it removes them and puts the
/// element's `touch-action` back.
pub struct Swipe {
    area: Element,
    handlers: [(&'static str, Handler); 3],
    old_touch_action: Option<String>,
}

impl Swipe {
    pub fn listen(area: Element, on_swipe: impl Fn() + 'static) -> Swipe {
        // (pointer id, x, y) of the press being followed.
        let start: Rc<Cell<Option<(i32, f64, f64)>>> = Rc::new(Cell::new(None));

        let down = {
            let (start, area) = (start.clone(), area.clone());
            Handler::new(move |e: PointerEvent| {
                if !e.is_primary() || e.button() > 0 {
                    return;
                }
                start.set(Some((
                    e.pointer_id(),
                    f64::from(e.client_x()),
                    f64::from(e.client_y()),
                )));
                // Keep receiving the pointer if the finger leaves the area.
                let _ = area.set_pointer_capture(e.pointer_id());
            })
        };
        let up = {
            let start = start.clone();
            Handler::new(move |e: PointerEvent| match start.take() {
                Some((id, x, y)) if id == e.pointer_id() => {
                    if is_swipe(f64::from(e.client_x()) - x, f64::from(e.client_y()) - y) {
                        on_swipe();
                    }
                }
                other => start.set(other),
            })
        };
        let cancel = Handler::new(move |_: PointerEvent| start.set(None));

        let old_touch_action = area.dyn_ref::<HtmlElement>().map(|el| {
            let style = el.style();
            let old = style.get_property_value("touch-action").unwrap_or_default();
            let _ = style.set_property("touch-action", "pan-y");
            old
        });
        let handlers = [
            ("pointerdown", down),
            ("pointerup", up),
            ("pointercancel", cancel),
        ];
        for (name, handler) in &handlers {
            let _ = area.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        }
        Swipe {
            area,
            handlers,
            old_touch_action,
        }
    }
}

impl Drop for Swipe {
    fn drop(&mut self) {
        for (name, handler) in &self.handlers {
            let _ = self
                .area
                .remove_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        }
        if let (Some(old), Some(el)) = (&self.old_touch_action, self.area.dyn_ref::<HtmlElement>())
        {
            let style = el.style();
            let _ = if old.is_empty() {
                style.remove_property("touch-action").map(drop)
            } else {
                style.set_property("touch-action", old)
            };
        }
    }
}
