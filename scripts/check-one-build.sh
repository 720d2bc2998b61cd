#!/usr/bin/env bash
# Fails if a command of the Makefile or the README, run after `make test`'s build, compiles a
# third-party crate again: every command must resolve the same features (the workspace hack,
# workspace-hack/src/lib.rs), so the heavy crates (RocksDB's C++, wasmtime, cranelift) build once.
#
# Run by `make test` after the test suite. Cargo prints `Compiling <name> v<version>` for a crate
# from a registry and `Compiling <name> v<version> (<path>)` for one of ours; only the former
# fail the check.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

check() {
  local log
  log=$(mktemp)
  if ! "$CARGO" "$@" --color never 2>"$log" >/dev/null; then
    cat "$log" >&2
    echo "error: \`cargo $*\` failed" >&2
    exit 1
  fi
  local rebuilt
  rebuilt=$(grep -E '^ *Compiling [^ ]+ v[^ ]+$' "$log" | sed 's/^ *Compiling //' || true)
  rm -f "$log"
  if [ -n "$rebuilt" ]; then
    echo "error: \`cargo $*\` compiled third-party crates again after the test build:" >&2
    echo "$rebuilt" | sed 's/^/  /' >&2
    echo "Their features differ from the test build's: run \`cargo hakari generate\` (CONTRIBUTING.md)." >&2
    exit 1
  fi
  echo "ok: cargo $* compiles no third-party crate"
}

check build --bin tidepool                             # make run
check bench --workspace --profile dev --no-run         # make bench
check build -p tidepool-examples --examples            # the README's walkthrough
check test -p tidepool-ledger --no-run                 # one crate's tests alone
check bench -p tidepool-vm --profile dev --no-run      # one crate's benches alone
check test -p tidepool-api --no-run                    # the API's tests alone
