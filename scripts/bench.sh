#!/usr/bin/env bash
# `make bench`: the side-by-side bulk indexing benchmark (bench/, issue 7).
# Prepares the Python virtualenv of contender C in .venv/bench, builds the
# bench program and runs it against both engines. Extra flags go to the
# program, from the command line or BENCH_ARGS, e.g.
#   BENCH_ARGS="-n 50000 -rounds 3" make bench
#   bash scripts/bench.sh -n 50000 -engines opensearch
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = distributed ] && { shift; go build -o bin/demhost-distbench ./bench/cmd/demhost-distbench || exit 1; exec bin/demhost-distbench "$@"; }

venv=.venv/bench
req=bench/python/requirements.txt
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian ships venv's ensurepip separately.
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv
    else
      echo "bench: python3 -m venv failed; install python3-venv" >&2; exit 1
    fi
    python3 -m venv "$venv"
  fi
fi
if ! cmp -s "$req" "$venv/.requirements" 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi

mkdir -p bin
go build -o bin/demhost-bench ./bench/cmd/demhost-bench
for b in bin/demhost bin/demhost-plugin-movies bin/demhost-plugin-sqltable; do
  [ -x "$b" ] || { echo "bench: $b is missing; run make build" >&2; exit 1; }
done

# shellcheck disable=SC2086
exec bin/demhost-bench ${BENCH_ARGS:-} "$@"
