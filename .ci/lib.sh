# Shared shell helpers for .ci scripts. Source, don't run.

# Prints the cargo that can build for wasm32-unknown-unknown, or nothing.
# A rustup toolchain with the target wins; otherwise Debian's cargo, when the
# std that setup.sh built matches the installed rustc exactly.
wasm_cargo() {
    local rustup_rustc=$HOME/.cargo/bin/rustc sysroot
    # PAYCODE_WASM_TOOLCHAIN=debian forces the Debian route (to test it where
    # rustup also has the target).
    if [ "${PAYCODE_WASM_TOOLCHAIN:-}" != debian ] && [ -x "$rustup_rustc" ] && sysroot=$("$rustup_rustc" --print sysroot 2>/dev/null) &&
        compgen -G "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null; then
        echo "$HOME/.cargo/bin/cargo"
        return
    fi
    local stamp=/usr/lib/rustlib/wasm32-unknown-unknown/lib/.paycode-std-stamp
    if [ -x /usr/bin/rustc ] && [ -f "$stamp" ] && [ "$(/usr/bin/rustc -vV)" = "$(cat "$stamp")" ]; then
        echo /usr/bin/cargo
    fi
}
