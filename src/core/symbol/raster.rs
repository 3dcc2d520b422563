//! Symbol → RGBA pixels, every module a whole number of device pixels.
//!
//! Scanners read edges: a module that straddles two pixels is drawn grey by
//! the browser and can blur a narrow bar into a wide one. So the scale is an
//! integer, the offset is an integer, and the pixels are only pure black and
//! pure white. The browser layer gets a finished buffer and does one copy.

use super::Bitmap;
use crate::core::text::decimal;

/// Largest canvas side produced, in device pixels. A 4096 × 4096 RGBA buffer
/// is 64 MiB; anything larger is a layout mistake, not a bigger symbol.
pub const MAX_SIDE: u32 = 4096;

/// ISO/IEC 15417 §5.4.2 (via ISO/IEC 15416): bars at least 15 % of the symbol width.
const MIN_BAR_HEIGHT_PERCENT: u32 = 15;

/// How the symbol sits in the canvas, all in device pixels of the screen.
/// The canvas's backing store is [`Placement::backing_store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The canvas's size on screen.
    pub canvas_width: u32,
    pub canvas_height: u32,
    /// Device pixels per module (both directions for QR, horizontal for Code 128).
    pub module: u32,
    /// Top-left corner of the symbol (quiet zones included) in the canvas.
    pub x: u32,
    pub y: u32,
    /// Size of the symbol, quiet zones included.
    pub width: u32,
    pub height: u32,
}

/// Square modules, as large as fit in `avail_width` × `avail_height`,
/// centred. If even one pixel per module does not fit, the canvas grows to
/// the symbol rather than shrink it below readability.
pub fn place_matrix(bitmap: &Bitmap, avail_width: u32, avail_height: u32) -> Placement {
    let (aw, ah) = (avail_width.min(MAX_SIDE), avail_height.min(MAX_SIDE));
    let module = (aw / bitmap.width.max(1))
        .min(ah / bitmap.height.max(1))
        .max(1);
    centre(
        aw,
        ah,
        module,
        bitmap.width * module,
        bitmap.height * module,
    )
}

/// Bars fill the canvas height; modules as wide as fit the width, narrowed
/// if needed so the height stays at least 15 % of the symbol width. When
/// even one-pixel modules break that rule, the canvas height is used as is.
pub fn place_linear(bitmap: &Bitmap, avail_width: u32, avail_height: u32) -> Placement {
    let (aw, ah) = (avail_width.min(MAX_SIDE), avail_height.min(MAX_SIDE));
    let modules = bitmap.width.max(1);
    let widest = aw / modules;
    // Largest m with 15 % of (modules × m) ≤ ah.
    let tallest_allowed = (ah * 100) / (MIN_BAR_HEIGHT_PERCENT * modules);
    let module = widest.min(tallest_allowed).max(1);
    centre(aw, ah.max(1), module, modules * module, ah.max(1))
}

fn centre(aw: u32, ah: u32, module: u32, width: u32, height: u32) -> Placement {
    let canvas_width = aw.max(width);
    let canvas_height = ah.max(height);
    Placement {
        canvas_width,
        canvas_height,
        module,
        x: (canvas_width - width) / 2,
        y: (canvas_height - height) / 2,
        width,
        height,
    }
}

/// A rectangle of the canvas, in device pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    /// The part of this region inside the canvas of `placement`.
    pub fn clipped_to(self, placement: &Placement) -> Region {
        let x = self.x.min(placement.canvas_width);
        let y = self.y.min(placement.canvas_height);
        Region {
            x,
            y,
            width: self.width.min(placement.canvas_width - x),
            height: self.height.min(placement.canvas_height - y),
        }
    }
}

impl Placement {
    /// The whole canvas.
    pub fn canvas(&self) -> Region {
        Region {
            x: 0,
            y: 0,
            width: self.canvas_width,
            height: self.canvas_height,
        }
    }

    /// The same symbol in the canvas's backing store, whose pixels are
    /// `rgba(bitmap, &backing_store)`. Rows of a linear symbol
    /// (`bitmap.height` 1) are all alike, so its backing store is one row,
    /// `canvas_width × 1`, which layout stretches to the canvas's height on
    /// screen: a ninth of the pixels to fill and copy at DPR 3, and across
    /// still one backing-store pixel per device pixel. A matrix symbol's
    /// backing store is the screen's device pixels, one for one.
    pub fn backing_store(&self, bitmap: &Bitmap) -> Placement {
        if bitmap.height != 1 {
            return *self;
        }
        Placement {
            canvas_height: 1,
            y: 0,
            height: 1,
            ..*self
        }
    }

    /// Where `region` of the screen is in [`Self::backing_store`]: the same
    /// columns; for a linear symbol, its one row if `region` covers any row
    /// of the canvas.
    pub fn backing_region(&self, bitmap: &Bitmap, region: Region) -> Region {
        if bitmap.height != 1 {
            return region;
        }
        let rows = region.clipped_to(self).height.min(1);
        Region {
            y: 0,
            height: rows,
            ..region
        }
    }

    /// The symbol less its quiet zone of `quiet` modules (left and right
    /// only for a linear symbol, `bitmap.height` 1): every pixel that a new
    /// code of the same size can change. The quiet zone and the margins
    /// stay white from the draw that sized the canvas.
    pub fn modules_region(&self, bitmap: &Bitmap, quiet: u32) -> Region {
        let dx = (quiet * self.module).min(self.width / 2);
        let dy = if bitmap.height == 1 {
            0
        } else {
            (quiet * self.module).min(self.height / 2)
        };
        Region {
            x: self.x + dx,
            y: self.y + dy,
            width: self.width - 2 * dx,
            height: self.height - 2 * dy,
        }
    }
}

/// RGBA bytes for the whole canvas: white everywhere, black for dark
/// modules. `bitmap.height` of 1 is stretched to the full placement height
/// (a linear symbol); otherwise rows are `placement.module` pixels tall.
pub fn rgba(bitmap: &Bitmap, placement: &Placement) -> Vec<u8> {
    rgba_region(bitmap, placement, placement.canvas())
}

/// The RGBA bytes of [`rgba`] inside `region` only (clipped to the
/// canvas), row by row: what a repaint of that rectangle puts.
pub fn rgba_region(bitmap: &Bitmap, placement: &Placement, region: Region) -> Vec<u8> {
    let Region {
        x: left,
        y: top,
        width,
        height,
    } = region.clipped_to(placement);
    let stride = width as usize * 4;
    let mut pixels = vec![0xff; stride * height as usize];
    let row_height = if bitmap.height == 1 {
        placement.height
    } else {
        placement.module
    };
    for my in 0..bitmap.height {
        // This module row's pixel rows, within the region.
        let first = (placement.y + my * row_height).max(top);
        let end = (placement.y + (my + 1) * row_height).min(top + height);
        if first >= end {
            continue;
        }
        let first = (first - top) as usize;
        let end = (end - top) as usize;
        let Some(row) = pixels.get_mut(first * stride..(first + 1) * stride) else {
            continue;
        };
        paint_row(bitmap.row(my), placement, left, row);
        // The other pixel rows of this module row are copies of the first.
        for y in first + 1..end {
            let (done, rest) = pixels.split_at_mut(y * stride);
            let src = done.get(first * stride..(first + 1) * stride);
            if let (Some(src), Some(dst)) = (src, rest.get_mut(..stride)) {
                dst.copy_from_slice(src);
            }
        }
    }
    pixels
}

/// Paints dark modules black in one pixel row (already white) that starts
/// at canvas column `left`.
fn paint_row(modules: &[bool], placement: &Placement, left: u32, row: &mut [u8]) {
    let module = placement.module as usize;
    let (left, columns) = (left as usize, row.len() / 4);
    for (mx, _) in modules.iter().enumerate().filter(|(_, &dark)| dark) {
        let start = (placement.x as usize + mx * module).max(left) - left;
        let end = (placement.x as usize + (mx + 1) * module).saturating_sub(left);
        if let Some(span) = row.get_mut(start * 4..end.min(columns) * 4) {
            for pixel in span.chunks_exact_mut(4) {
                pixel.copy_from_slice(&[0, 0, 0, 0xff]);
            }
        }
    }
}

/// Device pixels for a CSS length of `css` px at `dpr` device pixels per
/// CSS pixel: whole, capped at [`MAX_SIDE`], and if possible a count whose
/// CSS size is a whole number of CSS pixels too (999 rather than 1000 at
/// DPR 3), because layout engines round fractional CSS sizes (to 1/64 px in
/// Chromium, 1/60 px in Gecko) and a rounded size is resampled, blurring
/// edges. A hair below a whole number counts as that number.
pub fn device_pixels(css: f64, dpr: f64) -> u32 {
    let device = css * dpr;
    if !device.is_finite() || device <= 0.0 || !dpr.is_finite() || dpr <= 0.0 {
        return 0;
    }
    let most = (device + 0.01).floor().min(f64::from(MAX_SIDE)) as u32;
    (most.saturating_sub(SNAP_SEARCH)..=most)
        .rev()
        .find(|&d| {
            let css = f64::from(d) / dpr;
            (css - css.round()).abs() < 1e-6
        })
        .unwrap_or(most)
}

/// How far below the available size to look for a whole CSS size: enough
/// for every ratio browsers use (DPR 2.625 needs multiples of 21).
const SNAP_SEARCH: u32 = 64;

/// The CSS length (`"333.3333px"`) that `device` device pixels take at
/// `dpr`, to 4 decimals; written by hand so the wasm bundle carries no
/// float formatting.
pub fn css_px(device: u32, dpr: f64) -> String {
    let dpr = if dpr.is_finite() && dpr > 0.0 {
        dpr
    } else {
        1.0
    };
    let scaled = (f64::from(device) / dpr * 10_000.0)
        .round()
        .clamp(0.0, 1e15) as u64;
    let (whole, mut fraction) = (scaled / 10_000, scaled % 10_000);
    let mut out = decimal(whole);
    if fraction != 0 {
        let mut width = 4;
        while fraction % 10 == 0 {
            fraction /= 10;
            width -= 1;
        }
        let digits = decimal(fraction);
        out.push('.');
        out.extend(core::iter::repeat_n('0', width - digits.len()));
        out.push_str(&digits);
    }
    out.push_str("px");
    out
}
