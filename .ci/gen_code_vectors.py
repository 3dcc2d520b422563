#!/usr/bin/env python3
"""Second, independent implementation of the payment-code format v1.

Written from docs/FORMAT.md alone (standard library only), it computes the
expected codes in tests/vectors/codes.json, so the Rust encoder is checked
against another program instead of against itself.

    python3 .ci/gen_code_vectors.py > tests/vectors/codes.json
    python3 .ci/gen_code_vectors.py --check tests/vectors/codes.json
"""

import base64
import hashlib
import hmac
import json
import struct
import sys

LABEL = b"paycode/v1"


def secret_bytes(b32):
    """RFC 4648 base32, any case, padding optional (FORMAT.md §6)."""
    text = b32.upper().rstrip("=")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def modulus(length):
    """M = floor(10^(L-2) / 2^30) (FORMAT.md §3)."""
    return 10 ** (length - 2) // 2 ** 30


def mac(key, prefix, length, token, step, counter, funding):
    """FORMAT.md §4: 26-byte message, HMAC-SHA256, first 8 bytes mod M."""
    msg = LABEL + struct.pack(">BBIQBB", prefix, length, token, step, counter, funding)
    assert len(msg) == 26
    tag = hmac.new(key, msg, hashlib.sha256).digest()
    return int.from_bytes(tag[:8], "big") % modulus(length)


def encode(key, prefix, length, token, step, counter, funding):
    """FORMAT.md §5."""
    assert 10 <= prefix <= 15 and 16 <= length <= 24
    assert 0 <= token < 2 ** 20 and 0 <= counter < 16 and 0 <= funding < 8
    m = modulus(length)
    packed = ((token * 8 + step % 8) * 16 + counter) * 8 + funding
    payload = packed * m + mac(key, prefix, length, token, step, counter, funding)
    digits = str(payload).rjust(length - 2, "0")
    assert len(digits) == length - 2
    return "%02d%s" % (prefix, digits)


RFC6238_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
KEY16 = base64.b32encode(bytes(range(16))).decode().rstrip("=")
KEY32 = base64.b32encode(hashlib.sha256(b"paycode test key 32").digest()).decode()
KEY64 = base64.b32encode(hashlib.sha512(b"paycode test key 64").digest()).decode().lower()

# (name, secret, prefix, length, token, time, period, counter, funding)
CASES = [
    ("default layout", RFC6238_KEY, 13, 18, 482913, 1764100000, 60, 0, 0),
    ("default layout, next swipe", RFC6238_KEY, 13, 18, 482913, 1764100000, 60, 1, 0),
    ("default layout, debit source", RFC6238_KEY, 13, 18, 482913, 1764100000, 60, 0, 1),
    ("last second of a step", RFC6238_KEY, 13, 18, 482913, 1764100019, 60, 0, 0),
    ("first second of the next step", RFC6238_KEY, 13, 18, 482913, 1764100020, 60, 0, 0),
    ("shortest code", KEY16, 10, 16, 0, 1577836800, 60, 0, 0),
    ("shortest code, token, counter and funding at maximum", KEY16, 15, 16, 2 ** 20 - 1, 1577836859, 60, 15, 7),
    ("17 digits", KEY32, 11, 17, 1, 1700000000, 30, 15, 2),
    ("20 digits", KEY32, 12, 20, 99999, 1700000040, 30, 3, 3),
    ("20 digits, step residue 7", KEY32, 12, 20, 99999, 7 * 30 + 30 * 8 * 7000000, 30, 0, 4),
    ("22 digits", KEY64, 14, 22, 524288, 2000000000, 300, 9, 5),
    ("longest code", KEY64, 15, 24, 2 ** 20 - 1, 4102444799, 300, 15, 6),
    ("longest code, zero token", KEY64, 10, 24, 0, 1577836800, 15, 0, 7),
    ("period 15 at a step boundary", KEY16, 13, 18, 31337, 1764100005, 15, 0, 0),
    ("period 15, one second earlier", KEY16, 13, 18, 31337, 1764100004, 15, 0, 0),
    ("period 300", RFC6238_KEY, 14, 19, 7, 1764099900, 300, 15, 1),
    ("prefix 10, 18 digits", KEY32, 10, 18, 1000, 1764100080, 60, 7, 7),
    ("leading zeros in the payload", KEY16, 11, 18, 0, 1764100080, 60, 0, 0),
    ("23 digits, lower-case secret", RFC6238_KEY.lower(), 13, 23, 654321, 1893456000, 60, 12, 2),
]

# Strings that are not codes, with the error kind the parser names.
MALFORMED = [
    ("", "not_digits"),
    ("13456789012345678a", "not_digits"),
    ("1345 6789 0123 4567 89", "not_digits"),
    ("-13456789012345678", "not_digits"),
    ("１３４５６７８９０１２３４５６７８９", "not_digits"),
    ("134567890123456", "bad_length"),
    ("1345678901234567890123456", "bad_length"),
    ("093456789012345678", "bad_prefix"),
    ("163456789012345678", "bad_prefix"),
    ("993456789012345678", "bad_prefix"),
    ("139999999999999999", "payload_out_of_range"),
    ("1099999999999999", "payload_out_of_range"),
    ("159999999999999999999999", "payload_out_of_range"),
]


def build():
    cases = []
    for name, secret, prefix, length, token, time, period, counter, funding in CASES:
        step = time // period
        key = secret_bytes(secret)
        cases.append({
            "name": name,
            "secret_base32": secret,
            "prefix": prefix,
            "length": length,
            "token": token,
            "time": time,
            "period": period,
            "counter": counter,
            "funding": funding,
            "step": step,
            "mac": mac(key, prefix, length, token, step, counter, funding),
            "code": encode(key, prefix, length, token, step, counter, funding),
        })
    return {
        "source": "computed by .ci/gen_code_vectors.py from docs/FORMAT.md",
        "format_version": 1,
        "moduli": {str(length): modulus(length) for length in range(16, 25)},
        "cases": cases,
        "malformed": [{"input": text, "kind": kind} for text, kind in MALFORMED],
    }


def main():
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2], encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("%s is out of date; regenerate it" % sys.argv[2])
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
