#!/usr/bin/env bash
# The demo flow of `make demo`. Until the CLI lands it shows the engines.
set -euo pipefail
cd "$(dirname "$0")/.."
for u in http://127.0.0.1:9200 http://127.0.0.1:9201; do
  printf '%s: ' "$u"; curl -s "$u" | sed -n 's/.*"number" : "\([^"]*\)".*/\1/p'
done
