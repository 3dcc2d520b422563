//! Drawing a symbol on a host canvas, sharp at any devicePixelRatio.
//!
//! The host sizes the canvas with CSS. Each draw measures that CSS box,
//! multiplies by the device pixel ratio, lets `core::raster` place the
//! symbol in whole device pixels per module, sets the CSS size to exactly
//! that many device pixels and the backing store to the size core gives,
//! and puts core's RGBA bytes with one `putImageData`. A linear symbol's
//! backing store is one row that the compositor stretches to the CSS
//! height; `image-rendering: pixelated` keeps that stretch, and anything a
//! little off whole pixels, from blending edges.

use crate::core::raster::{css_px, device_pixels, Raster, Region};
use crate::core::symbol::Symbol;
use crate::core::text::{decimal, split_first, with_number};
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::error::{browser, js_error};

/// Where the host's own inline size is kept while the canvas wears ours,
/// on the element itself so that every view drawing on it agrees.
const HOST_SIZE_ATTR: &str = "data-paycode-host-size";

/// Draws `symbol` on `canvas` for a screen of `dpr` device pixels per CSS
/// pixel, and returns where it landed.
pub fn draw(canvas: &HtmlCanvasElement, symbol: &Symbol, dpr: f64) -> Result<Raster, JsValue> {
    let dpr = if dpr.is_finite() && dpr > 0.0 {
        dpr
    } else {
        1.0
    };
    let (css_width, css_height) = measure(canvas)?;
    let raster = Raster::new(
        symbol,
        device_pixels(css_width, dpr),
        device_pixels(css_height, dpr),
    );

    let (screen, store) = (raster.screen(), raster.store());
    canvas.set_width(store.canvas_width);
    canvas.set_height(store.canvas_height);
    let style = canvas.style();
    let set = |name: &str, device: u32| style.set_property(name, &css_px(device, dpr));
    set("width", screen.canvas_width).map_err(|e| browser("canvas_style", e))?;
    set("height", screen.canvas_height).map_err(|e| browser("canvas_style", e))?;
    let _ = style.set_property("image-rendering", "pixelated");

    repaint(canvas, symbol, &raster, raster.whole())?;
    Ok(raster)
}

/// Whether `raster`, made by [`draw`], still describes `canvas` and fits
/// `symbol`: then a new code needs only [`repaint_regions`] of
/// [`Raster::changes`]. Resizing a canvas reallocates its backing store and
/// measuring it forces a layout; together they cost far more than the
/// pixels, so a new code in an unchanged canvas must do neither.
pub fn still_fits(canvas: &HtmlCanvasElement, symbol: &Symbol, raster: &Raster) -> bool {
    let store = raster.store();
    canvas.width() == store.canvas_width
        && canvas.height() == store.canvas_height
        && raster.fits(symbol)
}

/// New pixels for `region` of the backing store: one RGBA buffer from
/// core, one `putImageData`; the canvas's size, CSS and layout are left
/// alone.
pub fn repaint(
    canvas: &HtmlCanvasElement,
    symbol: &Symbol,
    raster: &Raster,
    region: Region,
) -> Result<(), JsValue> {
    repaint_regions(canvas, symbol, raster, &[region])
}

/// [`repaint`] of several regions, one `putImageData` each, with one look-up
/// of the 2D context. `putImageData` ignores image smoothing and
/// compositing, so nothing else is set.
pub fn repaint_regions(
    canvas: &HtmlCanvasElement,
    symbol: &Symbol,
    raster: &Raster,
    regions: &[Region],
) -> Result<(), JsValue> {
    let context = context(canvas)?;
    for &region in regions {
        let pixels = raster.pixels(symbol, region);
        if pixels.rgba.is_empty() {
            continue;
        }
        let Region {
            x,
            y,
            width,
            height,
        } = pixels.region;
        let image =
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels.rgba), width, height)
                .map_err(|e| browser("canvas_draw", e))?;
        context
            .put_image_data(&image, f64::from(x), f64::from(y))
            .map_err(|e| browser("canvas_draw", e))?;
    }
    Ok(())
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
