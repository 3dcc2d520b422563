# The two commands of the README:
#   make run   build the wallet (release wasm) and serve it with the demo issuer
#   make test  every test: native, three browser engines, size budget, end to end
# Both start with `make setup`, which installs what is missing and is quick
# when nothing is.

PORT ?= 8080
ADDR ?= 127.0.0.1:$(PORT)
PKG := www/pkg
WASM_OPT := .ci/node/node_modules/.bin/wasm-opt
# The JS glue is shipped minified, as any web build would.
ESBUILD := .ci/node/node_modules/.bin/esbuild
# The wasm features rustc emits by default; wasm-opt must be told about them.
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals
# Everything aimed at wasm32 goes through .ci/wasm-env (the toolchain that has
# the target first on PATH) and names the wallet package: the issuer links
# SQLite and is never built for the browser.
WASM := .ci/wasm-env

.PHONY: setup build run test test-native test-browsers size e2e bench bench-browser fuzz clean

setup:
	@bash .ci/setup.sh

# sha2's compact SHA-256 rounds: ~7 KB less wasm than the unrolled ones, and
# one MAC per refresh does not notice the difference in speed.
build: export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS = --cfg sha2_backend_soft="compact"
build: setup
	@$(WASM) wasm-pack --quiet build --release --target web --no-pack \
		--out-dir $(CURDIR)/$(PKG) --out-name paycode_wallet . -p paycode-wallet
	@$(WASM_OPT) $(WASM_OPT_FLAGS) $(PKG)/paycode_wallet_bg.wasm -o $(PKG)/paycode_wallet_bg.wasm
	@$(ESBUILD) $(PKG)/paycode_wallet.js --minify --format=esm --log-level=warning \
		--allow-overwrite --outfile=$(PKG)/paycode_wallet.js
	@rm -f $(PKG)/.gitignore
	@SIZE_BUDGET_REPORT_ONLY=1 bash .ci/size-budget.sh $(PKG)

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
