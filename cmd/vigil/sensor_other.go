//go:build !linux

package main

import "github.com/spf13/cobra"

func newSensorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sensor",
		Short: "Watch this host's processes, files and connections (Linux only)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return exitError{code: 2, msg: "the runtime sensor runs on Linux only"}
		},
	}
}
