#!/usr/bin/env bash
# Installs a wasm32-unknown-unknown std for Debian's rustc-web, for machines
# where rustup's wasm32 target cannot be had. Run by .ci/setup.sh only.
#
# Debian ships no wasm32 std for rustc-web (libstd-rust-dev-wasm32 is for
# the older rustc), but rust-web-src is that rustc's own library source.
# Building the standard library from its source is how a toolchain is made,
# and the standard library's source uses unstable features, so this one
# install step needs RUSTC_BOOTSTRAP; it is the toolchain being installed,
# not the wallet being built. Every build and test afterwards uses stable
# features only. The result is keyed on `rustc -vV`: a Debian update of
# rustc-web makes old rlibs unusable ("compiled by an incompatible version"),
# and setup then runs this again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src"
printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' >"$scratch/Cargo.toml"
: >"$scratch/src/lib.rs"
(cd "$scratch" && PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS=-Zforce-unstable-if-unmarked \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$DEBIAN_WASM_LD \
    /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort,test,proc_macro)
rm -rf "$DEBIAN_WASM_STD"
mkdir -p "$DEBIAN_WASM_STD"
find "$scratch/target/wasm32-unknown-unknown/release/deps" -name '*.rlib' ! -name 'libstdbuild-*' \
    -exec cp {} "$DEBIAN_WASM_STD/" \;
/usr/bin/rustc -vV >"$DEBIAN_WASM_STD/.paycode-std-stamp"
