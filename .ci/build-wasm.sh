#!/usr/bin/env bash
# The shipped wallet bundle: release wasm + JS glue in PKG_DIR (www/pkg),
# and the wallet page's script built on that glue (PKG_DIR/wallet.js).
#   .ci/build-wasm.sh PKG_DIR
#
# A plain stable build: the wasm32 toolchain .ci/lib.sh finds (the same one
# the browser tests use), the release profile of Cargo.toml (opt-level "z",
# LTO, one codegen unit), then wasm-opt -Oz and a minifier on the glue.
# wasm-bindgen's output is used as it writes it.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
wasm_env
pkg=${1:-www/pkg}
target_dir=target/wasm-release
# sha2's documented `sha2_backend_soft="compact"` configuration: SHA-256
# rounds in a loop, not unrolled; several KB smaller, and one MAC per
# refresh does not notice the difference in speed.
rustflags='--cfg sha2_backend_soft="compact"'
# Panic locations name their source files; crates.io's come with this
# machine's registry path (/root/.cargo/registry/src/index.crates.io-…/),
# which makes the bundle bigger and different on every machine. Each crate
# is named from its own directory instead (qrcode-0.14.1/src/bits.rs).
for registry in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    rustflags+=" --remap-path-prefix=$registry="
done
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=$rustflags
cargo build --quiet --release --locked --target wasm32-unknown-unknown -p paycode-wallet --lib \
    --target-dir "$target_dir"

mkdir -p "$pkg"
wasm-bindgen --target web --out-dir "$pkg" --out-name paycode_wallet \
    "$target_dir/wasm32-unknown-unknown/release/paycode_wallet.wasm"

# The wasm features rustc emits by default must be named to wasm-opt.
# --zero-filled-memory and --low-memory-unused hold for this module: its
# memory is its own (not imported), and Rust puts nothing in the first 1 KB.
# -g keeps the function names in $named, which .ci/size-report.mjs reads;
# the shipped wasm is that file with its names and metadata stripped, and
# no other change, so the report's sizes are the shipped code's.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-reference-types --enable-multivalue --enable-mutable-globals)
named=$target_dir/paycode_wallet_bg.named.wasm
.ci/node/node_modules/.bin/wasm-opt -Oz --converge -g "${features[@]}" \
    --zero-filled-memory --low-memory-unused \
    "$pkg/paycode_wallet_bg.wasm" -o "$named"
.ci/node/node_modules/.bin/wasm-opt "${features[@]}" --strip-debug --strip-producers \
    --strip-target-features "$named" -o "$pkg/paycode_wallet_bg.wasm"
# The JS glue is shipped minified, as any web build would be.
.ci/node/node_modules/.bin/esbuild "$pkg/paycode_wallet.js" --minify --format=esm \
    --log-level=warning --allow-overwrite --outfile="$pkg/paycode_wallet.js"
# The page's modules and this glue as one file: rebuilt with every glue, so
# the page never runs a glue from another build.
node .ci/bundle-page.mjs "$pkg"
# The service worker's list of the offline files and their SHA-256
# (PKG_DIR/precache.js): written last, over the files as shipped.
node .ci/precache.mjs "$pkg"
# PKG_DIR as an npm package: package.json and the <paycode-view> element.
node .ci/npm-package.mjs "$pkg"
