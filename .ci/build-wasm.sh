#!/usr/bin/env bash
# The shipped wallet bundle: release wasm + JS glue in PKG_DIR (www/pkg),
# and the wallet page's script built on that glue (PKG_DIR/wallet.js).
#   .ci/build-wasm.sh PKG_DIR
#
# Size is a product requirement (≤ 30 KB gzipped, docs/BENCHMARKS.md), so
# the release build recompiles the standard library with the wallet
# (`-Zbuild-std`, from Debian's rust-web-src, which `make setup` installs):
#   -Cpanic=immediate-abort  a panic is a trap at once: no panic messages,
#                            no formatting code, no unwinding tables. A
#                            panic in wasm kills the page either way, which
#                            is why the code returns errors instead.
#   -Zlocation-detail=none   no file names and line numbers in the bundle.
#   -Zfmt-debug=none         `{:?}` prints nothing (nothing in the wallet
#                            prints Debug; the tests use the normal std).
#   sha2_backend_soft=compact  SHA-256 rounds in a loop, not unrolled: ~7 KB
#                            less, and one MAC per refresh does not notice.
# These flags are unstable; RUSTC_BOOTSTRAP=1 lets the stable compiler take
# them. The browser tests (`wasm-pack test`) use the ordinary std.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-www/pkg}
rustc=/usr/bin/rustc
cargo=/usr/bin/cargo
if [ ! -x "$rustc" ] || [ ! -d /usr/lib/rustlib/src/rust/library/std ]; then
    echo "build: needs Debian's rustc and rust-web-src (run 'make setup')" >&2
    exit 1
fi
target_dir=target/wasm-release
export RUSTC=$rustc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='--cfg sha2_backend_soft="compact" -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none'
"$cargo" build --quiet --release --locked --target wasm32-unknown-unknown -p paycode-wallet --lib \
    -Zbuild-std=std,panic_abort --target-dir "$target_dir"

export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p "$pkg"
wasm-bindgen --target web --out-dir "$pkg" --out-name paycode_wallet \
    "$target_dir/wasm32-unknown-unknown/release/paycode_wallet.wasm"

# The wasm features rustc emits by default must be named to wasm-opt.
# --zero-filled-memory and --low-memory-unused hold for this module: its
# memory is its own (not imported), and Rust puts nothing in the first 1 KB.
.ci/node/node_modules/.bin/wasm-opt -Oz --converge \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals \
    --zero-filled-memory --low-memory-unused --strip-producers --strip-target-features \
    "$pkg/paycode_wallet_bg.wasm" -o "$pkg/paycode_wallet_bg.wasm"
# The JS glue is shipped minified, as any web build would; then imports and
# exports get short names in both files (.ci/short-names.mjs says why).
.ci/node/node_modules/.bin/esbuild "$pkg/paycode_wallet.js" --minify --format=esm \
    --log-level=warning --allow-overwrite --outfile="$pkg/paycode_wallet.js"
node .ci/short-names.mjs "$pkg" >/dev/null
# The page's modules and this glue as one file: rebuilt with every glue, so
# the page never runs a glue from another build.
node .ci/bundle-page.mjs "$pkg"
