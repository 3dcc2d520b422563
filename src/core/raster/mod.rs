//! Rasterising: a symbol and the device pixels available for it → where it
//! lands on screen, the canvas's backing-store size, and RGBA bytes for any
//! region of that backing store.
//!
//! Scanners read edges: a module that straddles two pixels is drawn grey by
//! the browser and can blur a narrow bar into a wide one. So the scale is an
//! integer, the offset is an integer, and the pixels are only pure black and
//! pure white. The browser layer measures the canvas, sets the sizes this
//! stage computes, and puts the bytes it gets.

mod changes;
mod css;
mod pixels;
mod place;

use changes::changed_regions;
pub use css::{css_px, device_pixels};
pub use pixels::rgba;
pub use place::{Placement, Region};

use crate::core::symbol::{Symbol, SymbolKind};

/// Largest canvas side produced, in device pixels. A 4096 × 4096 RGBA buffer
/// is 64 MiB; anything larger is a layout mistake, not a bigger symbol.
pub const MAX_SIDE: u32 = 4096;

/// A symbol placed on a canvas: what the canvas is sized to and which of
/// its backing-store pixels a symbol of the same layout paints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raster {
    screen: Placement,
    store: Placement,
    kind: SymbolKind,
    quiet_zone: u32,
    /// The bitmap size the placement was made for.
    modules: (u32, u32),
}

impl Raster {
    /// Places `symbol` in `avail_width` × `avail_height` device pixels.
    ///
    /// A matrix symbol's backing store is its device pixels on screen, one
    /// for one. A linear symbol's rows are all alike, so its backing store
    /// is one row, as wide as the screen's, which layout stretches to the
    /// canvas's height: a ninth of the pixels to fill and copy at DPR 3,
    /// and across still one backing-store pixel per device pixel.
    pub fn new(symbol: &Symbol, avail_width: u32, avail_height: u32) -> Raster {
        let screen = Placement::on_screen(symbol, avail_width, avail_height);
        let store = match symbol.kind() {
            SymbolKind::Matrix => screen,
            SymbolKind::Linear => Placement {
                canvas_height: 1,
                y: 0,
                height: 1,
                ..screen
            },
        };
        let bitmap = symbol.bitmap();
        Raster {
            screen,
            store,
            kind: symbol.kind(),
            quiet_zone: symbol.quiet_zone(),
            modules: (bitmap.width, bitmap.height),
        }
    }

    /// Where the symbol is in the canvas's device pixels on screen; the
    /// canvas's CSS size is `canvas_width` × `canvas_height` of them.
    pub fn screen(&self) -> Placement {
        self.screen
    }

    /// Where the symbol is in the backing store, whose size is
    /// `canvas_width` × `canvas_height`.
    pub fn store(&self) -> Placement {
        self.store
    }

    /// The whole backing store: what a first draw puts.
    pub fn whole(&self) -> Region {
        self.store.canvas()
    }

    /// The symbol less its quiet zone, in the backing store: every pixel
    /// that another symbol this raster [`fits`](Self::fits) can change. The
    /// quiet zone and the margins stay white from the draw that sized the
    /// canvas.
    pub fn modules_region(&self) -> Region {
        let s = &self.store;
        let quiet = self.quiet_zone.saturating_mul(s.module);
        let dx = quiet.min(s.width / 2);
        let dy = match self.kind {
            SymbolKind::Linear => 0,
            SymbolKind::Matrix => quiet.min(s.height / 2),
        };
        Region {
            x: s.x + dx,
            y: s.y + dy,
            width: s.width - 2 * dx,
            height: s.height - 2 * dy,
        }
    }

    /// Whether `symbol` has the layout this raster was made for (kind,
    /// quiet zone, modules across and down): then it lands on exactly the
    /// same pixels, and only [`Self::modules_region`] needs repainting.
    pub fn fits(&self, symbol: &Symbol) -> bool {
        let bitmap = symbol.bitmap();
        symbol.kind() == self.kind
            && symbol.quiet_zone() == self.quiet_zone
            && (bitmap.width, bitmap.height) == self.modules
    }

    /// The rectangles of the backing store to repaint when a canvas that
    /// shows `old` is to show `new`: together they cover every pixel where
    /// the two differ (none if they are alike), and only rows of modules
    /// that differ. `None` if either symbol does not [`fit`](Self::fits).
    pub fn changes(&self, old: &Symbol, new: &Symbol) -> Option<Vec<Region>> {
        (self.fits(old) && self.fits(new))
            .then(|| changed_regions(&self.store, self.kind, old.bitmap(), new.bitmap()))
    }

    /// The backing-store pixels of `symbol` in `region` of the backing
    /// store, clipped to it.
    pub fn pixels(&self, symbol: &Symbol, region: Region) -> Pixels {
        let region = region.clipped_to(&self.store);
        Pixels {
            region,
            rgba: rgba(symbol, &self.store, region),
        }
    }
}

/// RGBA bytes for a region of a backing store, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    pub region: Region,
    pub rgba: Vec<u8>,
}
