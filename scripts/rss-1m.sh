#!/usr/bin/env bash
# `make rss-1m` (after `make services build`): update 1,000,000 synthetic
# movies into the local engine and print the peak resident memory of demhost
# and of the movies plugin. The target is under 200 MB for demhost.
#
# It uses a temporary config (the movies plugin with {"synthetic": N}), a
# unique prefix and a temporary SQLite registry, and resets the prefix at
# the end. Environment: N (default 1000000), DEMHOST_ENGINE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-1000000}"
ROOT="$(pwd)"
DEMHOST="$ROOT/bin/demhost"
PLUGIN="$ROOT/bin/demhost-plugin-movies"
[[ -x "$DEMHOST" && -x "$PLUGIN" ]] || { echo "rss-1m: run 'make build' first" >&2; exit 2; }

if [[ ! -x /usr/bin/time ]]; then
  echo "rss-1m: installing GNU time" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null
fi

TMP="$(mktemp -d)"
PREFIX="rss$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')_"
export DEMHOST_ENV_PREFIX="$PREFIX"
unset DEMHOST_REGISTRY
cat >"$TMP/demhost.yaml" <<YAML
registry: $TMP/registry.db
plugins:
  - name: movies
    path: $PLUGIN
    config:
      synthetic: $N
YAML
DH=("$DEMHOST" --config "$TMP/demhost.yaml")

cleanup() {
  "${DH[@]}" dangerous-reset --yes >/dev/null || echo "rss-1m: reset of prefix $PREFIX failed; delete its indexes by hand" >&2
  rm -rf "$TMP"
}
trap cleanup EXIT

# peak PID: the VmHWM (peak RSS) of PID in kB, or empty once it is gone.
peak() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# measure NAME CMD...: runs CMD under /usr/bin/time -v and samples the
# VmHWM of demhost and of its plugin child while it runs.
measure() {
  local name="$1"; shift
  echo "\$ demhost $*" >&2
  /usr/bin/time -v -o "$TMP/time.$name" "${DH[@]}" "$@" &
  local tpid=$! dpid="" ppid="" dk=0 pk=0 v
  while kill -0 "$tpid" 2>/dev/null; do
    [[ -z "$dpid" ]] && dpid="$(pgrep -P "$tpid" | head -1 || true)"
    if [[ -n "$dpid" ]]; then
      [[ -z "$ppid" ]] && ppid="$(pgrep -P "$dpid" | head -1 || true)"
      v="$(peak "$dpid")"; [[ -n "$v" && "$v" -gt "$dk" ]] && dk="$v"
      if [[ -n "$ppid" ]]; then v="$(peak "$ppid")"; [[ -n "$v" && "$v" -gt "$pk" ]] && pk="$v"; fi
    fi
    sleep 0.2
  done
  wait "$tpid"
  local total
  total="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.$name")"
  echo "$name: demhost ${dk} kB, plugin ${pk} kB (sampled); max of the process tree ${total} kB (/usr/bin/time)" >&2
  echo "$dk $pk $total" >"$TMP/rss.$name"
}

measure create create movies
measure activate activate movies
START=$(date +%s)
measure update update movies
END=$(date +%s)
"${DH[@]}" list movies

read -r dk pk total <"$TMP/rss.update"
# /usr/bin/time reports the largest process of the tree; when sampling
# missed the end of the run, fall back on it.
[[ "$dk" -gt 0 ]] || dk="$total"
echo
echo "updated $N movies in $((END - START)) s"
echo "peak RSS: $((dk / 1024)) MB (demhost)"
[[ "$pk" -gt 0 ]] && echo "peak RSS: $((pk / 1024)) MB (plugin demhost-plugin-movies)"
if (( dk / 1024 >= 200 )); then
  echo "rss-1m: demhost peak RSS is over the 200 MB target" >&2
  exit 1
fi
