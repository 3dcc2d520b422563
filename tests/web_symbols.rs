//! In a real browser: symbols drawn on canvases at DPR 1, 2 and 3 are pure
//! black and white at whole device pixels, and foreign decoders (rqrr for
//! QR, rxing for Code 128) read the exact digits back from the pixels.
#![cfg(target_arch = "wasm32")]

use paycode_wallet::core::raster::{self, css_px, Placement, Raster};
use paycode_wallet::core::symbol::{code128, qr, Symbol, SymbolKind};
use paycode_wallet::web::canvas::{draw, repaint, repaint_regions};
use rxing::BarcodeFormat;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Codes computed by an independent implementation (tests/vectors).
fn vector_codes() -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("vectors/codes.json")).expect("codes.json");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| case["code"].as_str().expect("code").to_owned())
        .collect()
}

fn canvas(css: &str) -> HtmlCanvasElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .unwrap()
        .dyn_into()
        .unwrap();
    canvas.set_attribute("style", css).unwrap();
    document.body().unwrap().append_child(&canvas).unwrap();
    canvas
}

/// The canvas's device pixels on screen, as luma, from its backing store
/// read back and checked to be only opaque black or white. A barcode's
/// backing store is one row, as wide as the screen's device pixels, which
/// the compositor stretches to the CSS height: that row is row 0 of the
/// device-pixel raster, and is repeated here for every row of the screen.
fn read_back(canvas: &HtmlCanvasElement, symbol: &Symbol, raster: &Raster) -> Vec<u8> {
    let (p, kind) = (&raster.screen(), symbol.kind());
    let rows = match kind {
        SymbolKind::Matrix => p.canvas_height,
        SymbolKind::Linear => 1,
    };
    assert_eq!(
        canvas.width(),
        p.canvas_width,
        "one canvas pixel per device pixel across"
    );
    assert_eq!(canvas.height(), rows, "{kind:?}: backing-store rows");
    assert_eq!(
        (canvas.width(), canvas.height()),
        (raster.store().canvas_width, raster.store().canvas_height),
        "the backing store core computed"
    );
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let data = context
        .get_image_data(0.0, 0.0, p.canvas_width.into(), rows.into())
        .unwrap()
        .data()
        .0;
    let mut luma = Vec::with_capacity(data.len() / 4);
    for (i, px) in data.chunks_exact(4).enumerate() {
        assert!(
            px == [0, 0, 0, 255] || px == [255, 255, 255, 255],
            "pixel {i} of {}×{rows} is {px:?}",
            p.canvas_width,
        );
        luma.push(px[0]);
    }
    if kind == SymbolKind::Linear {
        let stride = p.canvas_width as usize * 4;
        assert!(
            data[..] == raster::rgba(symbol, p, p.canvas())[..stride],
            "the one row is row 0 of the device-pixel raster"
        );
        luma = luma.repeat(p.canvas_height as usize);
    }
    luma
}

/// Every module is a solid square (or bar) of `module` device pixels.
fn assert_modules(symbol: &Symbol, p: &Placement, luma: &[u8]) {
    let bitmap = symbol.bitmap();
    let w = p.canvas_width as usize;
    for y in 0..p.canvas_height {
        for x in 0..p.canvas_width {
            let inside = x >= p.x && x < p.x + p.width && y >= p.y && y < p.y + p.height;
            let dark = inside && {
                let my = match symbol.kind() {
                    SymbolKind::Linear => 0,
                    SymbolKind::Matrix => (y - p.y) / p.module,
                };
                bitmap.get((x - p.x) / p.module, my)
            };
            let px = luma[y as usize * w + x as usize];
            assert_eq!(px == 0, dark, "device pixel ({x}, {y})");
        }
    }
}

/// The device pixels of a full draw of `symbol` at `p`, as luma: the
/// independent raster a read-back canvas must equal.
fn drawn_luma(symbol: &Symbol, p: &Placement) -> Vec<u8> {
    raster::rgba(symbol, p, p.canvas())
        .into_iter()
        .step_by(4)
        .collect()
}

/// `got` equals `want` pixel for pixel; if not, says how many device pixels
/// differ, the rectangle they lie in and the first few, so that a failure
/// shows what went wrong and where.
fn assert_same_luma(what: &str, got: &[u8], want: &[u8], p: &Placement) {
    assert_eq!(got.len(), want.len(), "{what}: pixel count");
    let w = p.canvas_width as usize;
    let differing: Vec<(usize, usize, u8)> = got
        .iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| g != w)
        .map(|(i, (&g, _))| (i % w, i / w, g))
        .collect();
    if differing.is_empty() {
        return;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for &(x, y, _) in &differing {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let first: Vec<String> = differing
        .iter()
        .take(8)
        .map(|(x, y, g)| format!("({x}, {y}) is {g}"))
        .collect();
    panic!(
        "{what}: {} of {} device pixels differ, in x {x0}..={x1}, y {y0}..={y1} \
         (symbol at x {}, y {}, {}×{}, module {}); first: {}",
        differing.len(),
        got.len(),
        p.x,
        p.y,
        p.width,
        p.height,
        p.module,
        first.join(", ")
    );
}

/// The canvas takes exactly the placement's device pixels on screen,
/// whatever its backing store.
fn check_css_size(canvas: &HtmlCanvasElement, p: &Placement, dpr: f64) {
    let style = canvas.style();
    assert_eq!(
        style.get_property_value("width").unwrap(),
        css_px(p.canvas_width, dpr)
    );
    assert_eq!(
        style.get_property_value("height").unwrap(),
        css_px(p.canvas_height, dpr)
    );
    let rect = canvas.get_bounding_client_rect();
    for (laid_out, device) in [
        (rect.width(), p.canvas_width),
        (rect.height(), p.canvas_height),
    ] {
        let expected = f64::from(device) / dpr;
        assert!(
            (laid_out - expected).abs() < 0.02,
            "laid out {laid_out} CSS px, expected {expected}"
        );
    }
}

fn decode_qr(luma: &[u8], p: &Placement) -> String {
    let w = p.canvas_width as usize;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(w, p.canvas_height as usize, |x, y| {
            luma[y * w + x]
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR symbol");
    grids[0].decode().expect("rqrr decodes").1
}

fn decode_code128(luma: Vec<u8>, p: &Placement) -> String {
    let result = rxing::helpers::detect_in_luma(
        luma,
        p.canvas_width,
        p.canvas_height,
        Some(BarcodeFormat::CODE_128),
    )
    .expect("rxing decodes");
    assert_eq!(*result.getBarcodeFormat(), BarcodeFormat::CODE_128);
    result.getText().to_owned()
}

/// Lets the browser breathe between decodes: a test that holds the main
/// thread for long makes WebDriver time out.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve: js_sys::Function, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn qr_at_dpr_1_2_3_decodes_to_the_exact_code() {
    let canvas = canvas("width: 180px; height: 180px");
    // And longer digit strings, which take QR versions 2 and 3.
    let longer = ["1345123456789012681345123456789012681345", &"9".repeat(64)].map(String::from);
    for code in vector_codes().into_iter().chain(longer) {
        let symbol = qr(&code).unwrap();
        for dpr in [1.0, 2.0, 3.0] {
            let raster = draw(&canvas, &symbol, dpr).unwrap();
            let p = raster.screen();
            assert_eq!(
                p.canvas_width,
                180 * dpr as u32,
                "whole canvas at DPR {dpr}"
            );
            assert_eq!(p.module, p.canvas_width / symbol.bitmap().width);
            check_css_size(&canvas, &p, dpr);
            let luma = read_back(&canvas, &symbol, &raster);
            assert_modules(&symbol, &p, &luma);
            assert_eq!(decode_qr(&luma, &p), code, "QR at DPR {dpr}");
            yield_to_browser().await;
        }
    }
    canvas.remove();
}

#[wasm_bindgen_test]
async fn code128_at_dpr_1_2_3_decodes_to_the_exact_code() {
    let canvas = canvas("width: 330px; height: 80px");
    for code in vector_codes() {
        let symbol = code128(&code).unwrap();
        for dpr in [1.0, 2.0, 3.0] {
            let raster = draw(&canvas, &symbol, dpr).unwrap();
            let p = raster.screen();
            assert_eq!(p.canvas_height, 80 * dpr as u32);
            assert_eq!(p.height, p.canvas_height, "bars fill the height");
            assert!(p.module >= 1);
            assert!(p.height * 100 >= 15 * p.width, "bars ≥ 15 % of the width");
            check_css_size(&canvas, &p, dpr);
            let luma = read_back(&canvas, &symbol, &raster);
            assert_modules(&symbol, &p, &luma);
            assert_eq!(decode_code128(luma, &p), code, "Code 128 at DPR {dpr}");
            yield_to_browser().await;
        }
    }
    canvas.remove();
}

#[wasm_bindgen_test]
fn redrawing_does_not_feed_our_size_back_into_the_measurement() {
    // Sized by CSS, by percentage of a parent, and not at all (300 × 150).
    let document = web_sys::window().unwrap().document().unwrap();
    let parent = document.create_element("div").unwrap();
    parent.set_attribute("style", "width: 333.5px").unwrap();
    document.body().unwrap().append_child(&parent).unwrap();
    for css in [
        "width: 250px; height: 70px",
        "width: 100%; height: 60px",
        "",
    ] {
        let canvas = canvas(css);
        if css.contains('%') {
            parent.append_child(&canvas).unwrap();
        }
        let symbol = code128("134605419269801054").unwrap();
        for dpr in [3.0, 2.0, 1.0, 3.0] {
            let first = draw(&canvas, &symbol, dpr).unwrap();
            for _ in 0..3 {
                assert_eq!(draw(&canvas, &symbol, dpr).unwrap(), first, "{css}");
            }
            let first = first.screen();
            let rect = canvas.get_bounding_client_rect();
            let expected_width = f64::from(first.canvas_width) / dpr;
            assert!(
                (rect.width() - expected_width).abs() < 0.02,
                "{css}: {}",
                rect.width()
            );
            // One backing-store row, stretched by layout to the full height.
            assert_eq!((canvas.width(), canvas.height()), (first.canvas_width, 1));
            let expected_height = f64::from(first.canvas_height) / dpr;
            assert!(
                (rect.height() - expected_height).abs() < 0.02,
                "{css}: {}",
                rect.height()
            );
        }
        // The host's own inline size is back in charge after each measure.
        let p = draw(&canvas, &symbol, 1.0).unwrap().screen();
        match css {
            "width: 250px; height: 70px" => {
                assert_eq!((p.canvas_width, p.canvas_height), (250, 70))
            }
            "" => assert_eq!((p.canvas_width, p.canvas_height), (300, 150)),
            _ => assert_eq!(p.canvas_width, 333),
        }
        canvas.remove();
    }
    parent.remove();
}

#[wasm_bindgen_test]
fn a_hidden_canvas_still_gets_a_readable_symbol() {
    let canvas = canvas("display: none");
    let symbol = qr("134605419269801054").unwrap();
    let raster = draw(&canvas, &symbol, 2.0).unwrap();
    let p = raster.screen();
    assert_eq!((p.module, p.canvas_width), (1, symbol.bitmap().width));
    let luma = read_back(&canvas, &symbol, &raster);
    assert_modules(&symbol, &p, &luma);
    canvas.remove();
}

/// A new code in an unchanged canvas repaints only the symbol inside its
/// quiet zone (what the view does on every refresh): the canvas must end
/// up exactly as a full draw of the new code, and read as the new code.
#[wasm_bindgen_test]
async fn repainting_the_modules_region_gives_the_full_drawing() {
    let codes = vector_codes();
    let (a, b) = (&codes[0], &codes[1]);
    assert_ne!(a, b, "test premise: two different codes");
    for (shape, css) in [
        (SymbolKind::Matrix, "width: 232px; height: 232px"),
        (SymbolKind::Linear, "width: 320px; height: 96px"),
    ] {
        let encode = |digits: &str| match shape {
            SymbolKind::Matrix => qr(digits).unwrap(),
            SymbolKind::Linear => code128(digits).unwrap(),
        };
        let canvas = canvas(css);
        for dpr in [1.0, 3.0] {
            let symbol = encode(b);
            let full_b = draw(&canvas, &symbol, dpr).unwrap();
            let expected = drawn_luma(&symbol, &full_b.screen());
            let drawn = read_back(&canvas, &symbol, &full_b);
            assert_same_luma(
                &format!("{shape:?} at DPR {dpr}: full draw"),
                &drawn,
                &expected,
                &full_b.screen(),
            );
            let raster = draw(&canvas, &encode(a), dpr).unwrap();
            assert_eq!(raster, full_b, "same placement for both codes");
            let p = raster.screen();
            let region = raster.modules_region();
            assert!(
                region.width < p.canvas_width,
                "the region leaves the quiet zone out"
            );
            repaint(&canvas, &symbol, &raster, region).unwrap();
            check_css_size(&canvas, &p, dpr);
            let luma = read_back(&canvas, &symbol, &raster);
            assert_same_luma(
                &format!("{shape:?} at DPR {dpr}: repaint"),
                &luma,
                &expected,
                &p,
            );
            let decoded = match shape {
                SymbolKind::Matrix => decode_qr(&luma, &p),
                SymbolKind::Linear => decode_code128(luma, &p),
            };
            assert_eq!(&decoded, b, "{shape:?} at DPR {dpr}");
            yield_to_browser().await;
        }
        canvas.remove();
    }
}

/// What the view does on every refresh now: a new code repaints only the
/// bands where its modules differ from the code on the canvas. The canvas
/// must end up exactly as a full draw of the new code, and read as it.
#[wasm_bindgen_test]
async fn repainting_only_the_changes_gives_the_full_drawing() {
    let codes = vector_codes();
    for (shape, css) in [
        (SymbolKind::Matrix, "width: 232px; height: 232px"),
        (SymbolKind::Matrix, "width: 233px; height: 241px"),
        (SymbolKind::Linear, "width: 320px; height: 96px"),
    ] {
        let encode = |digits: &str| match shape {
            SymbolKind::Matrix => qr(digits).unwrap(),
            SymbolKind::Linear => code128(digits).unwrap(),
        };
        let canvas = canvas(css);
        for dpr in [1.0, 2.0, 3.0] {
            for pair in codes.windows(2).take(3) {
                let (old, new) = (encode(&pair[0]), encode(&pair[1]));
                let full_new = draw(&canvas, &new, dpr).unwrap();
                let expected = drawn_luma(&new, &full_new.screen());
                let raster = draw(&canvas, &old, dpr).unwrap();
                assert_eq!(raster, full_new, "same placement for both codes");
                let regions = raster.changes(&old, &new).unwrap();
                assert!(!regions.is_empty(), "{shape:?}: a new code changes pixels");
                repaint_regions(&canvas, &new, &raster, &regions).unwrap();
                let p = raster.screen();
                check_css_size(&canvas, &p, dpr);
                let luma = read_back(&canvas, &new, &raster);
                assert_same_luma(
                    &format!("{shape:?} {css} at DPR {dpr}: {} regions", regions.len()),
                    &luma,
                    &expected,
                    &p,
                );
                let decoded = match shape {
                    SymbolKind::Matrix => decode_qr(&luma, &p),
                    SymbolKind::Linear => decode_code128(luma, &p),
                };
                assert_eq!(decoded, pair[1], "{shape:?} at DPR {dpr}");
                yield_to_browser().await;
            }
        }
        canvas.remove();
    }
}
