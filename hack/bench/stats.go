package main

import (
	"math"
	"slices"
	"time"
)

// spread is what N runs of one cell took: the median and the extremes.
type spread struct {
	Median, Min, Max time.Duration
}

// spreadOf summarises runs; the median of an even count is the mean of the
// two middle runs. No runs give the zero spread.
func spreadOf(runs []time.Duration) spread {
	if len(runs) == 0 {
		return spread{}
	}
	s := slices.Clone(runs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return spread{Median: med, Min: s[0], Max: s[n-1]}
}

// ratio is a/b, or NaN when either side is missing (zero): a missing figure
// has no ratio, and the caller prints a dash.
func ratio(a, b time.Duration) float64 {
	if a <= 0 || b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}
