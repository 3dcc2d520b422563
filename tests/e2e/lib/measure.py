"""Measure the symbols in a screenshot, in device pixels, as a scanner sees them.

Usage: measure.py FILE SPEC, where SPEC is JSON
{"barcode": {"box": [x, y, w, h], "bars": "across" | "down"}, "qr": {"box": [x, y, w, h]}}
with boxes in the screenshot's pixels (either symbol may be left out). "bars"
says which way the Code 128 reads on screen: "across" (left to right) or
"down" (a barcode turned a quarter, top to bottom).

Prints one JSON object with, per symbol, the module width in pixels, the
symbol's size in modules and pixels, and what breaks "every module is a whole
number of pixels": grey pixels (an edge between two pixels) and runs of light
or dark that are not a whole number of modules.
"""

import json
import sys
from math import gcd

from PIL import Image

# Pure black and pure white, give or take colour management's rounding.
DARK_MAX = 8
LIGHT_MIN = 247


def runs(values):
    """[(dark, length)] of a sequence of grey levels already known to be pure."""
    out = []
    for value in values:
        dark = value <= DARK_MAX
        if out and out[-1][0] == dark:
            out[-1][1] += 1
        else:
            out.append([dark, 1])
    return [(dark, length) for dark, length in out]


def grey_count(pixels):
    return sum(1 for v in pixels if DARK_MAX < v < LIGHT_MIN)


def measure_barcode(image, box, bars):
    x, y, w, h = box
    crop = image.crop((x, y, x + w, y + h))
    if bars == "down":
        crop = crop.transpose(Image.Transpose.ROTATE_90)  # reads left to right again
    width, height = crop.size
    pixels = crop.load()
    rows = [[pixels[i, j] for i in range(width)] for j in range(height)]
    middle = rows[height // 2]
    found = runs(middle)
    dark = [i for i, (is_dark, _) in enumerate(found) if is_dark]
    if not dark:
        return {"found": False}
    symbol = found[dark[0] : dark[-1] + 1]
    module = min(length for _, length in symbol)
    uneven = [length for _, length in symbol if length % module]
    bars_px = sum(length for _, length in symbol)
    quiet_left = sum(length for _, length in found[: dark[0]])
    quiet_right = sum(length for _, length in found[dark[-1] + 1 :])
    # Bar height: the rows identical to the middle one, around it.
    same = [row == middle for row in rows]
    top = height // 2
    while top > 0 and same[top - 1]:
        top -= 1
    bottom = height // 2
    while bottom < height - 1 and same[bottom + 1]:
        bottom += 1
    return {
        "found": True,
        "module": module,
        "modules": bars_px / module,
        "bars_px": bars_px,
        "height_px": bottom - top + 1,
        "quiet_left_px": quiet_left,
        "quiet_right_px": quiet_right,
        "grey": grey_count(middle),
        "uneven": uneven,
    }


def measure_qr(image, box):
    x, y, w, h = box
    crop = image.crop((x, y, x + w, y + h))
    width, height = crop.size
    pixels = crop.load()
    grid = [[pixels[i, j] for i in range(width)] for j in range(height)]
    dark_rows = [j for j in range(height) if any(v <= DARK_MAX for v in grid[j])]
    dark_cols = [i for i in range(width) if any(grid[j][i] <= DARK_MAX for j in range(height))]
    if not dark_rows:
        return {"found": False}
    top, bottom, left, right = dark_rows[0], dark_rows[-1], dark_cols[0], dark_cols[-1]
    side_x, side_y = right - left + 1, bottom - top + 1
    # The top-left finder's first row is 7 dark modules.
    first_run = runs(grid[top][left : right + 1])[0][1]
    module = first_run / 7
    # Every run in every row and column of the symbol, as a multiple of the module.
    step = 0
    for j in range(top, bottom + 1):
        for _, length in runs(grid[j][left : right + 1]):
            step = gcd(step, length)
    for i in range(left, right + 1):
        for _, length in runs([grid[j][i] for j in range(top, bottom + 1)]):
            step = gcd(step, length)
    grey = sum(grey_count(grid[j][left : right + 1]) for j in range(top, bottom + 1))
    return {
        "found": True,
        "module": module,
        "run_gcd": step,
        "width_px": side_x,
        "height_px": side_y,
        "modules": side_x / module if module else 0,
        "quiet_px": min(left, top, width - 1 - right, height - 1 - bottom),
        "grey": grey,
    }


def main(path, spec):
    image = Image.open(path).convert("L")
    out = {}
    if "barcode" in spec:
        out["barcode"] = measure_barcode(image, spec["barcode"]["box"], spec["barcode"].get("bars", "across"))
    if "qr" in spec:
        out["qr"] = measure_qr(image, spec["qr"]["box"])
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
