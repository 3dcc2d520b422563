//! `PaymentCode`: the JS class that shows a card's current code on two
//! canvases, rotates it at every time-step boundary of the issuer's clock,
//! refreshes it on a swipe, and redraws on resize.
//!
//! The state machine is `core::rotation::Rotation`; this file adds the
//! browser: canvases, one timer to the next boundary, listeners. The
//! secret stays inside the card inside the rotation: no getter reaches it.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Date, Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement};

use super::canvas::{draw, repaint_regions, still_fits};
use super::error::{js_error, to_js};
use super::global::{self, device_pixel_ratio};
use super::swipe::Swipe;
use super::types::{get, set, PaymentCodeOptions};
use crate::core::channel::channel_key;
use crate::core::link::Card;
use crate::core::raster::Raster;
use crate::core::rotation::{Rotation, RotationError};
use crate::core::symbol::{code128, qr, Symbol};

/// setTimeout fires at once for delays above 2^31 − 1 ms.
const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;
/// How often a view whose clock is unusable looks again.
const BAD_CLOCK_RETRY_MS: u32 = 1000;

#[wasm_bindgen(js_name = PaymentCode)]
pub struct PaymentCodeView {
    state: Rc<RefCell<State>>,
}

struct State {
    rotation: Rotation,
    barcode: HtmlCanvasElement,
    qr: HtmlCanvasElement,
    /// What each canvas shows: a new code in an unchanged canvas reuses
    /// its raster instead of measuring and resizing, and repaints only
    /// where the symbols differ.
    barcode_shown: Cell<Option<Shown>>,
    qr_shown: Cell<Option<Shown>>,
    on_rotate: Option<Function>,
    /// Fires at the next step boundary; replaced at every rotation.
    timer: Option<Timeout>,
    swipe: Option<Swipe>,
    resize: Option<Closure<dyn FnMut()>>,
    destroyed: bool,
}

/// One state change, named by the reason `onRotate` reports. A plain enum
/// rather than a closure per call site keeps one copy of [`act`] in the
/// bundle.
#[derive(Clone, Copy)]
enum Op {
    /// The timer reached a step boundary.
    Time,
    /// A swipe or `refresh()`.
    Swipe,
    Funding(u32),
    Tick,
}

impl Op {
    fn reason(self) -> &'static str {
        match self {
            Op::Time => "time",
            Op::Swipe => "swipe",
            Op::Funding(_) => "funding",
            Op::Tick => "tick",
        }
    }

    /// Applies the change; returns whether the shown code changed.
    fn apply(self, rotation: &mut Rotation, now: f64) -> Result<bool, RotationError> {
        match self {
            Op::Time | Op::Tick => rotation.tick(now),
            Op::Swipe => rotation.refresh(now).map(|()| true),
            Op::Funding(index) => rotation.set_funding(index, now).map(|()| true),
        }
    }
}

#[wasm_bindgen(js_class = PaymentCode)]
impl PaymentCodeView {
    /// Reads the link, draws the current code on `options.barcode` and
    /// `options.qr`, and starts rotating. Throws an `Error` with `.kind`.
    #[wasm_bindgen(js_name = fromLink)]
    pub fn from_link(link: &str, options: &PaymentCodeOptions) -> Result<PaymentCodeView, JsValue> {
        let card = Card::from_link(link).map_err(to_js)?;
        let options: &JsValue = options.as_ref();
        let barcode = canvas_option(options, "barcode")?;
        let qr = canvas_option(options, "qr")?;
        let now = Date::now();
        let clock_offset_ms = match get(options, "clockOffsetMs") {
            None => Rotation::offset_from_link(&card, now),
            Some(v) => v.as_f64().ok_or_else(|| bad_option("clockOffsetMs"))?,
        };
        let funding = match get(options, "funding") {
            None => 0,
            Some(v) => v
                .as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
                .ok_or_else(|| bad_option("funding"))? as u32,
        };
        let on_rotate = match get(options, "onRotate") {
            None => None,
            Some(f) => Some(
                f.dyn_into::<Function>()
                    .map_err(|_| bad_option("onRotate"))?,
            ),
        };
        let swipe_area = match get(options, "swipeArea") {
            None => None,
            Some(el) => Some(
                el.dyn_into::<Element>()
                    .map_err(|_| bad_option("swipeArea"))?,
            ),
        };
        let rotation = Rotation::new(card, clock_offset_ms, funding, now).map_err(to_js)?;

        let state = Rc::new(RefCell::new(State {
            rotation,
            barcode,
            qr,
            barcode_shown: Cell::new(None),
            qr_shown: Cell::new(None),
            on_rotate,
            timer: None,
            swipe: None,
            resize: None,
            destroyed: false,
        }));
        {
            let mut s = state.borrow_mut();
            s.draw(device_pixel_ratio(), Fit::Measure)?;
            arm(&state, &mut s, false);
            let weak = Rc::downgrade(&state);
            s.swipe = swipe_area.map(|area| {
                Swipe::listen(area, move || {
                    // A swipe past the 16th code of a step changes nothing;
                    // the countdown already shows when the next one comes.
                    let _ = act(&weak, Op::Swipe);
                })
            });
            s.resize = listen_resize(Rc::downgrade(&state));
        }
        Ok(PaymentCodeView { state })
    }

    /// A fresh code within the step (counter + 1), as a swipe does.
    pub fn refresh(&self) -> Result<(), JsValue> {
        act(&Rc::downgrade(&self.state), Op::Swipe)
    }

    /// Catches up with the clock (call on visibilitychange, pageshow,
    /// focus: background tabs delay timers).
    pub fn tick(&self) -> Result<(), JsValue> {
        act(&Rc::downgrade(&self.state), Op::Tick)
    }

    /// Shows the code for another funding source.
    #[wasm_bindgen(js_name = setFunding)]
    pub fn set_funding(&self, index: u32) -> Result<(), JsValue> {
        act(&Rc::downgrade(&self.state), Op::Funding(index))
    }

    /// Draws both symbols again for the canvases' current CSS size and the
    /// screen's device pixel ratio.
    pub fn redraw(&self) -> Result<(), JsValue> {
        let s = self.state.try_borrow().map_err(|_| busy())?;
        if s.destroyed {
            return Err(destroyed());
        }
        s.draw(device_pixel_ratio(), Fit::Measure)
    }

    /// "1345 •••• •••• ••68"
    #[wasm_bindgen(getter, js_name = maskedDigits)]
    pub fn masked_digits(&self) -> String {
        self.read(|r| r.code().masked())
    }

    #[wasm_bindgen(getter)]
    pub fn digits(&self) -> String {
        self.read(|r| r.code().as_str().to_owned())
    }

    /// Milliseconds until the next code (0: overdue, call `tick()`).
    #[wasm_bindgen(getter, js_name = msUntilRotate)]
    pub fn ms_until_rotate(&self) -> f64 {
        self.read(|r| r.ms_until_rotate(Date::now()) as f64)
    }

    #[wasm_bindgen(getter, js_name = clockOffsetMs)]
    pub fn clock_offset_ms(&self) -> f64 {
        self.read(|r| r.clock_offset_ms() as f64)
    }

    #[wasm_bindgen(getter, js_name = fundingIndex)]
    pub fn funding_index(&self) -> u32 {
        self.read(|r| u32::from(r.funding()))
    }

    /// The time step of the shown code (exact as a JS number).
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> f64 {
        self.read(|r| r.step() as f64)
    }

    /// The swipe counter of the shown code, 0..=15.
    #[wasm_bindgen(getter)]
    pub fn counter(&self) -> u32 {
        self.read(|r| u32::from(r.counter()))
    }

    /// The card channel's key (docs/FORMAT.md §11), derived from the card
    /// secret, which stays here. The page imports it at once as a
    /// non-extractable WebCrypto HMAC key and wipes its copy. The bytes go
    /// straight from a wiped buffer into the JS array.
    #[wasm_bindgen(js_name = channelKey)]
    pub fn channel_key(&self) -> Result<Uint8Array, JsValue> {
        let s = self.state.try_borrow().map_err(|_| busy())?;
        Ok(Uint8Array::from(
            &channel_key(&s.rotation.card().secret)[..],
        ))
    }

    /// Stops the timer and removes the listeners. The canvases keep their
    /// last drawing; later calls throw (`kind: "destroyed"`).
    pub fn destroy(&self) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.stop();
        }
    }
}

impl PaymentCodeView {
    fn read<T: Default>(&self, f: impl FnOnce(&Rotation) -> T) -> T {
        self.state
            .try_borrow()
            .map(|s| f(&s.rotation))
            .unwrap_or_default()
    }
}

impl State {
    fn draw(&self, dpr: f64, fit: Fit) -> Result<(), JsValue> {
        let digits = self.rotation.code().as_str();
        let bars = code128(digits).map_err(to_js)?;
        let square = qr(digits).map_err(to_js)?;
        paint(&self.barcode, &self.barcode_shown, bars, dpr, fit)?;
        paint(&self.qr, &self.qr_shown, square, dpr, fit)?;
        Ok(())
    }

    fn stop(&mut self) {
        self.destroyed = true;
        self.timer = None;
        self.swipe = None;
        if let Some(listener) = self.resize.take() {
            global::unlisten("resize", listener.as_ref().unchecked_ref());
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs one state change; if the code changed, redraws and tells the page.
/// The state is released before `onRotate` runs, so the page may call back
/// into the view from it.
fn act(state: &Weak<RefCell<State>>, op: Op) -> Result<(), JsValue> {
    let Some(rc) = state.upgrade() else {
        return Err(destroyed());
    };
    let notify = {
        let mut s = rc.try_borrow_mut().map_err(|_| busy())?;
        if s.destroyed {
            return Err(destroyed());
        }
        let step = s.rotation.step();
        let changed = op.apply(&mut s.rotation, Date::now());
        // The timer must point at the next boundary: after it fired, or when
        // the step moved. A swipe within the step leaves it as it is
        // (re-arming costs a clearTimeout, a setTimeout and a closure).
        let clock_broken = matches!(changed, Err(RotationError::BadClock));
        if matches!(op, Op::Time) || clock_broken || s.rotation.step() != step {
            arm(&rc, &mut s, clock_broken);
        }
        if !changed.map_err(to_js)? {
            return Ok(());
        }
        s.draw(device_pixel_ratio(), Fit::Reuse)?;
        s.on_rotate.clone().map(|f| (f, s.rotation.code().masked()))
    };
    if let Some((on_rotate, masked)) = notify {
        let event = Object::new();
        set(&event, "masked", masked);
        set(&event, "reason", op.reason());
        // An exception in the page's callback is the page's; the view is fine.
        let _ = on_rotate.call1(&JsValue::UNDEFINED, &event);
    }
    Ok(())
}

/// Whether a draw may reuse the last placement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// The canvases' CSS size or the DPR may have changed: measure again.
    Measure,
    /// Only the code changed: keep the placement if it still fits.
    Reuse,
}

/// A symbol on a canvas, where it was rastered, and at which DPR.
struct Shown {
    symbol: Symbol,
    raster: Raster,
    dpr: f64,
}

/// Draws `symbol` on `canvas`, reusing the last raster when allowed and
/// still right, and remembers what the canvas shows for next time. While a
/// draw is under way nothing is remembered, so a draw that fails half-way
/// is followed by a full one.
fn paint(
    canvas: &HtmlCanvasElement,
    shown: &Cell<Option<Shown>>,
    symbol: Symbol,
    dpr: f64,
    fit: Fit,
) -> Result<(), JsValue> {
    let last = shown.take().filter(|last| {
        fit == Fit::Reuse && last.dpr == dpr && still_fits(canvas, &symbol, &last.raster)
    });
    let changes = last
        .as_ref()
        .and_then(|last| Some((last.raster, last.raster.changes(&last.symbol, &symbol)?)));
    let raster = match changes {
        Some((raster, regions)) => {
            repaint_regions(canvas, &symbol, &raster, &regions)?;
            raster
        }
        None => draw(canvas, &symbol, dpr)?,
    };
    shown.set(Some(Shown {
        symbol,
        raster,
        dpr,
    }));
    Ok(())
}

/// (Re)starts the timer for the next step boundary of the issuer clock.
/// While the clock reads as no valid time (the device clock set before
/// 1970, say) there is no boundary to wait for: look again every second
/// rather than spin on zero-delay timers.
fn arm(rc: &Rc<RefCell<State>>, s: &mut State, clock_broken: bool) {
    if s.destroyed {
        return;
    }
    let delay = if clock_broken {
        BAD_CLOCK_RETRY_MS
    } else {
        s.rotation.ms_until_rotate(Date::now()).min(MAX_TIMEOUT_MS) as u32
    };
    let weak = Rc::downgrade(rc);
    s.timer = Some(Timeout::new(delay, move || {
        let _ = act(&weak, Op::Time);
    }));
}

fn listen_resize(state: Weak<RefCell<State>>) -> Option<Closure<dyn FnMut()>> {
    let listener = Closure::<dyn FnMut()>::new(move || {
        if let Some(rc) = state.upgrade() {
            if let Ok(s) = rc.try_borrow() {
                let _ = s.draw(device_pixel_ratio(), Fit::Measure);
            }
        }
    });
    global::listen("resize", listener.as_ref().unchecked_ref()).then_some(listener)
}

fn canvas_option(options: &JsValue, name: &str) -> Result<HtmlCanvasElement, JsValue> {
    get(options, name)
        .and_then(|v| v.dyn_into::<HtmlCanvasElement>().ok())
        .ok_or_else(|| bad_option(name))
}

fn bad_option(name: &str) -> JsValue {
    let message = match name {
        "barcode" => "options.barcode must be a canvas element",
        "qr" => "options.qr must be a canvas element",
        "clockOffsetMs" => "options.clockOffsetMs must be a number of milliseconds",
        "funding" => "options.funding must be a funding source index (0, 1, …)",
        "onRotate" => "options.onRotate must be a function",
        _ => "options.swipeArea must be an element",
    };
    js_error("bad_options", message)
}

fn busy() -> JsValue {
    js_error(
        "busy",
        "the payment code is being updated; call again from outside onRotate's caller",
    )
}

fn destroyed() -> JsValue {
    js_error("destroyed", "this payment code view was destroyed")
}
