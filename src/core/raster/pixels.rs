//! RGBA bytes: white everywhere, black for dark modules.

use crate::core::symbol::{Symbol, SymbolKind};

use super::{Placement, Region};

/// RGBA bytes of `symbol` placed by `placement`, inside `region` only
/// (clipped to the canvas), row by row. A linear symbol's one row of
/// modules is stretched to the placement's height; a matrix symbol's rows
/// are `placement.module` pixels tall.
pub fn rgba(symbol: &Symbol, placement: &Placement, region: Region) -> Vec<u8> {
    let Region {
        x: left,
        y: top,
        width,
        height,
    } = region.clipped_to(placement);
    let bitmap = symbol.bitmap();
    let stride = width as usize * 4;
    let mut pixels = vec![0xff; stride * height as usize];
    let (rows, row_height) = match symbol.kind() {
        SymbolKind::Linear => (1, placement.height),
        SymbolKind::Matrix => (bitmap.height, placement.module),
    };
    for my in 0..rows {
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
