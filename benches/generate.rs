//! Code generation: what the wallet does every step and on every swipe.
//! (Native numbers; wasm is typically 1.5-3× slower.)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, Criterion};
    use paycode_wallet::core::link::Card;
    use paycode_wallet::core::rotation::Rotation;
    use std::hint::black_box;

    const LINK: &str = "paycode://provision?v=1&issuer=Demo%20Bank&prefix=13&length=18\
        &token=482913&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&period=60\
        &time=1764100000&funding=balance&funding=debit%3AICBC%3A1234";
    const NOW_MS: f64 = 1_764_100_000_000.0;

    fn generate(c: &mut Criterion) {
        let card = Card::from_link(LINK).expect("valid link");
        c.bench_function("Card::from_link", |b| {
            b.iter(|| Card::from_link(black_box(LINK)))
        });
        c.bench_function("Card::code_at", |b| {
            b.iter(|| card.code_at(black_box(1_764_100_000), black_box(3), 1))
        });
        c.bench_function("Rotation::refresh (swipe)", |b| {
            let mut rotation = Rotation::new(card.clone(), 0.0, 0, NOW_MS).expect("starts");
            let mut t = NOW_MS;
            b.iter(|| {
                // A new step every 16 swipes keeps the counter in range.
                t += 60_000.0 / 16.0;
                rotation.refresh(black_box(t))
            })
        });
        c.bench_function("PaymentCode::masked", |b| {
            let code = card.code_at(1_764_100_000, 0, 0).expect("code");
            b.iter(|| black_box(&code).masked())
        });
    }

    criterion_group!(benches, generate);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
