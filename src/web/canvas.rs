//! Drawing a symbol bitmap on a host canvas, sharp at any devicePixelRatio.
//!
//! The host sizes the canvas with CSS. Each draw measures that CSS box,
//! multiplies by the device pixel ratio, lets `core::symbol::raster` choose
//! a whole number of device pixels per module, sets the CSS size to exactly
//! that many device pixels and the backing store to match, and copies one
//! RGBA buffer with one `putImageData`. For a QR code one canvas pixel is
//! one screen pixel. A Code 128's rows are all alike, so its backing store
//! is one row (`Placement::backing_store`): across, one canvas pixel is one
//! screen pixel; down, the compositor stretches that row to the CSS height,
//! and `image-rendering: pixelated` keeps the stretch from blending rows
//! (there is nothing different to blend) or edges.

use crate::core::symbol::raster::{self, css_px, device_pixels, Placement, Region};
use crate::core::symbol::{Bitmap, CODE128_QUIET_ZONE, QR_QUIET_ZONE};
use crate::core::text::{decimal, split_first, with_number};
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::error::{browser, js_error};

/// Where the host's own inline size is kept while the canvas wears ours,
/// on the element itself so that every view drawing on it agrees.
const HOST_SIZE_ATTR: &str = "data-paycode-host-size";

/// How modules are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Square modules (QR).
    Matrix,
    /// One row of bars stretched to the canvas height (Code 128).
    Linear,
}

impl Shape {
    /// Quiet-zone modules on each side (left and right only for Linear).
    pub fn quiet_zone(self) -> u32 {
        match self {
            Shape::Matrix => QR_QUIET_ZONE,
            Shape::Linear => CODE128_QUIET_ZONE,
        }
    }
}

/// Draws `bitmap` on `canvas` for a screen of `dpr` device pixels per CSS
/// pixel, and returns where it landed (in device pixels).
pub fn draw(
    canvas: &HtmlCanvasElement,
    bitmap: &Bitmap,
    shape: Shape,
    dpr: f64,
) -> Result<Placement, JsValue> {
    let dpr = if dpr.is_finite() && dpr > 0.0 {
        dpr
    } else {
        1.0
    };
    let (css_width, css_height) = measure(canvas)?;
    let avail_width = device_pixels(css_width, dpr);
    let avail_height = device_pixels(css_height, dpr);
    let placement = match shape {
        Shape::Matrix => raster::place_matrix(bitmap, avail_width, avail_height),
        Shape::Linear => raster::place_linear(bitmap, avail_width, avail_height),
    };

    let store = placement.backing_store(bitmap);
    canvas.set_width(store.canvas_width);
    canvas.set_height(store.canvas_height);
    let style = canvas.style();
    let set = |name: &str, device: u32| style.set_property(name, &css_px(device, dpr));
    set("width", placement.canvas_width).map_err(|e| browser("canvas_style", e))?;
    set("height", placement.canvas_height).map_err(|e| browser("canvas_style", e))?;
    // Keep edges hard where layout scales the canvas: a linear symbol's one
    // row to the CSS height, and anything a little off whole pixels.
    let _ = style.set_property("image-rendering", "pixelated");

    repaint(canvas, bitmap, &placement, placement.canvas())?;
    Ok(placement)
}

/// Whether `placement`, made by [`draw`] for a bitmap of the same size,
/// still describes `canvas`: then a new code needs only [`repaint`].
/// Resizing a canvas reallocates its backing store and measuring it forces
/// a layout; together they cost far more than the pixels, so a new code in
/// an unchanged canvas must do neither.
pub fn still_fits(canvas: &HtmlCanvasElement, bitmap: &Bitmap, placement: &Placement) -> bool {
    let symbol_height = if bitmap.height == 1 {
        placement.height
    } else {
        placement.module * bitmap.height
    };
    let store = placement.backing_store(bitmap);
    canvas.width() == store.canvas_width
        && canvas.height() == store.canvas_height
        && bitmap.width * placement.module == placement.width
        && symbol_height == placement.height
}

/// New pixels for `region` of the canvas (device pixels of the screen, as
/// `placement` is): one RGBA buffer for that region's part of the backing
/// store, one `putImageData`; the canvas's size, CSS and layout are left
/// alone. A new code in a canvas that still fits needs only
/// [`Placement::modules_region`]: the quiet zone stays as it was drawn.
pub fn repaint(
    canvas: &HtmlCanvasElement,
    bitmap: &Bitmap,
    placement: &Placement,
    region: Region,
) -> Result<(), JsValue> {
    let store = placement.backing_store(bitmap);
    let region = placement.backing_region(bitmap, region).clipped_to(&store);
    let pixels = raster::rgba_region(bitmap, &store, region);
    let context = context(canvas)?;
    context.set_image_smoothing_enabled(false);
    if pixels.is_empty() {
        return Ok(());
    }
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), region.width, region.height)
            .map_err(|e| browser("canvas_draw", e))?;
    context
        .put_image_data(&image, f64::from(region.x), f64::from(region.y))
        .map_err(|e| browser("canvas_draw", e))
}

/// The CSS size the host gives the canvas, measured with the host's own
/// inline size and backing store in place (ours from a previous draw would
/// otherwise feed back into the measurement).
fn measure(canvas: &HtmlCanvasElement) -> Result<(f64, f64), JsValue> {
    let style = canvas.style();
    let saved = canvas.get_attribute(HOST_SIZE_ATTR);
    let host = match &saved {
        Some(saved) => HostSize::parse(saved),
        None => {
            let host = HostSize {
                width: style.get_property_value("width").unwrap_or_default(),
                height: style.get_property_value("height").unwrap_or_default(),
                attr_width: canvas.width(),
                attr_height: canvas.height(),
            };
            canvas
                .set_attribute(HOST_SIZE_ATTR, &host.to_attr())
                .map_err(|e| browser("canvas_style", e))?;
            host
        }
    };
    if saved.is_some() {
        canvas.set_width(host.attr_width);
        canvas.set_height(host.attr_height);
        restore(&style, "width", &host.width)?;
        restore(&style, "height", &host.height)?;
    }
    let rect = canvas.get_bounding_client_rect();
    // The content box: the bounding box less borders and padding, which
    // are not painted by the canvas.
    let css_width = f64::from(canvas.client_width()).min(rect.width());
    let css_height = f64::from(canvas.client_height()).min(rect.height());
    Ok((css_width.max(0.0), css_height.max(0.0)))
}

fn restore(style: &web_sys::CssStyleDeclaration, name: &str, value: &str) -> Result<(), JsValue> {
    if value.is_empty() {
        style.remove_property(name).map(drop)
    } else {
        style.set_property(name, value)
    }
    .map_err(|e| browser("canvas_style", e))
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")
        .map_err(|e| browser("canvas_context", e))?
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        .ok_or_else(|| {
            js_error(
                "canvas_context",
                "the canvas has no 2D context (is it already used for WebGL?)",
            )
        })
}

/// The host's inline size and backing-store size, saved in an attribute as
/// `attr_width attr_height|css width|css height`.
struct HostSize {
    width: String,
    height: String,
    attr_width: u32,
    attr_height: u32,
}

impl HostSize {
    fn to_attr(&self) -> String {
        let mut out = with_number("", self.attr_width.into(), " ");
        out.push_str(&decimal(self.attr_height.into()));
        for part in [&self.width, &self.height] {
            out.push('|');
            out.push_str(part);
        }
        out
    }

    fn parse<'a>(text: &'a str) -> HostSize {
        // Like `split(sep)`: the text up to the separator, and the rest.
        let next = |text: &'a str, sep| split_first(text, sep).unwrap_or((text, ""));
        let (attrs, rest) = next(text, b'|');
        let (width, rest) = next(rest, b'|');
        let (height, _) = next(rest, b'|');
        let (attr_width, rest) = next(attrs, b' ');
        let (attr_height, _) = next(rest, b' ');
        // The canvas defaults (300 × 150) if the attribute was tampered with.
        HostSize {
            attr_width: attr_width.parse().unwrap_or(300),
            attr_height: attr_height.parse().unwrap_or(150),
            width: width.to_owned(),
            height: height.to_owned(),
        }
    }
}
