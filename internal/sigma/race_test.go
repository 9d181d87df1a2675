//go:build race

package sigma

// The race detector makes sync.Pool (which regexp uses) drop items at
// random, so allocation counts mean nothing under it.
const raceEnabled = true
