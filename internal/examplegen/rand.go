package main

import (
	"hash/fnv"
	"time"
)

// rng is a small deterministic generator (SplitMix64). It is written out
// here, not taken from math/rand, so that the examples stay byte-for-byte
// the same across Go releases.
type rng struct{ s uint64 }

// newRNG returns a generator seeded from the generator's fixed seed and a
// stream name, so that each part of the scenario draws from its own stream
// and editing one part does not reshuffle the others.
func newRNG(stream string) *rng {
	h := fnv.New64a()
	h.Write([]byte(seed))
	h.Write([]byte{0})
	h.Write([]byte(stream))
	return &rng{s: h.Sum64()}
}

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("intn: n <= 0")
	}
	return int(r.u64() % uint64(n))
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance reports true with probability p percent.
func (r *rng) chance(p int) bool { return r.intn(100) < p }

func (r *rng) pick(xs ...string) string { return xs[r.intn(len(xs))] }

// secs returns a duration of lo..hi seconds.
func (r *rng) secs(lo, hi int) time.Duration { return time.Duration(r.between(lo, hi)) * time.Second }

// nanos returns a sub-second duration, for services that log fractions.
func (r *rng) nanos() time.Duration { return time.Duration(r.between(1000, 999999999)) }

func (r *rng) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.intn(len(alphabet))]
	}
	return string(b)
}

func (r *rng) hex(n int) string   { return r.from("0123456789abcdef", n) }
func (r *rng) HEX(n int) string   { return r.from("0123456789ABCDEF", n) }
func (r *rng) upper(n int) string { return r.from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n) }
func (r *rng) alnum(n int) string {
	return r.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n)
}
func (r *rng) lower(n int) string  { return r.from("abcdefghijklmnopqrstuvwxyz0123456789", n) }
func (r *rng) digits(n int) string { return r.from("123456789", 1) + r.from("0123456789", n-1) }

// k8sSuffix draws from the alphabet Kubernetes uses for generated names.
func (r *rng) k8sSuffix(n int) string { return r.from("bcdfghjklmnpqrstvwxz2456789", n) }

// uuid returns a random (version 4 shaped) UUID.
func (r *rng) uuid() string {
	h := r.hex(32)
	v := "89ab"[r.intn(4)]
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + string(v) + h[17:20] + "-" + h[20:32]
}
