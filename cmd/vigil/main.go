// Command vigil detects attacks in cloud and container environments.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
)

func main() {
	// vigil streams events: its live heap is small and its allocation rate
	// high, so collecting less often buys throughput for little memory.
	// An explicit GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if err := newRootCmd().Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "vigil:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(2)
	}
}

// exitError ends the program with a status code.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
