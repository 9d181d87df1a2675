// Command vigil detects attacks in cloud and container environments.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
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
