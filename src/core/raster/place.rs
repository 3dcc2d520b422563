//! Where a symbol sits in a canvas: a whole number of device pixels per
//! module, centred.

use crate::core::symbol::{Symbol, SymbolKind};

use super::MAX_SIDE;

/// ISO/IEC 15417 §5.4.2 (via ISO/IEC 15416): bars at least 15 % of the symbol width.
const MIN_BAR_HEIGHT_PERCENT: u32 = 15;

/// How a symbol sits in a canvas (or its backing store), in its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The canvas's size.
    pub canvas_width: u32,
    pub canvas_height: u32,
    /// Pixels per module (both directions for a matrix, across for a
    /// linear symbol, whose bars are `height` tall).
    pub module: u32,
    /// Top-left corner of the symbol (quiet zones included) in the canvas.
    pub x: u32,
    pub y: u32,
    /// Size of the symbol, quiet zones included.
    pub width: u32,
    pub height: u32,
}

/// A rectangle of a canvas, in its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Placement {
    /// `symbol` in `avail_width` × `avail_height` device pixels of the
    /// screen, each side capped at [`MAX_SIDE`]. If even one pixel per
    /// module does not fit, the canvas grows to the symbol rather than
    /// shrink it below readability.
    pub fn on_screen(symbol: &Symbol, avail_width: u32, avail_height: u32) -> Placement {
        let (aw, ah) = (avail_width.min(MAX_SIDE), avail_height.min(MAX_SIDE));
        let bitmap = symbol.bitmap();
        let modules_across = bitmap.width.max(1);
        match symbol.kind() {
            // Square modules, as large as fit.
            SymbolKind::Matrix => {
                let rows = bitmap.height.max(1);
                let module = (aw / modules_across).min(ah / rows).max(1);
                centre(aw, ah, module, modules_across * module, rows * module)
            }
            // Bars fill the height; modules as wide as fit, narrowed if
            // needed so the height stays at least 15 % of the symbol width.
            // When even one-pixel modules break that rule, the height is
            // used as is.
            SymbolKind::Linear => {
                let widest = aw / modules_across;
                // Largest m with 15 % of (modules × m) ≤ ah.
                let tallest_allowed = (ah * 100) / (MIN_BAR_HEIGHT_PERCENT * modules_across);
                let module = widest.min(tallest_allowed).max(1);
                centre(aw, ah.max(1), module, modules_across * module, ah.max(1))
            }
        }
    }

    /// The whole canvas.
    pub fn canvas(&self) -> Region {
        Region {
            x: 0,
            y: 0,
            width: self.canvas_width,
            height: self.canvas_height,
        }
    }
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
