//! Which backing-store pixels a new symbol changes on a canvas that shows
//! an old one of the same layout.
//!
//! Two QR codes of one version share their finder, timing and alignment
//! patterns, two fifths of a version 1 symbol: repainting only the module
//! rows' changed spans puts about half the pixels of the whole symbol. Each
//! rectangle costs one `putImageData`, whose fixed cost is worth many
//! pixels, so the rows are grouped into bands that minimise pixels plus
//! calls.

use crate::core::symbol::{Bitmap, SymbolKind};

use super::{Placement, Region};

/// One `putImageData`'s fixed cost, counted in pixels: in Chromium a call
/// costs about as much as putting 10,000 more pixels (docs/BENCHMARKS.md,
/// refresh). Only the grouping of rows into bands depends on it, never
/// which pixels are covered.
const PUT_COST_PIXELS: u64 = 10_000;

/// The columns `[start, end)` where a module row of `old` and `new`
/// differs, `None` where it does not.
fn changed_span(old: &[bool], new: &[bool]) -> Option<(u32, u32)> {
    let differs = |(&a, &b): (&bool, &bool)| a != b;
    let start = old.iter().zip(new).position(differs)?;
    let end = old.len() - old.iter().zip(new).rev().position(differs).unwrap_or(0);
    Some((start as u32, end as u32))
}

/// Rectangles of the backing store placed by `store` that together cover
/// every pixel where `new` differs from `old`, and no pixel outside the
/// module rows that differ. Both bitmaps must have one size (the caller
/// checks that the symbols fit the raster); an empty list means the same
/// pixels.
pub fn changed_regions(
    store: &Placement,
    kind: SymbolKind,
    old: &Bitmap,
    new: &Bitmap,
) -> Vec<Region> {
    let (rows, row_height) = match kind {
        SymbolKind::Linear => (1, store.height),
        SymbolKind::Matrix => (old.height, store.module),
    };
    let spans: Vec<Option<(u32, u32)>> = (0..rows)
        .map(|y| changed_span(old.row(y), new.row(y)))
        .collect();
    let band_pixels = |(start, stop): (u32, u32), rows: usize| {
        u64::from((stop - start) * store.module) * u64::from(row_height) * rows as u64
    };
    // best[end]: the least pixels + calls that cover the changes in rows
    // ..end, and where the last band of that cover starts. Rows without
    // changes may sit in no band at all (a band of them alone costs
    // nothing). Written without indexing, which would bring panics and
    // their messages into the bundle.
    let mut best: Vec<(u64, usize)> = Vec::with_capacity(spans.len() + 1);
    best.push((0, 0));
    for end in 1..=spans.len() {
        let mut columns = None;
        let mut choice = (u64::MAX, 0);
        for (first, (&span, &(before, _))) in spans.iter().zip(&best).enumerate().rev() {
            columns = union(columns, span);
            let band = columns.map_or(0, |c| band_pixels(c, end - first) + PUT_COST_PIXELS);
            let total = before.saturating_add(band);
            if total < choice.0 {
                choice = (total, first);
            }
        }
        best.push(choice);
    }
    let mut regions = Vec::new();
    let mut end = spans.len();
    while let Some(&(_, first)) = best.get(end).filter(|_| end > 0) {
        let columns = spans
            .iter()
            .take(end)
            .skip(first)
            .fold(None, |acc, &span| union(acc, span));
        if let Some((start, stop)) = columns {
            regions.push(Region {
                x: store.x + start * store.module,
                y: store.y + first as u32 * row_height,
                width: (stop - start) * store.module,
                height: (end - first) as u32 * row_height,
            });
        }
        end = first;
    }
    regions.reverse();
    regions
}

/// The columns two spans cover together, gaps included.
fn union(a: Option<(u32, u32)>, b: Option<(u32, u32)>) -> Option<(u32, u32)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (one, None) | (None, one) => one,
    }
}
