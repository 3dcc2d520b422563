# The two commands of the README:
#   make run   build the wallet (release wasm) and serve it with the demo issuer
#   make test  every test: native, three browser engines, size budget, end to end
# Both start with `make setup`, which installs what is missing and is quick
# when nothing is.

PORT ?= 8080
ADDR ?= 127.0.0.1:$(PORT)
PKG := www/pkg
.PHONY: setup build run test test-native test-browsers size e2e bench bench-browser fuzz clean

setup:
	@bash .ci/setup.sh

# Release wasm, wasm-opt -Oz, minified glue (.ci/build-wasm.sh says how);
# then what a phone downloads: wasm + glue, the whole first load, and the
# wasm's bytes by crate.
build: setup
	@bash .ci/build-wasm.sh $(PKG)
	@SIZE_BUDGET_REPORT_ONLY=1 bash .ci/size-budget.sh $(PKG)
	@node .ci/size-report.mjs $(PKG) target/wasm-release/paycode_wallet_bg.named.wasm

run: build
	@cargo build --release --quiet --bin paycode
	@bash .ci/serve.sh $(ADDR)

test: setup
	@bash .ci/test.sh

test-native: setup
	@bash .ci/test.sh native

test-browsers: setup
	@bash .ci/test.sh browsers

size: build
	@bash .ci/size-budget.sh $(PKG)

e2e: build
	@bash .ci/test.sh e2e

bench: setup
	cargo bench --workspace

# Our wasm against otpauth + jsbarcode + qrcode in one headless Chromium run
# (docs/BENCHMARKS.md). Prints numbers; asserts nothing about speed.
bench-browser: build
	node benches/browser/run.mjs

# The recorded fuzzing runs (make test runs 20000 per target).
RUNS ?= 10000000
fuzz: setup
	bash .ci/fuzz.sh $(RUNS)

clean:
	cargo clean
	rm -rf $(PKG)
