#!/usr/bin/env bash
# The demo of `make demo` (after `make services build`): list, create,
# activate, update, list and plan the movies index with bin/demhost, against the
# local engine and the registry of demhost.yaml (SQLite in .demhost/ unless
# DEMHOST_REGISTRY names another, e.g. Postgres for `make demo-postgres`).
# It works in its own prefix (DEMHOST_ENV_PREFIX, default demo_) and resets
# that prefix first, so it can be run again and again. A re-run shows
# movies-2, movies-3, ...: version numbers are never reused, even after a
# reset (see DESIGN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEMHOST_ENV_PREFIX="${DEMHOST_ENV_PREFIX:-demo_}"
DEMHOST=bin/demhost
if [[ ! -x "$DEMHOST" || ! -x bin/demhost-plugin-movies ]]; then
  echo "demo: $DEMHOST or bin/demhost-plugin-movies is missing; run 'make build' first" >&2
  exit 2
fi

step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}

echo "demo: prefix ${DEMHOST_ENV_PREFIX}, registry ${DEMHOST_REGISTRY:-.demhost/registry.db (demhost.yaml)}" >&2
# Start clean: a re-run keeps the registry, so reset this prefix first.
"$DEMHOST" dangerous-reset --yes >/dev/null
step "$DEMHOST" list
step "$DEMHOST" create movies
step "$DEMHOST" activate movies
step "$DEMHOST" update movies
step "$DEMHOST" list
# The everyday workflow for a schema change: movies-1 holds the plugin's
# schema, so plan says no change (and deploy would do nothing).
step "$DEMHOST" plan movies
