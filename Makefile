# The two commands a new user needs: `make run` (the demo) and `make test`.
GO       ?= go
BIN      := bin/pipeline
DATA_DIR ?= pipeline-data
# Executions per fuzz target. A count, not a duration: Go 1.26's fuzz
# coordinator can fail a -fuzztime=<duration> run with a bare "context
# deadline exceeded" when the deadline races a busy worker (golang/go#75804).
FUZZTIME ?= 100000x

.PHONY: run build release test ui-test long fuzz vet clean interop bench s3-conformance mutate

run: build
	./$(BIN) run --data-dir $(DATA_DIR)

build:
	$(GO) build -o $(BIN) .

# A stripped, reproducible binary for deployment (deploy/): no symbol table or
# DWARF, no file system paths, no build id, and the commit's own date rather
# than the time of the build, so the same commit builds the same bytes.
# `bin/release/pipeline --version` says what it is.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null)
RELEASE_LDFLAGS := -s -w -buildid= -X main.releaseVersion=$(VERSION) -X main.releaseCommit=$(COMMIT) -X main.releaseDate=$(DATE)

release:
	CGO_ENABLED=1 $(GO) build -trimpath -buildvcs=false -ldflags '$(RELEASE_LDFLAGS)' -o bin/release/pipeline .
	@ls -l bin/release/pipeline && sha256sum bin/release/pipeline

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# The dashboard in headless Chromium, for real: a missing browser fails
# rather than skips (make test skips those tests without one). Installs
# Debian's chromium with apt the first time (needs root). Screenshots go to
# artifacts/ui.
ui-test:
	@$(call named,ui,TestDashboardInABrowser)
	@$(call named,.,TestRunServesTheDashboard)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	PIPELINE_UI_TEST=require PIPELINE_UI_ARTIFACTS=$(CURDIR)/artifacts/ui \
		$(GO) test -count=1 -v -run '^(TestDashboardInABrowser|TestRunServesTheDashboard)$$' ./ui .

# Measure the local pipeline on generated data (a few minutes): one JSON
# report on stdout, a summary on stderr, scratch data in $(DATA_DIR)/bench.
# Not part of `make test`: it is a measurement, it never fails on a number.
bench: build
	./$(BIN) bench --data-dir $(DATA_DIR) $(BENCHFLAGS)

# go test -run and -fuzz pass, saying "no tests to run", when a name matches
# nothing: $(call named,PKG,NAME) fails unless package ./PKG has a test or
# fuzz target NAME.
named = $(GO) test -list "^$(2)$$" ./$(1) | grep -qx "$(2)" || { echo "./$(1) has no $(2): renamed or removed? Update the Makefile"; exit 1; }

# Sink processes as production meets them (about 10 minutes): killed with
# SIGKILL at random moments (TestCrashLoop) and in a rapid loop
# (TestRapidCrashLoop), frozen past their session and resumed
# (TestZombieSink), told to stop in every state (TestSinkStopsWithinTenSeconds);
# every event must be stored exactly once. The crash loops log their seed;
# replay a failure with LONGFLAGS='-crash-seed N'. It fails unless each test
# ran and passed (they skip without -long).
LONG_TESTS := TestCrashLoop TestZombieSink TestRapidCrashLoop TestSinkStopsWithinTenSeconds TestSinkSharingAnInstanceIDStops
long:
	@for t in $(LONG_TESTS); do $(call named,.,$$t); done
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	$(GO) test -count=1 -timeout 30m -v -run "^($$(echo $(LONG_TESTS) | tr ' ' '|'))$$" . -long $(LONGFLAGS) 2>&1 | tee "$$log"; \
	for t in $(LONG_TESTS); do \
		grep -q "^--- PASS: $$t " "$$log" || { echo "make long: $$t did not run and pass"; exit 1; }; \
	done

# Each fuzz target for FUZZTIME executions; crashers land in testdata/fuzz and then run
# as ordinary tests in `make test`.
FUZZ_TARGETS := \
	pipeline:FuzzDecodeHeader \
	internal/eventjson:FuzzDecodeHeaderMatchesReference \
	internal/eventjson:FuzzDecodeHeaderTime \
	pipeline:FuzzObjectKey \
	pipeline:FuzzInferJSONLines \
	pipeline:FuzzSinkRecord \
	pipeline:FuzzCSVRow \
	pipeline:FuzzOpenCSV \
	emulate:FuzzKeyPath \
	emulate:FuzzRewriteSQL \
	emulate:FuzzPartitionFilter \
	emulate:FuzzHiveDDL

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		$(call named,$$pkg,$$fn); \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

# Real clients from outside the project (the original's kafka-python producer
# and consumer, kcat, AWS CLI v2, boto3) against `pipeline emulate`; the
# first run installs them with apt (needs root). See interop/run.sh.
interop:
	bash interop/run.sh

# Ceph's s3-tests against `pipeline emulate`: S3_TESTS_DIR is a checkout of
# github.com/ceph/s3-tests (skipped, saying so, without one). Fails if a test
# fails that the README's conformance table does not list. See
# interop/s3_conformance.sh.
s3-conformance:
	bash interop/s3_conformance.sh

# Each guarantee of the README's table broken on purpose, in a copy of the
# module, one mutation at a time (mutate/mutations.go): the tests named for
# it must fail. Fails if a mutation survives, or its code is gone. About 35
# minutes on the shared 2-core development machine (a third of it compiling
# a test binary per mutation; the crash loop's mutation takes 6).
# MUTATEFLAGS='-run REGEXP' picks mutations, -list lists them, -keep keeps
# the copy and the tests' logs.
mutate:
	$(GO) run ./mutate $(MUTATEFLAGS)

clean:
	rm -rf bin $(DATA_DIR)
