/// A symbol as a grid of modules, quiet zones included.
///
/// Row-major; `true` is a dark module. A linear symbol (Code 128) is one row
/// high: the renderer stretches it to the bar height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    pub width: u32,
    pub height: u32,
    modules: Vec<bool>,
}

impl Bitmap {
    /// An all-light bitmap; `None` if the size overflows.
    pub(super) fn light(width: u32, height: u32) -> Option<Self> {
        let len = (width as usize).checked_mul(height as usize)?;
        Some(Self {
            width,
            height,
            modules: vec![false; len],
        })
    }

    pub(super) fn set_dark(&mut self, x: u32, y: u32) {
        if let Some(cell) = self.index(x, y).and_then(|i| self.modules.get_mut(i)) {
            *cell = true;
        }
    }

    fn index(&self, x: u32, y: u32) -> Option<usize> {
        (x < self.width && y < self.height).then(|| y as usize * self.width as usize + x as usize)
    }

    /// Whether the module at column `x`, row `y` is dark. Outside the bitmap
    /// is light, like the quiet zone around it.
    pub fn get(&self, x: u32, y: u32) -> bool {
        self.index(x, y)
            .and_then(|i| self.modules.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Row `y` as a slice (empty outside the bitmap): renderers scan rows.
    pub fn row(&self, y: u32) -> &[bool] {
        if y >= self.height {
            return &[];
        }
        let start = y as usize * self.width as usize;
        self.modules
            .get(start..start + self.width as usize)
            .unwrap_or(&[])
    }
}
