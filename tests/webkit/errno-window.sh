#!/usr/bin/env bash
# WebKitGTK's web process must survive JavaScriptCore's errno-clobbering
# signal handler in the configuration the tests use (.ci/webkit.env says
# why). Runs the wallet's web_view wasm suite in WebKit with errno_window.c
# preloaded into WebKitWebDriver and everything it starts, holding every
# strtoull() caller in the window where the signal does its damage. Without
# WEBKIT_DISABLE_COMPOSITING_MODE=1 this crashed the web process 5 runs of 5
# ("Unable to load module sksl_…"); with it, SkSL never runs. Then checks
# that the page tests' configuration (tests/e2e/lib/webdriver.mjs, no
# accelerated 2D canvas) compiles no SkSL either (no-sksl.mjs).
#   tests/webkit/errno-window.sh              the configuration of .ci/webkit.env
#   WEBKIT_ENV_FILE=F tests/webkit/errno-window.sh   another one (to see it fail)
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
window_us=1000
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

command -v gcc >/dev/null || { echo "missing: gcc (run 'make setup')" >&2; exit 1; }
gcc -O2 -shared -fPIC -o "$scratch/errno_window.so" tests/webkit/errno_window.c -ldl || exit 1
cat >"$scratch/driver" <<DRIVER
#!/bin/sh
export LD_PRELOAD=$scratch/errno_window.so ERRNO_WINDOW_US=$window_us ERRNO_WINDOW_LOG=$scratch/loaded
exec /usr/bin/WebKitWebDriver "\$@" 2>>$scratch/driver.log
DRIVER
chmod +x "$scratch/driver"

WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-300} "$root/.ci/webkit-run" "$root/.ci/wasm-env" \
    wasm-pack test --headless --safari --safaridriver "$scratch/driver" . -p paycode-wallet --test web_view \
    >"$scratch/test.log" 2>&1
status=$?

if ! grep -q 'WebKitWebProcess$' "$scratch/loaded" 2>/dev/null; then
    echo "errno window: the shim never reached a WebKitWebProcess; this run proves nothing" >&2
    exit 1
fi
crashes=$(grep -c 'WebProcess CRASHED' "$scratch/driver.log")
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "errno window: the web_view suite failed in WebKit (exit $status, $crashes web process crashes):" >&2
    grep -E 'too large|Unable to load module|CRASHED' "$scratch/driver.log" | head -5 >&2
    tail -20 "$scratch/test.log" >&2
    exit 1
fi
echo "errno window: web_view passed in WebKit with a $window_us µs errno window in $(grep -c . "$scratch/loaded") processes, 0 web process crashes"

LD_PRELOAD=$scratch/errno_window.so ERRNO_WINDOW_CALLERS=$scratch/callers node tests/webkit/no-sksl.mjs
