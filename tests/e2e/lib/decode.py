"""Decode every barcode in the PNG files named on the command line.

Prints one JSON object: {file: [{"format": ..., "text": ...}, ...]}. Used by
the e2e tests to read what a phone screen shows, as a cashier's scanner would.
"""

import json
import sys

import zxingcpp
from PIL import Image


def decode(path):
    image = Image.open(path).convert("L")
    found = []
    for barcode in zxingcpp.read_barcodes(image):
        found.append({"format": str(barcode.format), "text": barcode.text})
    return found


if __name__ == "__main__":
    print(json.dumps({path: decode(path) for path in sys.argv[1:]}))
