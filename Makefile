# vigil — build, test and docs.
GO ?= go
PKGS := ./...

.PHONY: all build test vet fmt-check docs fuzz bench

all: build

build:
	$(GO) build -o bin/vigil ./cmd/vigil

# test installs what the tests need (Go modules) and runs every check and test.
test:
	$(GO) mod download
	$(MAKE) fmt-check vet
	$(GO) test -count=1 -timeout 30m $(PKGS)

vet:
	$(GO) vet -composites=false $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# docs regenerates the generated documentation.
docs:
	$(GO) run ./cmd/vigil datamodel > docs/DATAMODEL.md

# fuzz runs every parser's fuzz target for FUZZTIME each.
FUZZTIME ?= 60s
fuzz:
	@for d in $$(grep -rl --include='*_test.go' '^func FuzzParse' internal | xargs -n1 dirname | sort -u); do \
		echo "== $$d"; $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./$$d || exit 1; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/ingest/
