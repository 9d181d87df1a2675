// Package sensor assembles the runtime sensor: it reads records from the
// kernel (and any other record source), keeps the process tree, attributes
// each record to its container, and maps it to a normalized event.
//
// Attribution never depends on a container still existing: the kernel
// reports each cgroup made, joined and removed, and each exec's cgroup
// paths and root directory, before any record of the processes concerned,
// so a container whose processes all exited before their records were
// read is still named, with its runtime, and its file paths are put in its
// own view (docs/ARCHITECTURE.md, "How a sensor record flows"). What the
// runtime says of a container (image, digest, pod) is looked up in the
// background; a new container's events wait for the first answer, for
// Config.MetadataWait at most.
package sensor
