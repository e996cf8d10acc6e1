# demhost. `make demo` runs the main job; `make test` runs every test.
# Both bring up the services they need (see scripts/services/services.sh).

GO        ?= go
BIN       := bin
PLUGINS   := movies sqltable omdb
PG_DSN    := postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable
export DEMHOST_TEST_ES_URL ?= http://127.0.0.1:9200
export DEMHOST_TEST_OS_URL ?= http://127.0.0.1:9201
# estest.New(t) without options, as an application calls it, uses this engine.
export DEMHOST_TEST_ENGINE_URL ?= $(DEMHOST_TEST_ES_URL)
export DEMHOST_TEST_ES_TINY_URL ?= http://127.0.0.1:9203
# OpenSearch 3 and the in-JVM Elasticsearch 8 (no rest-root, reindex or
# analysis-common): the conformance suite, the seed flow and the fallbacks.
export DEMHOST_TEST_OS3_URL ?= http://127.0.0.1:9202
export DEMHOST_TEST_ES8_URL ?= http://127.0.0.1:9204
export DEMHOST_TEST_PG_DSN ?= $(PG_DSN)

# Two modules, developed together through go.work: the root and plugin-sdk
# (its own module, so a plugin author's go.sum holds only what the protocol
# needs). From the root, ./... does not reach into the nested module, so every
# go command below names ./plugin-sdk/... too. GOWORK points at our go.work
# whatever the environment says, and -mod=mod or -mod=vendor from GOFLAGS
# (which a workspace refuses) is replaced by -mod=readonly.
export GOWORK := $(CURDIR)/go.work
export GOFLAGS := $(strip $(filter-out -mod=%,$(shell $(GO) env GOFLAGS)) -mod=readonly)
PKGS      := ./... ./plugin-sdk/...

.PHONY: all build services services-stop services-status test test-unit test-slow test-cluster \
        vet fmt demo demo-postgres bench bench-go rss-1m proto clean

all: build

## build: compile demhost and the bundled plugins into bin/
build:
	@mkdir -p $(BIN)
	$(GO) build -buildvcs=auto -o $(BIN)/demhost ./cmd/demhost
	@for p in $(PLUGINS); do $(GO) build -o $(BIN)/demhost-plugin-$$p ./plugins/$$p || exit 1; done

## services: install (when missing) and start Postgres, Elasticsearch 7.17, OpenSearch 2.19 and 3,
## Elasticsearch 8.19, and the es_fault node (Elasticsearch with a 1-thread write pool, for the
## back-pressure test) on 127.0.0.1
services:
	@bash scripts/services/services.sh start

services-stop:
	@bash scripts/services/services.sh stop

services-status:
	@bash scripts/services/services.sh status

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l . | grep -v '^scripts/' )" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

## test: every test, against the real services (starts them first)
test: services vet
	$(GO) test -count=1 $(PKGS)
	$(MAKE) --no-print-directory test-slow
	$(MAKE) --no-print-directory test-cluster

## test-unit: the fast suite only, against whatever services are running
test-unit:
	$(GO) test $(PKGS)

## test-slow: the slow end-to-end suites (build tag "slow"): only the tests in the tagged files,
## since `go test $(PKGS)` has already run the rest of their packages
SLOW_FILES = $(shell grep -rl --include='*_test.go' '^//go:build slow' .)
SLOW_PKGS = $(sort $(dir $(SLOW_FILES)))
SLOW_TESTS = $(shell grep -ho '^func Test[A-Za-z0-9_]*' $(SLOW_FILES) | cut -c6- | paste -sd'|' -)
test-slow: build
	$(GO) test -count=1 -tags slow -timeout 40m -run '^($(SLOW_TESTS))$$' $(SLOW_PKGS)

## test-cluster: the cluster suite (build tags "slow cluster", internal/cli/cluster_e2e_test.go): it starts
## its own OpenSearch 2.19 cluster of 3 nodes, one JVM each, on 127.0.0.1:9211-9213 (transport
## 9311-9313; DEMHOST_TEST_CLUSTER_HTTP_PORT moves them), kills a node mid-update, activates with a
## node down and restarts it, then stops the cluster. It needs the OpenSearch jars that
## `services.sh start opensearch` resolves, and fails (never skips) when the cluster cannot start.
test-cluster: build
	@bash scripts/services/services.sh start opensearch
	$(GO) test -count=1 -tags 'slow cluster' -timeout 40m -run '^TestCluster' ./internal/cli/

## demo: the README's main job: services, build, then list/create/activate/update/list
demo: services build
	@bash scripts/demo.sh

## demo-postgres: the same flow with Postgres as the registry
demo-postgres: services build
	@DEMHOST_REGISTRY='$(PG_DSN)' DEMHOST_ENV_PREFIX=demopg_ bash scripts/demo.sh

## bench: the side-by-side bulk indexing benchmark on both engines
bench: services build
	@bash scripts/bench.sh
	@bash scripts/bench.sh distributed

## bench-distributed: only the distributed section: update --distributed with 1 and 3 worker processes
.PHONY: bench-distributed
bench-distributed: services build
	@bash scripts/bench.sh distributed

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./host/...

## rss-1m: update 1,000,000 generated movies and print the peak RSS
rss-1m: services build
	@bash scripts/rss-1m.sh

## proto: regenerate plugin-sdk/internal/proto from plugin-sdk/proto/*.proto
proto:
	@command -v protoc >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
	GOWORK=off $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
	GOWORK=off $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
	protoc -I plugin-sdk/proto --go_out=plugin-sdk/internal/proto --go_opt=paths=source_relative \
	  --go-grpc_out=plugin-sdk/internal/proto --go-grpc_opt=paths=source_relative plugin-sdk/proto/*.proto

clean:
	rm -rf $(BIN) .demhost
