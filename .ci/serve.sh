#!/usr/bin/env bash
# Serves the wallet (www/) and the demo issuer on ADDR (loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
addr=${1:-127.0.0.1:8080}
exec target/release/paycode serve --addr "$addr" --db "${PAYCODE_DB:-paycode.db}" --www www --demo
