# Tidepool: two commands.
#   make run   build everything and start a dev node (lending market deployed, dev accounts printed)
#   make test  everything CI checks: formatting, clippy with -D warnings, docs, the whole test suite,
#              a dev node against its own OpenAPI document (conformance), the TypeScript client's
#              tests and the dashboard in headless Chromium (web-test)
#
# Every cargo command here uses the one `dev` profile and, through the workspace hack
# (workspace-hack/src/lib.rs), the same features of every third-party crate, so RocksDB's C++ and
# wasmtime compile once, whichever command runs first; `make test` checks it (one-build).

CARGO ?= cargo
CARGO_ALL := --workspace --all-targets
# The contracts workspace builds for wasm32 by default; its native unit tests run on the host.
HOST_TARGET := $(shell rustc -vV | sed -n 's/^host: //p')
DATA_DIR ?= .tidepool/dev
LISTEN ?= 127.0.0.1:8545

.PHONY: run test prerequisites fmt lint doc unit conformance one-build bench bench-node fuzz gas gas-check \
	web web-test openapi bench-dashboard

# The dashboard is built first: the api crate embeds dashboard/dist (api/build.rs).
run: prerequisites web
	$(CARGO) run --bin tidepool -- node --dev --market --data-dir $(DATA_DIR) --listen $(LISTEN)

test: prerequisites web fmt lint doc unit conformance web-test one-build

prerequisites:
	@./scripts/install-prerequisites.sh

fmt:
	$(CARGO) fmt --all --check
	cd contracts && $(CARGO) fmt --check

lint:
	$(CARGO) clippy $(CARGO_ALL) -- -D warnings
	cd contracts && $(CARGO) clippy --workspace -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

unit:
	$(CARGO) test $(CARGO_ALL)
	$(CARGO) test --workspace --doc
	cd contracts && $(CARGO) test --workspace --target $(HOST_TARGET)

# A dev node (the binary `make run` runs) against its own /openapi.json: Schemathesis with a fixed
# seed, for about a minute (docs/api.md, "How the document is checked"). SEED=n tries another.
conformance: prerequisites
	./scripts/conformance.sh $(SEED)

# The JavaScript side (package.json: the npm workspace of clients/ts and dashboard): packages from
# the committed lock file (`npm ci`, only when it changed), then the client and the dashboard.
node_modules/.package-lock.json: package-lock.json package.json clients/ts/package.json dashboard/package.json
	npm ci --no-audit --no-fund
	@touch $@

web: prerequisites node_modules/.package-lock.json
	npm run build --workspace clients/ts
	npm run build --workspace dashboard

# The client's tests (its own dev node; the Rust signer's vectors), the generated types against
# the committed document, and the dashboard in headless Chromium against a dev node (screenshots
# under $(CARGO_TARGET_DIR or target)/dashboard-screenshots). Needs the binary with the dashboard.
web-test: web
	$(CARGO) build --quiet --bin tidepool
	npm run check-generated --workspace clients/ts
	npm test --workspace clients/ts
	npm test --workspace dashboard

# Rewrites clients/ts/openapi.json from the API's routes and the TypeScript types from it.
openapi: node_modules/.package-lock.json
	TIDEPOOL_WRITE_OPENAPI=1 $(CARGO) test --quiet -p tidepool-api --test it openapi_file
	npm run generate --workspace clients/ts

# 1,000 positions on a dev node, the positions page loaded in headless Chromium (BENCHMARKS.md).
bench-dashboard: web
	$(CARGO) build --quiet --bin tidepool
	npm run bench --workspace dashboard

# After the test build, `make run`'s, `make bench`'s and the README's builds must compile no
# third-party crate again (scripts/check-one-build.sh).
one-build:
	./scripts/check-one-build.sh

# Benchmarks use the same dev profile (opt-level 2), so they reuse the test build.
bench: prerequisites
	$(CARGO) bench --workspace --profile dev

# The whole sandbox under load against its targets (BENCHMARKS.md, "Whole sandbox").
bench-node: prerequisites
	$(CARGO) run --bin tidepool -- bench

# A minute of each fuzz target (nightly and cargo-fuzz; see fuzz/README.md). Not part of `test`.
FUZZ_TARGETS := transaction_decoding module_validation
fuzz:
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target && \
	  (cd fuzz && $(CARGO) +nightly fuzz run $$target -s none -O corpus/$$target seeds/$$target \
	    -- -max_total_time=60) || exit 1; \
	done

# Regenerate contracts/GAS.md, or check it (CI does) against a fresh measurement.
gas: prerequisites
	$(CARGO) run --quiet --bin tidepool -- gas-report --write contracts/GAS.md

gas-check: prerequisites
	$(CARGO) run --quiet --bin tidepool -- gas-report --check contracts/GAS.md
