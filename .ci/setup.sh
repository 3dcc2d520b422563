#!/usr/bin/env bash
# Installs everything `make run` and `make test` need, and nothing twice.
#
# Each step checks first and returns at once when its tool is already there,
# so a warm machine finishes in a second or two. On a fresh Debian 12 machine
# it installs, in order: Debian packages (Rust for wasm32, browsers, drivers,
# a CJK font, PostgreSQL's server binaries), rustup's wasm32 target (or, failing that, a wasm32 std for
# Debian's rustc built from its source), wasm-bindgen-cli at the Cargo.lock
# version, wasm-pack, cargo-fuzz, twiggy, geckodriver, wasm-opt from npm, and the end-to-end test dependencies (npm + PyPI, pinned).
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
    fonts-noto-cjk                          # Chinese labels in screenshots, not boxes
    locales                                 # zh_CN / en_US sources: WebKitGTK's language in the e2e tests
    sqlite3                                 # `.dump` in the keys-at-rest test (issuer/tests/custody.rs)
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

# --- PostgreSQL -------------------------------------------------------------
# The server-database tests start a throw-away cluster of their own
# (.ci/pg.sh) from the server binaries; Debian's default cluster is not
# wanted, so it is not created.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    say "installing PostgreSQL"
    mkdir -p /etc/postgresql-common
    [ -e /etc/postgresql-common/createcluster.conf ] ||
        echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# --- wasm32 standard library ------------------------------------------------
# Preference (.ci/lib.sh): rustup's stable toolchain with its wasm32 target,
# added here if missing (a few seconds when the registry answers; bounded,
# since it once hung on these machines); otherwise Debian's rustc with a
# wasm32 std installed from its own source by .ci/debian-wasm-std.sh.
# PAYCODE_WASM_TOOLCHAIN=debian takes the second route even where the first
# works, so that both stay tested.
if [ -z "$(wasm_toolchain)" ]; then
    if [ "${PAYCODE_WASM_TOOLCHAIN:-}" != debian ] && command -v rustup >/dev/null &&
        timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
        say "rustup toolchain now has wasm32-unknown-unknown"
    fi
fi
if [ -z "$(wasm_toolchain)" ] && [ "${PAYCODE_WASM_TOOLCHAIN:-}" != rustup ]; then
    say "installing a wasm32 std for Debian's rustc from its source (about a minute)"
    bash .ci/debian-wasm-std.sh
fi
[ -n "$(wasm_toolchain)" ] || { echo "setup: no usable wasm32 toolchain" >&2; exit 1; }

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
# cargo-fuzz builds the fuzz targets with the nightly toolchain the image's
# rustup carries (libFuzzer's instrumentation is nightly-only).
if ! rustup run nightly rustc -V >/dev/null 2>&1; then
    say "installing rustup's nightly toolchain (for the fuzz targets only)"
    timeout 300 rustup toolchain install nightly --profile minimal ||
        { echo "setup: rustup has no nightly toolchain and could not install one; .ci/fuzz.sh needs it" >&2; exit 1; }
fi
if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"
    cargo install -q --locked cargo-fuzz || cargo install -q cargo-fuzz
fi
if ! command -v twiggy >/dev/null; then
    say "installing twiggy (the wasm size profiler behind make build's size table)"
    cargo install -q twiggy --version 0.8.0
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
