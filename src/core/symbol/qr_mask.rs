//! The mask `qrcode` chooses, chosen without its allocations.
//!
//! ISO/IEC 18004 §7.8.3: of the eight data masks, a symbol takes the one
//! whose masked symbol has the lowest penalty (long runs, 2×2 blocks,
//! finder-like patterns, dark/light balance). `qrcode`'s
//! `Canvas::apply_best_mask` scores the masks through a boxed closure per
//! window of its finder scan, about 5,000 heap allocations per symbol and
//! two fifths of a wallet refresh in the browser (docs/BENCHMARKS.md). Its
//! scoring functions are private, so this module computes the same scores,
//! by the rules and the integer arithmetic of qrcode 0.14's
//! `compute_total_penalty_scores`, over the rows and columns as bit sets.
//! `qrcode` still masks and draws the format information
//! (`Canvas::apply_mask`); this module only says which mask. tests/symbol_qr.rs checks, over
//! thousands of payloads, that every symbol equals the one
//! `QrCode::with_error_correction_level` makes.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::types::Color;

/// qrcode's order: on a tie, the first mask with the lowest penalty wins.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Each mask applied to a copy of `canvas` (functional patterns and data
/// drawn, unmasked), and the copy with the lowest penalty returned.
/// `width` is the symbol's side in modules. `None` for a symbol wider than
/// [`MAX_SIDE`]: version 12 and up, which no payment code needs (at most
/// [`super::MAX_DIGITS`] digits take version 3) and which a 170 CSS px
/// code on a phone could not show at even 3 CSS px per module.
pub(super) fn apply_best_mask(canvas: &Canvas, width: i16) -> Option<Canvas> {
    let side = usize::try_from(width)
        .ok()
        .filter(|side| (1..=MAX_SIDE).contains(side))?;
    let mut best: Option<(u16, Canvas)> = None;
    for pattern in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(pattern);
        let score = Grid::of(&masked, side).penalty().total();
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, masked));
        }
    }
    best.map(|(_, masked)| masked)
}

/// The widest symbol whose rows fit in a `u64` (version 11 is 61 wide).
const MAX_SIDE: usize = 63;

/// A masked symbol's modules as bit sets: `rows[y]` has bit `x` set where
/// the module at column `x`, row `y` is dark, and `columns[x]` bit `y`.
/// Each rule then looks at a whole line at once.
struct Grid {
    side: usize,
    rows: [u64; MAX_SIDE],
    columns: [u64; MAX_SIDE],
}

/// The penalty parts, named as in ISO/IEC 18004 table 11 (N1 to N4).
#[derive(Debug, PartialEq, Eq)]
struct Penalty {
    adjacent_rows: u16,
    adjacent_columns: u16,
    blocks: u16,
    finder_rows: u16,
    finder_columns: u16,
    balance: u16,
}

impl Penalty {
    /// The sum, wrapping as qrcode's `u16` sum does in a release build (no
    /// symbol of the sizes used comes near it).
    fn total(&self) -> u16 {
        [
            self.adjacent_columns,
            self.blocks,
            self.finder_rows,
            self.finder_columns,
            self.balance,
        ]
        .into_iter()
        .fold(self.adjacent_rows, u16::wrapping_add)
    }
}

/// Bits `from..to` set (both at most 64).
fn span(from: usize, to: usize) -> u64 {
    let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    below(to) & !below(from)
}

impl Grid {
    /// `side` is in 1..=MAX_SIDE.
    fn of(canvas: &Canvas, side: usize) -> Self {
        let mut grid = Self {
            side,
            rows: [0; MAX_SIDE],
            columns: [0; MAX_SIDE],
        };
        // `side` ≤ MAX_SIDE, so the coordinates fit an i16.
        for y in 0..side {
            for x in 0..side {
                if Color::from(canvas.get(x as i16, y as i16)) == Color::Dark {
                    grid.rows[y] |= 1 << x;
                    grid.columns[x] |= 1 << y;
                }
            }
        }
        grid
    }

    fn lines(&self) -> (&[u64], &[u64]) {
        (&self.rows[..self.side], &self.columns[..self.side])
    }

    fn penalty(&self) -> Penalty {
        let (rows, columns) = self.lines();
        let sum = |lines: &[u64], rule: &dyn Fn(u64) -> u16| {
            lines.iter().map(|&l| rule(l)).fold(0, u16::wrapping_add)
        };
        let runs = |l| self.runs(l);
        let finders = |l| self.finders(l);
        Penalty {
            adjacent_rows: sum(rows, &runs),
            adjacent_columns: sum(columns, &runs),
            blocks: self.blocks(),
            finder_rows: sum(rows, &finders).wrapping_sub(REAL_FINDERS),
            finder_columns: sum(columns, &finders).wrapping_sub(REAL_FINDERS),
            balance: self.balance(),
        }
    }

    /// N1: each run of 5 + k modules of one colour in a line scores 3 + k.
    fn runs(&self, line: u64) -> u16 {
        let mut score = 0u16;
        let mut at = 0;
        while at < self.side {
            let rest = line >> at;
            // The run is as long as the bits that equal the first one; the
            // light bits past the line's end are cut off by `side`.
            let same = if rest & 1 == 1 { !rest } else { rest };
            let run = (same.trailing_zeros() as usize).min(self.side - at);
            if run >= 5 {
                score = score.wrapping_add(run as u16 - 2);
            }
            at += run;
        }
        score
    }

    /// N2: each 2×2 block of one colour, overlaps counted, scores 3.
    fn blocks(&self) -> u16 {
        let (rows, _) = self.lines();
        let left_columns = span(0, self.side - 1);
        let blocks: u32 = rows
            .windows(2)
            .map(|pair| {
                let (a, b) = (pair[0], pair[1]);
                let same = !(a ^ b) & !(a ^ (a >> 1)) & !(b ^ (b >> 1));
                (same & left_columns).count_ones()
            })
            .sum();
        (blocks as u16).wrapping_mul(3)
    }

    /// N3 for one line: 40 for each finder-like run of 7 (dark, light,
    /// three dark, light, dark) whose four modules before or whose four
    /// after (those inside the symbol) are all light.
    fn finders(&self, line: u64) -> u16 {
        let starts = span(0, self.side.saturating_sub(6));
        let mut at = FINDER_LINE
            .iter()
            .enumerate()
            .fold(starts, |at, (k, &dark)| {
                at & if dark { line >> k } else { !line >> k }
            });
        let mut score = 0u16;
        while at != 0 {
            let j = at.trailing_zeros() as usize;
            at &= at - 1;
            let before = line & span(j.saturating_sub(4), j);
            let after = line & span(j + 7, (j + 11).min(self.side));
            if before == 0 || after == 0 {
                score = score.wrapping_add(40);
            }
        }
        score
    }

    /// N4: how far the share of dark modules is from half, in points of
    /// 0.5 % (qrcode does not round to steps of 5 %, and neither does this).
    fn balance(&self) -> u16 {
        let (rows, _) = self.lines();
        let dark: usize = rows.iter().map(|r| r.count_ones() as usize).sum();
        let ratio = dark * 200 / (self.side * self.side);
        u16::try_from(ratio.abs_diff(100)).unwrap_or(u16::MAX)
    }
}

/// 1:1:3:1:1 dark–light–dark–dark–dark–light–dark: a finder's centre line.
const FINDER_LINE: [bool; 7] = [true, false, true, true, true, false, true];

/// qrcode subtracts what the three real finder patterns always score in
/// each direction: 3 centre lines × 3 finders × 40.
const REAL_FINDERS: u16 = 360;

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::types::{EcLevel, Version};

    /// The canvas of qrcode 0.14's own penalty tests (canvas.rs,
    /// `penalty_tests::create_test_canvas`), built through its public API.
    fn qrcode_test_canvas() -> Canvas {
        let mut c = Canvas::new(Version::Normal(1), EcLevel::Q);
        c.draw_all_functional_patterns();
        c.draw_data(
            b"\x20\x5b\x0b\x78\xd1\x72\xdc\x4d\x43\x40\xec\x11\x00",
            b"\xa8\x48\x16\x52\xd9\x36\x9c\x00\x2e\x0f\xb4\x7a\x10",
        );
        c.apply_mask(MaskPattern::Checkerboard);
        c
    }

    #[test]
    fn the_parts_are_the_scores_qrcodes_own_tests_expect() {
        let grid = Grid::of(&qrcode_test_canvas(), 21);
        assert_eq!(
            grid.penalty(),
            Penalty {
                adjacent_rows: 88,
                adjacent_columns: 92,
                blocks: 90,
                finder_rows: 0,
                finder_columns: 40,
                balance: 2,
            }
        );
    }

    /// A grid for the per-line rules, which look only at `side` and the
    /// line they are given.
    fn blank_grid(side: usize) -> Grid {
        Grid {
            side,
            rows: [0; MAX_SIDE],
            columns: [0; MAX_SIDE],
        }
    }

    #[test]
    fn a_finder_line_with_dark_on_both_sides_scores_nothing() {
        let grid = blank_grid(21);
        // A finder line at columns 7 to 13, light all round.
        let line: u64 = 0b101_1101 << 7;
        assert_eq!(grid.finders(line), 40, "light both sides");
        assert_eq!(grid.finders(line | 1 << 4), 40, "light after it");
        assert_eq!(grid.finders(line | 1 << 4 | 1 << 17), 0, "dark both sides");
        assert_eq!(
            grid.finders(line | 1 << 2 | 1 << 18),
            40,
            "dark only past four"
        );
        // At the line's ends, what lies outside counts as light.
        assert_eq!(grid.finders(0b101_1101 | 1 << 9), 40, "at the start");
        assert_eq!(grid.finders(0b101_1101 << 14 | 1 << 12), 40, "at the end");
    }

    #[test]
    fn a_symbol_wider_than_max_side_is_refused() {
        let mut c = Canvas::new(Version::Normal(12), EcLevel::M);
        c.draw_all_functional_patterns();
        assert!(apply_best_mask(&c, Version::Normal(12).width()).is_none());
        let mut c = Canvas::new(Version::Normal(11), EcLevel::M);
        c.draw_all_functional_patterns();
        assert!(apply_best_mask(&c, Version::Normal(11).width()).is_some());
    }

    #[test]
    fn runs_of_five_and_more_score_three_and_up() {
        let grid = blank_grid(21);
        assert_eq!(grid.runs(0), 19, "one light run of 21");
        assert_eq!(grid.runs(span(0, 21)), 19, "one dark run of 21");
        assert_eq!(grid.runs(0b0101_0101_0101_0101_0101), 0, "no run of 5");
        // Dark 0..5, light 5..9, dark 9..15, light 15..21: 3 + 4 + 4.
        assert_eq!(grid.runs(span(0, 5) | span(9, 15)), 11);
    }
}
