// Package azurensgflow reads Azure network security group (NSG) flow logs,
// versions 1 and 2, and virtual network (VNet) flow logs, emitting one
// Network_Traffic event per flow tuple.
package azurensgflow
