package kernel

// The eBPF object and bindings (sensor_x86_bpfel.o, sensor_x86_bpfel.go)
// are built from ../../../bpf by bpf/build.sh (bpf2go, with its flags), in
// a fixed directory so that every clone builds the same bytes; make
// bpf-check fails when the committed ones are not what it builds.

//go:generate sh ../../../bpf/build.sh
