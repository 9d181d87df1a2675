# vigil — build, test and docs.
GO ?= go
PKGS := ./...

.PHONY: all build test test-deps vet fmt-check docs fuzz bench bpf

all: build

build:
	$(GO) build -o bin/vigil ./cmd/vigil

# test installs what the tests need (Go modules; runc and busybox-static for
# the runtime sensor's container tests, from Debian, when running as root)
# and runs every check and test.
test: test-deps
	$(GO) mod download
	$(MAKE) fmt-check vet
	$(GO) test -count=1 -timeout 30m $(PKGS)
	# Every sensor benchmark once: they drive real loops, containers and
	# kernel hooks, so a broken one fails here rather than at measuring time.
	$(GO) test -count=1 -timeout 10m -run '^$$' -bench . -benchtime 1x ./internal/sensor/...

vet:
	$(GO) vet -composites=false $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# docs regenerates the generated documentation.
docs:
	$(GO) run ./cmd/vigil datamodel > docs/DATAMODEL.md

# fuzz runs every fuzz target (each parser's FuzzParse, the reader's
# framing, the time parser) for FUZZTIME each.
FUZZTIME ?= 60s
fuzz:
	@grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' internal | sed 's/:func /:/' | sort -u | \
	while IFS=: read -r file target; do \
		d=$$(dirname $$file); echo "== $$d $$target"; \
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) ./$$d || exit 1; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/ingest/

# test-deps installs, when running as root and any is missing, the Debian
# packages the sensor tests run containers with: runc and busybox-static
# (runctest), containerd with ctr and its CRI plugin, the CNI plugins,
# podman and conmon (runtimetest). The tests run podman as root on native
# overlay with the host network, so its rootless helpers (uidmap,
# fuse-overlayfs, slirp4netns) are not needed: recommends are not installed.
test-deps:
	@missing=; \
	for c in runc containerd ctr podman conmon; do command -v $$c >/dev/null || missing=1; done; \
	{ [ -x /bin/busybox ] && [ -x /usr/lib/cni/loopback ]; } || missing=1; \
	if [ "$$(id -u)" = 0 ] && [ -n "$$missing" ]; then \
		echo "installing runc, busybox-static, containerd, containernetworking-plugins, podman and conmon"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			runc busybox-static containerd containernetworking-plugins podman conmon >/dev/null; \
	fi

# bpf regenerates bpf/vmlinux.h from the running kernel's BTF and the
# sensor's eBPF objects and Go bindings (needs clang-19, llvm-19, bpftool
# and libbpf-dev; the generated files are committed).
BPF_CC ?= clang-19
BPF_STRIP ?= llvm-strip-19
bpf:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h
	BPF2GO_CC=$(BPF_CC) BPF2GO_STRIP=$(BPF_STRIP) $(GO) generate ./internal/sensor/kernel
