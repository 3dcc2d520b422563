"""Decode every barcode in the PNG files named on the command line.

Prints one JSON object: {file: [{"format": ..., "text": ...}, ...]}. Used by
the e2e tests to read what a phone screen shows, as a cashier's scanner would.
With --scale=F first (0.5, say), each image is shrunk to F times its size
before decoding, averaging pixels as a camera further away would.
"""

import json
import sys

import zxingcpp
from PIL import Image


def decode(path, scale=1.0):
    image = Image.open(path).convert("L")
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    found = []
    for barcode in zxingcpp.read_barcodes(image):
        found.append({"format": str(barcode.format), "text": barcode.text})
    return found


if __name__ == "__main__":
    args = sys.argv[1:]
    scale = 1.0
    if args and args[0].startswith("--scale="):
        scale = float(args.pop(0).split("=", 1)[1])
    print(json.dumps({path: decode(path, scale) for path in args}))
