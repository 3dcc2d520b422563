//! Pixels: whole device pixels per module, centred, pure black and white,
//! bars tall enough, and still readable by foreign decoders.

use paycode_wallet::core::raster::{rgba, Placement, Raster, Region, MAX_SIDE};
use paycode_wallet::core::symbol::{code128, qr, Symbol, SymbolKind};
use rxing::BarcodeFormat;

const DIGITS: &str = "134512345678901268";

/// Where `symbol` lands on a screen of `w` × `h` device pixels.
fn place(symbol: &Symbol, w: u32, h: u32) -> Placement {
    Raster::new(symbol, w, h).screen()
}

/// The device pixels of the whole screen placement.
fn screen_rgba(symbol: &Symbol, p: &Placement) -> Vec<u8> {
    rgba(symbol, p, p.canvas())
}

/// Asserts every pixel is opaque pure black or pure white, and that the
/// symbol area matches the bitmap module by module.
fn check_pixels(symbol: &Symbol, p: &Placement, pixels: &[u8]) {
    let bitmap = symbol.bitmap();
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
            let my = match symbol.kind() {
                SymbolKind::Linear => 0,
                SymbolKind::Matrix => (y - p.y) / p.module,
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
    let symbol = qr(DIGITS).expect("valid digits");
    assert_eq!(symbol.bitmap().width, 29);
    for dpr in 1..=3 {
        // A 200 × 180 CSS-pixel canvas.
        let (w, h) = (200 * dpr, 180 * dpr);
        let p = place(&symbol, w, h);
        assert_eq!((p.canvas_width, p.canvas_height), (w, h));
        assert_eq!(p.module, h / 29, "largest integer scale that fits");
        assert_eq!((p.width, p.height), (29 * p.module, 29 * p.module));
        assert!(p.x.abs_diff(w - p.x - p.width) <= 1, "centred horizontally");
        assert!(p.y.abs_diff(h - p.y - p.height) <= 1, "centred vertically");
        let pixels = screen_rgba(&symbol, &p);
        check_pixels(&symbol, &p, &pixels);
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
    let symbol = code128(DIGITS).expect("valid digits");
    assert_eq!(symbol.bitmap().width, 154);
    for dpr in 1..=3 {
        let (w, h) = (320 * dpr, 90 * dpr);
        let p = place(&symbol, w, h);
        assert_eq!((p.canvas_width, p.canvas_height), (w, h));
        assert_eq!(p.module, 2 * dpr, "320 / 154 = 2 CSS px per module");
        assert_eq!((p.y, p.height), (0, h), "bars fill the height");
        assert!(p.height * 100 >= 15 * p.width, "bars ≥ 15 % of the width");
        assert!(p.x.abs_diff(w - p.x - p.width) <= 1, "centred");
        let pixels = screen_rgba(&symbol, &p);
        check_pixels(&symbol, &p, &pixels);
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
    let symbol = code128(DIGITS).expect("valid digits");
    // 600 px wide allows 3 px modules (462 px), but 60 px of height only
    // covers 15 % of 400 px: modules drop to 2 px (308 px, 15 % = 46.2).
    let p = place(&symbol, 600, 60);
    assert_eq!(p.module, 2);
    assert_eq!(p.height, 60);
    assert!(p.height * 100 >= 15 * p.width);
    // Too short for even 1 px modules: the canvas height is used as is.
    let p = place(&symbol, 600, 10);
    assert_eq!((p.module, p.height, p.canvas_height), (1, 10, 10));
}

#[test]
fn tiny_or_empty_canvas_grows_to_one_pixel_per_module() {
    let symbol = qr(DIGITS).expect("valid digits");
    let p = place(&symbol, 10, 0);
    assert_eq!((p.module, p.canvas_width, p.canvas_height), (1, 29, 29));
    let pixels = screen_rgba(&symbol, &p);
    check_pixels(&symbol, &p, &pixels);
    let bars = code128(DIGITS).expect("valid digits");
    let p = place(&bars, 0, 0);
    assert_eq!((p.module, p.canvas_width, p.canvas_height), (1, 154, 1));
    check_pixels(&bars, &p, &screen_rgba(&bars, &p));
}

#[test]
fn huge_canvas_is_capped() {
    let symbol = qr(DIGITS).expect("valid digits");
    let p = place(&symbol, u32::MAX, u32::MAX);
    assert_eq!((p.canvas_width, p.canvas_height), (MAX_SIDE, MAX_SIDE));
    assert_eq!(p.module, MAX_SIDE / 29);
    let p = place(&code128(DIGITS).expect("valid digits"), u32::MAX, u32::MAX);
    assert!(p.canvas_width <= MAX_SIDE && p.canvas_height <= MAX_SIDE);
}

#[test]
fn device_pixels_are_whole_and_forgive_float_error() {
    use paycode_wallet::core::raster::device_pixels;
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
    use paycode_wallet::core::raster::css_px;
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

const CODES: [&str; 4] = [
    "134512345678901268",
    "101",
    "1599999999999999999999",
    // Version 2: longer payloads raster the same way.
    "1345123456789012681345123456789012681",
];

#[test]
fn a_region_is_the_same_pixels_as_the_whole_backing_store_there() {
    for digits in CODES {
        for symbol in [qr(digits).unwrap(), code128(digits).unwrap()] {
            for (w, h) in [(200, 180), (320, 96), (960, 288), (696, 696), (13, 7)] {
                let raster = Raster::new(&symbol, w, h);
                let store = raster.store();
                let full = raster.pixels(&symbol, raster.whole());
                assert_eq!(full.region, store.canvas());
                let inner = raster.modules_region();
                let (sw, sh) = (store.canvas_width, store.canvas_height);
                let regions = [
                    raster.whole(),
                    inner,
                    Region {
                        x: 3,
                        y: 2,
                        width: 17,
                        height: 5,
                    },
                    Region {
                        x: sw - 1,
                        y: sh - 1,
                        width: 50,
                        height: 50,
                    },
                    Region {
                        x: sw + 5,
                        y: 0,
                        width: 4,
                        height: 4,
                    },
                ];
                for region in regions {
                    let part = raster.pixels(&symbol, region);
                    assert_eq!(part.region, region.clipped_to(&store));
                    assert_eq!(
                        part.rgba,
                        crop(&full.rgba, &store, region),
                        "{digits} {w}×{h} {region:?}"
                    );
                }
                // Outside the inner region everything is white: what a
                // repaint of the inner region alone leaves in place.
                for (i, px) in full.rgba.chunks_exact(4).enumerate() {
                    let (x, y) = (i as u32 % sw, i as u32 / sw);
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
fn the_modules_region_leaves_out_exactly_the_quiet_zone() {
    for digits in CODES {
        for symbol in [qr(digits).unwrap(), code128(digits).unwrap()] {
            let raster = Raster::new(&symbol, 960, 960);
            let store = raster.store();
            let inner = raster.modules_region();
            let quiet = symbol.quiet_zone() * store.module;
            assert_eq!(inner.x, store.x + quiet, "{digits}");
            assert_eq!(inner.width, store.width - 2 * quiet, "{digits}");
            match symbol.kind() {
                SymbolKind::Matrix => {
                    assert_eq!(
                        (inner.y, inner.height),
                        (store.y + quiet, store.height - 2 * quiet)
                    )
                }
                SymbolKind::Linear => assert_eq!((inner.y, inner.height), (0, 1), "{digits}"),
            }
        }
    }
}

#[test]
fn a_linear_symbols_backing_store_is_the_first_row_of_its_screen_pixels() {
    for digits in CODES {
        let symbol = code128(digits).unwrap();
        for (w, h) in [(320, 96), (960, 288), (13, 7), (0, 0)] {
            let raster = Raster::new(&symbol, w, h);
            let (p, store) = (raster.screen(), raster.store());
            assert_eq!(
                (store.canvas_width, store.canvas_height),
                (p.canvas_width, 1),
                "{digits} {w}×{h}: one row, as wide as the screen's"
            );
            assert_eq!(
                (store.x, store.width, store.module),
                (p.x, p.width, p.module)
            );
            let screen = screen_rgba(&symbol, &p);
            let row = raster.pixels(&symbol, raster.whole()).rgba;
            let stride = p.canvas_width as usize * 4;
            assert_eq!(row.len(), stride);
            // Every screen row is that row, so stretching it loses nothing.
            for (y, screen_row) in screen.chunks_exact(stride).enumerate() {
                assert!(screen_row == row, "{digits} {w}×{h}: row {y}");
            }
        }
    }
}

#[test]
fn a_matrix_symbols_backing_store_is_its_screen_pixels() {
    let symbol = qr(DIGITS).unwrap();
    let raster = Raster::new(&symbol, 696, 696);
    assert_eq!(raster.store(), raster.screen());
    let p = raster.screen();
    assert_eq!(
        raster.pixels(&symbol, raster.whole()).rgba,
        screen_rgba(&symbol, &p)
    );
}

#[test]
fn a_raster_fits_symbols_of_the_same_layout_only() {
    let raster = Raster::new(&qr(DIGITS).unwrap(), 696, 696);
    assert!(raster.fits(&qr("134512345678901269").unwrap()));
    assert!(raster.fits(&qr("1").unwrap()), "version 1 too");
    assert!(
        !raster.fits(&qr(&"1".repeat(40)).unwrap()),
        "version 2 is larger"
    );
    assert!(!raster.fits(&code128(DIGITS).unwrap()), "another kind");
    let bars = Raster::new(&code128(DIGITS).unwrap(), 960, 288);
    assert!(bars.fits(&code128("134512345678901269").unwrap()));
    assert!(
        !bars.fits(&code128("13451234567890126").unwrap()),
        "odd length is wider"
    );
}

/// `full` (a whole backing store of `p`) with `part` written over `region`.
fn overwrite(full: &mut [u8], p: &Placement, region: Region, part: &[u8]) {
    let stride = region.width as usize * 4;
    for (row, y) in part.chunks_exact(stride).zip(region.y..) {
        let at = (y * p.canvas_width + region.x) as usize * 4;
        full[at..at + stride].copy_from_slice(row);
    }
}

/// Codes of one layout each: consecutive refreshes of the benchmark's
/// card, the vector codes, and a pair that differs in one digit.
fn code_pairs() -> Vec<(String, String)> {
    let mut codes: Vec<String> = (0..12)
        .map(|i| (134_512_345_678_901_268u64 + i * 7_919_017).to_string())
        .collect();
    codes.push("134512345678901269".to_owned());
    codes
        .iter()
        .flat_map(|a| codes.iter().map(move |b| (a.clone(), b.clone())))
        .collect()
}

#[test]
fn repainting_the_changes_turns_the_old_symbol_into_the_new_one() {
    for (a, b) in code_pairs() {
        for encode in [qr, code128] {
            let (old, new) = (encode(&a).unwrap(), encode(&b).unwrap());
            for (w, h) in [
                (232, 232),
                (696, 696),
                (701, 650),
                (320, 96),
                (960, 288),
                (13, 7),
            ] {
                let raster = Raster::new(&old, w, h);
                let store = raster.store();
                let regions = raster.changes(&old, &new).expect("same layout");
                let mut canvas = raster.pixels(&old, raster.whole()).rgba;
                let inner = raster.modules_region();
                for &region in &regions {
                    assert_eq!(region.clipped_to(&store), region, "{a}→{b} {w}×{h}");
                    assert!(
                        region.x >= inner.x
                            && region.y >= inner.y
                            && region.x + region.width <= inner.x + inner.width
                            && region.y + region.height <= inner.y + inner.height,
                        "{a}→{b} {w}×{h}: {region:?} inside the quiet zone {inner:?}"
                    );
                    assert!(region.width > 0 && region.height > 0);
                    let part = raster.pixels(&new, region);
                    assert_eq!(part.region, region);
                    overwrite(&mut canvas, &store, region, &part.rgba);
                }
                assert!(
                    canvas == raster.pixels(&new, raster.whole()).rgba,
                    "{a}→{b} {w}×{h}: {regions:?}"
                );
                if a == b {
                    assert!(regions.is_empty(), "{a}: nothing changes");
                }
            }
        }
    }
}

#[test]
fn a_new_qr_repaints_about_half_of_its_modules_region() {
    // The finder, timing and separator modules never change between codes
    // of one version, so the bands leave them out where they are worth a
    // call of their own.
    let mut total = (0u64, 0u64);
    for (a, b) in code_pairs().into_iter().filter(|(a, b)| a != b) {
        let (old, new) = (qr(&a).unwrap(), qr(&b).unwrap());
        let raster = Raster::new(&old, 696, 696);
        let regions = raster.changes(&old, &new).unwrap();
        assert!(!regions.is_empty(), "{a}→{b}: a new code changes pixels");
        assert!(regions.len() <= 4, "{a}→{b}: {} calls", regions.len());
        let area = |r: &Region| u64::from(r.width) * u64::from(r.height);
        total.0 += regions.iter().map(area).sum::<u64>();
        total.1 += area(&raster.modules_region());
    }
    assert!(
        total.0 * 10 < total.1 * 7,
        "{} of {} pixels repainted",
        total.0,
        total.1
    );
}

#[test]
fn changes_need_both_symbols_in_the_rasters_layout() {
    let raster = Raster::new(&qr(DIGITS).unwrap(), 696, 696);
    let longer = qr(&"1".repeat(40)).unwrap();
    assert_eq!(raster.changes(&qr(DIGITS).unwrap(), &longer), None);
    assert_eq!(raster.changes(&longer, &qr(DIGITS).unwrap()), None);
    assert_eq!(
        raster.changes(&qr(DIGITS).unwrap(), &code128(DIGITS).unwrap()),
        None
    );
}
