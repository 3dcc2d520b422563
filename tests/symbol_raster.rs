//! Pixels: whole device pixels per module, centred, pure black and white,
//! bars tall enough, and still readable by foreign decoders.

use paycode_wallet::core::symbol::raster::{
    place_linear, place_matrix, rgba, rgba_region, Placement, Region, MAX_SIDE,
};
use paycode_wallet::core::symbol::{code128, qr, Bitmap, CODE128_QUIET_ZONE, QR_QUIET_ZONE};
use rxing::BarcodeFormat;

const DIGITS: &str = "134512345678901268";

/// Asserts every pixel is opaque pure black or pure white, and that the
/// symbol area matches the bitmap module by module.
fn check_pixels(bitmap: &Bitmap, p: &Placement, pixels: &[u8]) {
    assert_eq!(
        pixels.len(),
        (p.canvas_width * p.canvas_height * 4) as usize
    );
    for (i, px) in pixels.chunks_exact(4).enumerate() {
        assert!(
            px == [0, 0, 0, 255] || px == [255, 255, 255, 255],
            "pixel {i} is {px:?}"
        );
        let (x, y) = (i as u32 % p.canvas_width, i as u32 / p.canvas_width);
        let inside = x >= p.x && x < p.x + p.width && y >= p.y && y < p.y + p.height;
        let expected_dark = inside && {
            let my = if bitmap.height == 1 {
                0
            } else {
                (y - p.y) / p.module
            };
            bitmap.get((x - p.x) / p.module, my)
        };
        assert_eq!(px[0] == 0, expected_dark, "pixel ({x}, {y})");
    }
}

fn luma(pixels: &[u8]) -> Vec<u8> {
    pixels.chunks_exact(4).map(|px| px[0]).collect()
}

#[test]
fn qr_modules_are_whole_pixels_and_centred_at_each_dpr() {
    let bitmap = qr(DIGITS).expect("valid digits");
    assert_eq!(bitmap.width, 29);
    for dpr in 1..=3 {
        // A 200 × 180 CSS-pixel canvas.
        let (w, h) = (200 * dpr, 180 * dpr);
        let p = place_matrix(&bitmap, w, h);
        assert_eq!((p.canvas_width, p.canvas_height), (w, h));
        assert_eq!(p.module, h / 29, "largest integer scale that fits");
        assert_eq!((p.width, p.height), (29 * p.module, 29 * p.module));
        assert!(p.x.abs_diff(w - p.x - p.width) <= 1, "centred horizontally");
        assert!(p.y.abs_diff(h - p.y - p.height) <= 1, "centred vertically");
        let pixels = rgba(&bitmap, &p);
        check_pixels(&bitmap, &p, &pixels);
        let luma = luma(&pixels);
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                luma[y * w as usize + x]
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().expect("rqrr decodes").1, DIGITS);
    }
}

#[test]
fn code128_fills_the_width_with_whole_pixel_modules_at_each_dpr() {
    let bitmap = code128(DIGITS).expect("valid digits");
    assert_eq!(bitmap.width, 154);
    for dpr in 1..=3 {
        let (w, h) = (320 * dpr, 90 * dpr);
        let p = place_linear(&bitmap, w, h);
        assert_eq!((p.canvas_width, p.canvas_height), (w, h));
        assert_eq!(p.module, 2 * dpr, "320 / 154 = 2 CSS px per module");
        assert_eq!((p.y, p.height), (0, h), "bars fill the height");
        assert!(p.height * 100 >= 15 * p.width, "bars ≥ 15 % of the width");
        assert!(p.x.abs_diff(w - p.x - p.width) <= 1, "centred");
        let pixels = rgba(&bitmap, &p);
        check_pixels(&bitmap, &p, &pixels);
        let text =
            rxing::helpers::detect_in_luma(luma(&pixels), w, h, Some(BarcodeFormat::CODE_128))
                .expect("rxing decodes")
                .getText()
                .to_string();
        assert_eq!(text, DIGITS);
    }
}

#[test]
fn short_canvas_narrows_code128_modules_to_keep_bars_15_percent() {
    let bitmap = code128(DIGITS).expect("valid digits");
    // 600 px wide allows 3 px modules (462 px), but 60 px of height only
    // covers 15 % of 400 px: modules drop to 2 px (308 px, 15 % = 46.2).
    let p = place_linear(&bitmap, 600, 60);
    assert_eq!(p.module, 2);
    assert_eq!(p.height, 60);
    assert!(p.height * 100 >= 15 * p.width);
    // Too short for even 1 px modules: the canvas height is used as is.
    let p = place_linear(&bitmap, 600, 10);
    assert_eq!((p.module, p.height, p.canvas_height), (1, 10, 10));
}

#[test]
fn tiny_or_empty_canvas_grows_to_one_pixel_per_module() {
    let bitmap = qr(DIGITS).expect("valid digits");
    let p = place_matrix(&bitmap, 10, 0);
    assert_eq!((p.module, p.canvas_width, p.canvas_height), (1, 29, 29));
    let pixels = rgba(&bitmap, &p);
    check_pixels(&bitmap, &p, &pixels);
    let bars = code128(DIGITS).expect("valid digits");
    let p = place_linear(&bars, 0, 0);
    assert_eq!((p.module, p.canvas_width, p.canvas_height), (1, 154, 1));
    check_pixels(&bars, &p, &rgba(&bars, &p));
}

#[test]
fn huge_canvas_is_capped() {
    let bitmap = qr(DIGITS).expect("valid digits");
    let p = place_matrix(&bitmap, u32::MAX, u32::MAX);
    assert_eq!((p.canvas_width, p.canvas_height), (MAX_SIDE, MAX_SIDE));
    assert_eq!(p.module, MAX_SIDE / 29);
    let p = place_linear(&code128(DIGITS).expect("valid digits"), u32::MAX, u32::MAX);
    assert!(p.canvas_width <= MAX_SIDE && p.canvas_height <= MAX_SIDE);
}

#[test]
fn device_pixels_are_whole_and_forgive_float_error() {
    use paycode_wallet::core::symbol::raster::device_pixels;
    assert_eq!(device_pixels(320.0, 1.0), 320);
    assert_eq!(device_pixels(320.0, 2.0), 640);
    // 1000 device px would be 333.333 CSS px, which layout rounds.
    assert_eq!(device_pixels(333.333_333, 3.0), 999);
    assert_eq!(device_pixels(334.0, 3.0), 1002);
    assert_eq!(device_pixels(101.0, 1.5), 150);
    assert_eq!(device_pixels(100.0, 2.625), 252);
    assert_eq!(device_pixels(99.999_999, 2.0), 200);
    assert_eq!(device_pixels(100.4, 1.0), 100);
    assert_eq!(device_pixels(100.0, 1.5), 150);
    assert_eq!(device_pixels(0.0, 2.0), 0);
    assert_eq!(device_pixels(-5.0, 2.0), 0);
    assert_eq!(device_pixels(f64::NAN, 2.0), 0);
    assert_eq!(device_pixels(10.0, f64::NAN), 0);
    assert_eq!(device_pixels(1e9, 2.0), MAX_SIDE);
    assert_eq!(
        device_pixels(1e9, 3.0),
        4095,
        "the largest multiple of 3 under the cap"
    );
}

#[test]
fn css_px_maps_device_pixels_back_exactly_enough() {
    use paycode_wallet::core::symbol::raster::css_px;
    assert_eq!(css_px(320, 1.0), "320px");
    assert_eq!(css_px(640, 2.0), "320px");
    assert_eq!(css_px(1000, 3.0), "333.3333px");
    assert_eq!(css_px(999, 2.0), "499.5px");
    assert_eq!(css_px(301, 4.0), "75.25px");
    assert_eq!(css_px(1, 3.0), "0.3333px");
    assert_eq!(css_px(3, 1.5), "2px");
    assert_eq!(css_px(100, 1.25), "80px");
    assert_eq!(css_px(1, 16.0), "0.0625px");
    assert_eq!(css_px(2, f64::NAN), "2px");
    assert_eq!(css_px(0, 2.0), "0px");
}

/// The pixels of `region` cut out of a whole-canvas buffer.
fn crop(full: &[u8], p: &Placement, region: Region) -> Vec<u8> {
    let mut out = Vec::new();
    let right = (region.x + region.width).min(p.canvas_width);
    let bottom = (region.y + region.height).min(p.canvas_height);
    for y in region.y.min(bottom)..bottom {
        let row = (y * p.canvas_width) as usize * 4;
        out.extend_from_slice(
            &full[row + region.x.min(right) as usize * 4..row + right as usize * 4],
        );
    }
    out
}

#[test]
fn a_region_is_the_same_pixels_as_the_whole_canvas_there() {
    let codes = ["134512345678901268", "101", "1599999999999999999999"];
    for digits in codes {
        for (bitmap, quiet) in [
            (qr(digits).unwrap(), QR_QUIET_ZONE),
            (code128(digits).unwrap(), CODE128_QUIET_ZONE),
        ] {
            for (w, h) in [(200, 180), (320, 96), (960, 288), (696, 696), (13, 7)] {
                let p = if bitmap.height == 1 {
                    place_linear(&bitmap, w, h)
                } else {
                    place_matrix(&bitmap, w, h)
                };
                let full = rgba(&bitmap, &p);
                let inner = p.modules_region(&bitmap, quiet);
                let regions = [
                    p.canvas(),
                    inner,
                    Region {
                        x: 3,
                        y: 2,
                        width: 17,
                        height: 5,
                    },
                    Region {
                        x: w - 1,
                        y: h - 1,
                        width: 50,
                        height: 50,
                    },
                    Region {
                        x: w + 5,
                        y: 0,
                        width: 4,
                        height: 4,
                    },
                ];
                for region in regions {
                    assert_eq!(
                        rgba_region(&bitmap, &p, region),
                        crop(&full, &p, region),
                        "{digits} {w}×{h} {region:?}"
                    );
                }
                // Outside the inner region everything is white: what a
                // repaint of the inner region alone leaves in place.
                for (i, px) in full.chunks_exact(4).enumerate() {
                    let (x, y) = (i as u32 % p.canvas_width, i as u32 / p.canvas_width);
                    let outside = x < inner.x
                        || x >= inner.x + inner.width
                        || y < inner.y
                        || y >= inner.y + inner.height;
                    if outside {
                        assert_eq!(px, [255, 255, 255, 255], "{digits} {w}×{h} ({x}, {y})");
                    }
                }
            }
        }
    }
}

#[test]
fn a_linear_symbols_backing_store_is_the_first_row_of_its_screen_pixels() {
    for digits in ["134512345678901268", "101", "1599999999999999999999"] {
        let bitmap = code128(digits).unwrap();
        for (w, h) in [(320, 96), (960, 288), (13, 7), (0, 0)] {
            let p = place_linear(&bitmap, w, h);
            let store = p.backing_store(&bitmap);
            assert_eq!(
                (store.canvas_width, store.canvas_height),
                (p.canvas_width, 1),
                "{digits} {w}×{h}: one row, as wide as the screen's"
            );
            assert_eq!(
                (store.x, store.width, store.module),
                (p.x, p.width, p.module)
            );
            let screen = rgba(&bitmap, &p);
            let row = rgba(&bitmap, &store);
            let stride = p.canvas_width as usize * 4;
            assert_eq!(row.len(), stride);
            // Every screen row is that row, so stretching it loses nothing.
            for (y, screen_row) in screen.chunks_exact(stride).enumerate() {
                assert!(screen_row == row, "{digits} {w}×{h}: row {y}");
            }
            let inner = p.modules_region(&bitmap, CODE128_QUIET_ZONE);
            let below = Region {
                x: 0,
                y: p.canvas_height,
                width: p.canvas_width,
                height: 3,
            };
            let band = Region {
                x: 5,
                y: p.canvas_height / 2,
                width: 40,
                height: 2,
            };
            for region in [p.canvas(), inner, band, below] {
                let mapped = p.backing_region(&bitmap, region);
                let on_screen = crop(&screen, &p, region);
                let expected = if on_screen.is_empty() {
                    on_screen
                } else {
                    crop(
                        &screen,
                        &p,
                        Region {
                            y: 0,
                            height: 1,
                            ..region
                        },
                    )
                };
                assert_eq!(
                    rgba_region(&bitmap, &store, mapped),
                    expected,
                    "{digits} {w}×{h} {region:?} → {mapped:?}"
                );
            }
        }
    }
}

#[test]
fn a_matrix_symbols_backing_store_is_its_screen_pixels() {
    let bitmap = qr(DIGITS).unwrap();
    let p = place_matrix(&bitmap, 696, 696);
    assert_eq!(p.backing_store(&bitmap), p);
    let inner = p.modules_region(&bitmap, QR_QUIET_ZONE);
    assert_eq!(p.backing_region(&bitmap, inner), inner);
}
