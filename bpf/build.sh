#!/bin/sh
# build.sh [DIR] compiles the sensor's eBPF programs (bpf/sensor.bpf.c and
# the headers it includes) with bpf2go and writes the object and its Go
# bindings, sensor_x86_bpfel.o and sensor_x86_bpfel.go, to DIR (default
# internal/sensor/kernel, where they are committed). go generate
# ./internal/sensor/kernel, make bpf and make bpf-check run it. It needs
# clang-19 and llvm-strip-19 (or BPF_CC and BPF_STRIP) and libbpf-dev's
# headers; the kernel types come from the committed bpf/vmlinux.h.
#
# The build is reproducible: the same sources, clang and libbpf headers give
# the same bytes wherever the repository is. bpf2go already keeps absolute
# paths out of the object (-fdebug-prefix-map, -fdebug-compilation-dir,
# -fno-ident), but that is not enough: clang orders the forward declarations
# it adds to the BTF (struct cfs_rq, ...) by the addresses of their debug
# info nodes (a map keyed by pointer in LLVM's BTFDebug), and those depend
# on the heap allocations before them, which depend on the lengths of the
# paths clang is given and runs in. So the sources are copied to one fixed
# directory, $BUILD, and compiled there, with a fixed environment: clang
# sees the same arguments, working directory and environment in every
# clone. One build runs at a time ($BUILD is the lock).
set -eu

BUILD=/tmp/vigil-bpf-build
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/internal/sensor/kernel}
GO=${GO:-go}

cc=$(command -v "${BPF_CC:-clang-19}") || { echo "bpf/build.sh: ${BPF_CC:-clang-19} not found (make test-deps installs clang-19)" >&2; exit 1; }
strip=$(command -v "${BPF_STRIP:-llvm-strip-19}") || { echo "bpf/build.sh: ${BPF_STRIP:-llvm-strip-19} not found (make test-deps installs llvm-19)" >&2; exit 1; }
[ -f /usr/include/bpf/bpf_helpers.h ] || { echo "bpf/build.sh: /usr/include/bpf/bpf_helpers.h not found (make test-deps installs libbpf-dev)" >&2; exit 1; }
bpf2go=$(cd "$root" && "$GO" tool -n bpf2go)
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! mkdir "$BUILD" 2>/dev/null; then
	echo "bpf/build.sh: $BUILD exists: another build is running, or remove it" >&2
	exit 1
fi
trap 'rm -rf "$BUILD"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$BUILD/internal/sensor/kernel"
cp -R "$root/bpf" "$BUILD/bpf"

# The layout of the repository, so that the object names its sources as
# before: ../../../bpf/sensor.bpf.c, ../../../bpf/lib/....
cd "$BUILD/internal/sensor/kernel"
env -i PATH=/usr/local/bin:/usr/bin:/bin "$bpf2go" \
	-cc "$cc" -strip "$strip" -go-package kernel -tags linux -target amd64 \
	-type event_header -type exec_body -type fork_body -type exit_body -type file_body \
	-type net_body -type sys_body -type cgroup_body -type cgroup_op -type fd_info \
	-type name_key -type event_kind -type event_flag -type path_flag -type exec_flag \
	-type fd_type -type host_ns \
	sensor ../../../bpf/sensor.bpf.c -- -I../../../bpf -O2 -g -Wall -Werror
cp sensor_x86_bpfel.o sensor_x86_bpfel.go "$out/"
