#!/usr/bin/env python3
"""Second, independent implementation of the card-signed channel.

Written from docs/FORMAT.md section 11 alone (standard library only): the
channel key is HKDF-SHA256 (RFC 5869) of the card secret, and a request's
signature is HMAC-SHA256 under that key of the same string the merchant
API signs (docs/MERCHANT_API.md). It writes tests/vectors/channel.json,
which the wallet (natively and in wasm) and the issuer are checked against.

    python3 .ci/gen_channel_vectors.py > tests/vectors/channel.json
    python3 .ci/gen_channel_vectors.py --check tests/vectors/channel.json
"""

import base64
import hashlib
import hmac
import json
import sys

LABEL = b"paycode/v1/card-channel"
SCHEME = "PAYCODE-CARD"


def secret_bytes(b32):
    """RFC 4648 base32, any case, padding optional (FORMAT.md section 6)."""
    text = b32.upper().rstrip("=")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hkdf_sha256(ikm, salt, info, length):
    """RFC 5869: extract, then expand."""
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm += block
        i += 1
    return okm[:length]


def channel_key(secret_b32):
    return hkdf_sha256(secret_bytes(secret_b32), b"", LABEL, 32)


def canonical(method, path_and_query, ts, nonce, body):
    """METHOD, target, ts, nonce, hex SHA-256 of the body; no final newline."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method, path_and_query, str(ts), nonce, digest])


def request_case(name, secret, prefix, token, method, path_and_query, ts, nonce, body):
    key = channel_key(secret)
    text = canonical(method, path_and_query, ts, nonce, body.encode())
    sig = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    header = "%s prefix=%d,token=%d,ts=%d,nonce=%s,sig=%s" % (SCHEME, prefix, token, ts, nonce, sig)
    return {
        "name": name,
        "secret_base32": secret,
        "prefix": prefix,
        "token": token,
        "method": method,
        "path_and_query": path_and_query,
        "ts": ts,
        "nonce": nonce,
        "body": body,
        "canonical": text,
        "sig": sig,
        "authorization": header,
    }


RFC6238_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
KEY16 = base64.b32encode(bytes(range(16))).decode().rstrip("=")
KEY32 = base64.b32encode(hashlib.sha256(b"paycode test key 32").digest()).decode().rstrip("=")
KEY64 = base64.b32encode(hashlib.sha512(b"paycode test key 64").digest()).decode().rstrip("=").lower()

KEYS = [
    ("20-byte secret", RFC6238_KEY),
    ("16-byte secret", KEY16),
    ("32-byte secret", KEY32),
    ("64-byte secret, lower case", KEY64),
]

REQUESTS = [
    ("history", RFC6238_KEY, 13, 482913, "GET", "/v1/wallet/history?limit=10", 1764100000,
     "Zq3xV8pL0aT7mR2w", ""),
    ("events", KEY32, 14, 7, "GET", "/v1/wallet/events", 1764100123,
     "events-nonce_0123456789", ""),
    ("pin confirmation", KEY16, 13, 1048575, "POST", "/v1/wallet/payments/p_0123456789abcdef/confirm",
     1764100200, "pinpinpinpinpin0", '{"pin":"123456"}'),
]


def vectors():
    return {
        "label": LABEL.decode(),
        "keys": [
            {"name": n, "secret_base32": s, "channel_key_hex": channel_key(s).hex()} for n, s in KEYS
        ],
        "requests": [request_case(*r) for r in REQUESTS],
    }


def rfc5869_case_1():
    """RFC 5869 A.1, so this HKDF is checked against the RFC too."""
    okm = hkdf_sha256(bytes([0x0B] * 22), bytes(range(13)), bytes(range(0xF0, 0xFA)), 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        "34007208d5b887185865"
    ), okm.hex()


def main():
    rfc5869_case_1()
    text = json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n"
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2], encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("%s is not what .ci/gen_channel_vectors.py makes" % sys.argv[2])
        print("%s: current" % sys.argv[2])
    elif len(sys.argv) == 1:
        sys.stdout.write(text)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
