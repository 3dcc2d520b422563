# Shared shell helpers for .ci scripts. Source, don't run.
#
# Two toolchains can build the wallet for wasm32-unknown-unknown, both with
# stable features only:
#   rustup  the image's stable toolchain with its wasm32 target (preferred);
#   debian  Debian's rustc-web (/usr/bin/rustc) with a wasm32 std that
#           .ci/debian-wasm-std.sh installed for exactly that rustc.
# PAYCODE_WASM_TOOLCHAIN=debian forces the Debian route (to test it on a
# machine where rustup has the target); =rustup forbids it.

# The wasm linker of the Debian route. rustc-web used to ship a `rust-lld`
# that pointed at lld's wasm-ld; 1.96.0+dfsg1-1~deb12u2 ships none, so the
# linker is named here by the path lld-22 documents.
DEBIAN_WASM_LD=/usr/lib/llvm-22/bin/wasm-ld
DEBIAN_WASM_STD=/usr/lib/rustlib/wasm32-unknown-unknown/lib

# True when the rustup toolchain has the wasm32 std installed.
rustup_has_wasm32() {
    local sysroot
    [ -x "$HOME/.cargo/bin/rustc" ] && sysroot=$("$HOME/.cargo/bin/rustc" --print sysroot 2>/dev/null) &&
        compgen -G "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null
}

# True when Debian's rustc, its wasm32 std (built for this very rustc, keyed
# on `rustc -vV`) and its wasm linker are all installed.
debian_has_wasm32() {
    local stamp=$DEBIAN_WASM_STD/.paycode-std-stamp
    [ -x /usr/bin/rustc ] && [ -x "$DEBIAN_WASM_LD" ] && [ -f "$stamp" ] &&
        [ "$(/usr/bin/rustc -vV)" = "$(cat "$stamp")" ]
}

# Prints which route builds wasm32 here (rustup or debian), or nothing.
wasm_toolchain() {
    local want=${PAYCODE_WASM_TOOLCHAIN:-}
    if [ "$want" != debian ] && rustup_has_wasm32; then
        echo rustup
    elif [ "$want" != rustup ] && debian_has_wasm32; then
        echo debian
    fi
}

# Puts the wasm32 toolchain first on PATH (cargo, rustc, and so
# wasm-pack and wasm-bindgen-test-runner agree on one compiler) and names the
# Debian route's linker. Fails with a message when there is none.
wasm_env() {
    case "$(wasm_toolchain)" in
    rustup)
        export PATH="$HOME/.cargo/bin:$PATH"
        ;;
    debian)
        export PATH="/usr/bin:$HOME/.cargo/bin:$PATH"
        export RUSTC=/usr/bin/rustc
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$DEBIAN_WASM_LD
        ;;
    *)
        echo "no wasm32 toolchain${PAYCODE_WASM_TOOLCHAIN:+ for PAYCODE_WASM_TOOLCHAIN=$PAYCODE_WASM_TOOLCHAIN}: run 'make setup'" >&2
        return 1
        ;;
    esac
}
