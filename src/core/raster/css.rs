//! CSS lengths ↔ device pixels, so that a canvas's CSS size is exactly the
//! device pixels its symbol was placed in.

use crate::core::text::decimal;

use super::MAX_SIDE;

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
