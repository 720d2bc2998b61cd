#!/usr/bin/env bash
# Installs what `make run` and `make test` need and a fresh machine may lack:
#  - the pinned Rust toolchain with the wasm32-unknown-unknown target (from rust-toolchain.toml);
#  - libclang, which RocksDB's bindgen needs at build time (Debian package libclang-dev);
#  - Node.js 20.19+ with npm (checked, not installed), for the TypeScript client and the dashboard;
#  - Chromium (Debian package chromium), which the dashboard's browser tests drive;
#  - disk space for the target directory (checked, with a warning).
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rustup >/dev/null 2>&1; then
  echo "error: rustup not found; install Rust with rustup (https://rustup.rs) and run this again" >&2
  exit 1
fi
# `rustup toolchain install` with no argument installs what rust-toolchain.toml pins, targets
# and components included; it is a no-op when they are present.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "installing the pinned toolchain and the wasm32-unknown-unknown target ..."
  rustup toolchain install >/dev/null
  rustup target add wasm32-unknown-unknown >/dev/null
fi

# libclang, found by the names clang-sys accepts (scripts/find-libclang.sh says which).
if ! ./scripts/find-libclang.sh >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing libclang-dev (RocksDB's bindings are generated with it) ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev >/dev/null
    if ! ./scripts/find-libclang.sh >/dev/null; then
      echo "error: libclang-dev is installed but no libclang.so was found where bindgen looks; set LIBCLANG_PATH to its directory" >&2
      exit 1
    fi
  else
    echo "error: libclang is missing; install it with: sudo apt-get install -y libclang-dev" >&2
    exit 1
  fi
fi

# Node.js and npm build the dashboard the node embeds (`make web`); they come from the machine.
if ! command -v npm >/dev/null 2>&1 || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "error: Node.js 20.19 or later with npm is missing; install it (https://nodejs.org) and run this again" >&2
  exit 1
fi

# Chromium, for the dashboard's browser tests (playwright-core drives it; nothing is downloaded).
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (the dashboard's browser tests run it headless) ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

# Disk: everything `make test` compiles takes ~13 GB in the target directory (without incremental
# caches, as CI builds; about twice that with them). Running out shows up as "No space left on
# device", often inside a compiler panic, far from the cause, so say it before building.
target_dir="${CARGO_TARGET_DIR:-target}"
probe="$target_dir"
while [ ! -d "$probe" ]; do probe="$(dirname "$probe")"; done
free_mb=$(( $(df -Pk "$probe" | awk 'NR == 2 { print $4 }') / 1024 ))
if [ ! -d "$target_dir/debug/deps" ]; then need_mb=15000; else need_mb=4000; fi
if [ "$free_mb" -lt "$need_mb" ]; then
  echo "warning: $free_mb MB free for $target_dir; a first build there takes ~13 GB and a rebuild" \
    "a few GB: free some space if the build stops with \"No space left on device\"" >&2
fi

# Schemathesis, which `make test` runs against a dev node's OpenAPI document
# (scripts/conformance.sh), in a virtual environment inside the cargo target directory, so that
# `cargo clean` removes it with everything else built here. Pinned: a new release may generate
# other requests and find other things; move the pin on purpose, with a conformance run.
SCHEMATHESIS_VERSION=4.32.5
VENV="${CARGO_TARGET_DIR:-target}/conformance-venv"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 is missing; install it (with its venv module) for the conformance check" >&2
    exit 1
  fi
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV ..."
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
