#!/usr/bin/env bash
# Checks that a dev node keeps to its own OpenAPI document: starts `tidepool node --dev --market` on a free
# port with a temporary data directory and runs Schemathesis (installed by
# scripts/install-prerequisites.sh) against its /openapi.json with every check that applies.
# Fails on any failure: a 5xx, a status or a response the document does not describe, a request
# the document accepts refused with a 400, one it refuses accepted. docs/api.md ("How the
# document is checked") explains what is generated and checked.
#
#   scripts/conformance.sh [SEED]       SEED defaults to 1; MAX_TIME (seconds) to 45.
#
# Run by `make test` (target `conformance`) after the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
SEED=${1:-${SEED:-1}}
MAX_TIME=${MAX_TIME:-45}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
SCHEMATHESIS="$TARGET_DIR/conformance-venv/bin/schemathesis"

if [ ! -x "$SCHEMATHESIS" ]; then
  echo "error: $SCHEMATHESIS is missing; run ./scripts/install-prerequisites.sh" >&2
  exit 1
fi

# The binary `make run` runs (same profile, same features): built here if it is not current.
"$CARGO" build --quiet --bin tidepool
NODE="$TARGET_DIR/debug/tidepool"

DATA_DIR=$(mktemp -d)
# Kept when CONFORMANCE_REPORT_DIR names a directory (NDJSON events: every request and answer).
REPORT_DIR=${CONFORMANCE_REPORT_DIR:-$DATA_DIR/report}
NODE_PID=
cleanup() {
  if [ -n "$NODE_PID" ]; then
    kill "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# A free port: bind port 0 and read what the kernel chose. Another process could take it before
# the node binds it; the wait below then fails with the node's own error.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$NODE" node --dev --market --data-dir "$DATA_DIR/chain" --listen "127.0.0.1:$PORT" >"$DATA_DIR/node.log" 2>&1 &
NODE_PID=$!

# Up within 30 s, or give up with the node's log.
for _ in $(seq 300); do
  if curl -sf "$URL/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
  sleep 0.1
done
if ! curl -sf "$URL/health" >/dev/null 2>&1; then
  echo "error: the dev node did not answer /health within 30 s; its log:" >&2
  cat "$DATA_DIR/node.log" >&2
  exit 1
fi

# A generous request timeout: mining 10,000 blocks (`/dev/mine`'s most) takes seconds, and more
# on a machine busy with builds, while the other worker's requests wait for the chain.
# `--checks all` less the two authorization checks, which need credentials the API does not have:
# it has no security schemes, and a transaction is authorised by the signature inside its body
# (a wrong one is a 401 that positive_data_acceptance allows), not by a header.
status=0
"$SCHEMATHESIS" run "$URL/openapi.json" \
  --checks all \
  --exclude-checks ignored_auth,object_level_authorization \
  --seed "$SEED" \
  --max-time "$MAX_TIME" \
  --workers 2 \
  --request-timeout 60 \
  --no-color \
  --report ndjson --report-dir "$REPORT_DIR" \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "error: the node does not keep to its OpenAPI document (seed $SEED); its log ends:" >&2
  tail -n 20 "$DATA_DIR/node.log" >&2
fi
exit "$status"
