// Package kernel loads the runtime sensor's eBPF programs and decodes the records they send.
package kernel
