//! Symbol encoding and rasterising: what every rotation costs before the
//! single putImageData.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, Criterion};
    use paycode_wallet::core::raster::{rgba, Raster};
    use paycode_wallet::core::symbol::{code128, qr};
    use std::hint::black_box;

    const CODE: &str = "134605419269801054";
    const LONGEST: &str = "159999999983157677567351";

    fn symbols(c: &mut Criterion) {
        c.bench_function("code128 (18 digits)", |b| {
            b.iter(|| code128(black_box(CODE)))
        });
        c.bench_function("code128 (24 digits)", |b| {
            b.iter(|| code128(black_box(LONGEST)))
        });
        c.bench_function("qr (18 digits)", |b| b.iter(|| qr(black_box(CODE))));
        c.bench_function("qr (24 digits)", |b| b.iter(|| qr(black_box(LONGEST))));
        // The same symbol made wholly by qrcode, its own mask choice
        // included: what src/core/symbol/qr_mask.rs saves.
        c.bench_function("qrcode's QrCode (18 digits)", |b| {
            b.iter(|| {
                qrcode::QrCode::with_error_correction_level(black_box(CODE), qrcode::EcLevel::M)
            })
        });

        // A 320 × 90 CSS px barcode and a 232 px QR at DPR 3.
        let bars = code128(CODE).expect("valid digits");
        let square = qr(CODE).expect("valid digits");
        let bar_raster = Raster::new(&bars, 960, 270);
        let qr_raster = Raster::new(&square, 696, 696);
        // Every device pixel on screen, as the names have always measured.
        let (bar_place, qr_place) = (bar_raster.screen(), qr_raster.screen());
        c.bench_function("rgba Code 128 960×270", |b| {
            b.iter(|| rgba(black_box(&bars), &bar_place, bar_place.canvas()))
        });
        c.bench_function("rgba QR 696×696", |b| {
            b.iter(|| rgba(black_box(&square), &qr_place, qr_place.canvas()))
        });
        c.bench_function("both symbols, encode + rgba at DPR 3", |b| {
            b.iter(|| {
                let bars = code128(black_box(CODE)).expect("valid digits");
                let square = qr(black_box(CODE)).expect("valid digits");
                (
                    rgba(&bars, &bar_place, bar_place.canvas()),
                    rgba(&square, &qr_place, qr_place.canvas()),
                )
            })
        });
        // What the canvases are given: the whole backing store on a first
        // draw (one row for the barcode), the modules region on a new code.
        c.bench_function("backing store, Code 128 960×1", |b| {
            b.iter(|| bar_raster.pixels(black_box(&bars), bar_raster.whole()))
        });
        c.bench_function("modules region, QR 696×696", |b| {
            b.iter(|| qr_raster.pixels(black_box(&square), qr_raster.modules_region()))
        });
    }

    criterion_group!(benches, symbols);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
