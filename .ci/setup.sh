#!/usr/bin/env bash
# Installs everything `make run` and `make test` need, and nothing twice.
#
# Each step checks first and returns at once when its tool is already there,
# so a warm machine finishes in a second or two. On a fresh Debian 12 machine
# it installs, in order: Debian packages (Rust for wasm32, browsers, drivers),
# a wasm32 std built from source (unless the rustup toolchain already has the
# target), wasm-bindgen-cli at the Cargo.lock version, wasm-pack, geckodriver,
# wasm-opt from npm, and the end-to-end test dependencies (npm + PyPI, pinned).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=.ci/lib.sh
. .ci/lib.sh

say() { printf 'setup: %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------
apt_packages=(
    rustc-web cargo-web rust-web-src lld-22 # Rust 1.96 + std source for wasm32
    chromium chromium-driver                # Chrome engine
    firefox-esr                             # Gecko engine
    webkit2gtk-driver xvfb                  # WebKit engine (WebKitWebDriver)
)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- wasm32 standard library ------------------------------------------------
# Preference: a rustup toolchain that already has the target; then a short try
# at `rustup target add` (works on a connected laptop, hangs here); then
# Debian's rustc with std built from its own source, keyed on `rustc -vV` so a
# rustc security update triggers a rebuild instead of "incompatible version".
debian_std=/usr/lib/rustlib/wasm32-unknown-unknown/lib
stamp=$debian_std/.paycode-std-stamp
if [ -z "$(wasm_cargo 2>/dev/null)" ]; then
    if command -v rustup >/dev/null && timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
        say "rustup toolchain now has wasm32-unknown-unknown"
    else
        say "building the wasm32 std from Debian's rust source (about a minute)"
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        mkdir -p "$scratch/src"
        printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n' >"$scratch/Cargo.toml"
        : >"$scratch/src/lib.rs"
        (cd "$scratch" && PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zforce-unstable-if-unmarked \
            /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
            -Zbuild-std=std,panic_abort,test,proc_macro)
        rm -rf "$debian_std"
        mkdir -p "$debian_std"
        find "$scratch/target/wasm32-unknown-unknown/release/deps" -name '*.rlib' ! -name 'libstdbuild-*' \
            -exec cp {} "$debian_std/" \;
        /usr/bin/rustc -vV >"$stamp"
    fi
fi
[ -n "$(wasm_cargo)" ] || { echo "setup: no usable wasm32 toolchain" >&2; exit 1; }

# --- cargo-installed tools --------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
    say "installing wasm-bindgen-cli $bindgen_version (the Cargo.lock version)"
    # No --locked: the registry here lacks one version its lock file names.
    cargo install -q --force wasm-bindgen-cli --version "$bindgen_version"
fi
if ! command -v wasm-pack >/dev/null; then
    say "installing wasm-pack"
    cargo install -q wasm-pack
fi
if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"
    cargo install -q --locked cargo-fuzz || cargo install -q cargo-fuzz
fi
if ! command -v geckodriver >/dev/null; then
    say "installing geckodriver"
    cargo install -q geckodriver
fi

# --- npm and PyPI packages (pinned by lock files) ---------------------------
npm_ci() { # dir: reinstall only when the lock file changed since the last install
    local dir=$1
    [ -f "$dir/package-lock.json" ] || return 0
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"; then
        say "npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
    fi
}
npm_ci .ci/node
npm_ci tests/e2e
npm_ci benches/browser

if [ -f tests/e2e/requirements.txt ]; then
    if ! cmp -s tests/e2e/requirements.txt .venv/.requirements.installed; then
        say "installing Python test packages into .venv"
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r tests/e2e/requirements.txt
        cp tests/e2e/requirements.txt .venv/.requirements.installed
    fi
fi
