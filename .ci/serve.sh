#!/usr/bin/env bash
# Serves the wallet (www/) and the demo issuer on ADDR (loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
addr=${1:-127.0.0.1:8080}
# The embedding example (www/embed-example.html) frames the wallet from
# this same origin, which the wallet's frame-ancestors must name.
exec target/release/paycode serve --addr "$addr" --db "${PAYCODE_DB:-paycode.db}" --www www --demo \
    --embed-origin "http://$addr"
