package main

import (
	"math"
	"testing"
	"time"
)

func TestSpreadOf(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name string
		runs []time.Duration
		want spread
	}{
		{"none", nil, spread{}},
		{"one", []time.Duration{2 * s}, spread{2 * s, 2 * s, 2 * s}},
		{"odd, unsorted", []time.Duration{5 * s, 1 * s, 3 * s}, spread{3 * s, 1 * s, 5 * s}},
		{"even: mean of the middle two", []time.Duration{4 * s, 1 * s, 2 * s, 10 * s}, spread{3 * s, 1 * s, 10 * s}},
	} {
		if got := spreadOf(tc.runs); got != tc.want {
			t.Errorf("%s: spreadOf(%v) = %+v, want %+v", tc.name, tc.runs, got, tc.want)
		}
	}
	runs := []time.Duration{3, 1, 2}
	spreadOf(runs)
	if runs[0] != 3 {
		t.Error("spreadOf sorted its argument in place")
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3*time.Second, 2*time.Second); got != 1.5 {
		t.Errorf("ratio(3s, 2s) = %v, want 1.5", got)
	}
	for _, tc := range [][2]time.Duration{{0, time.Second}, {time.Second, 0}, {-1, time.Second}} {
		if got := ratio(tc[0], tc[1]); !math.IsNaN(got) {
			t.Errorf("ratio(%v, %v) = %v, want NaN for a missing figure", tc[0], tc[1], got)
		}
	}
}

// The steps and bytes of a cell are those of its median run, not of the
// first or the last.
func TestSummarise(t *testing.T) {
	runs := []measure{
		{Wall: 9 * time.Second, StepsRun: 9, StepsCached: 0, SentBytes: 900},
		{Wall: 1 * time.Second, StepsRun: 1, StepsCached: 8, SentBytes: 100},
		{Wall: 2 * time.Second, StepsRun: 2, StepsCached: 7, SentBytes: 200, Frontend: 1500 * time.Millisecond},
	}
	c := summarise("strata", "edit", runs)
	if c.MedianS != 2 || c.MinS != 1 || c.MaxS != 9 {
		t.Errorf("spread %v/%v/%v, want 2/1/9", c.MedianS, c.MinS, c.MaxS)
	}
	if c.StepsRun != 2 || c.StepsCached != 7 || c.SentBytes != 200 || c.FrontendS != 1.5 {
		t.Errorf("figures %+v are not the median run's", c)
	}
	if len(c.RunsS) != 3 || c.RunsS[0] != 9 {
		t.Errorf("runs %v, want every run in order", c.RunsS)
	}
	if empty := summarise("ko", "cold", nil); len(empty.RunsS) != 0 || empty.MedianS != 0 || empty.StepsRun != -1 || empty.SentBytes != -1 {
		t.Errorf("no runs gave %+v", empty)
	}
}

// The frontends' own vertices (what they read and resolve before returning
// the graph) are told from the graph's, by the names BuildKit and Strata
// give them.
func TestFrontendsOwn(t *testing.T) {
	for name, want := range map[string]bool{
		"[internal] load build definition from Dockerfile":                                        true,
		"[internal] load .dockerignore":                                                           true,
		"[internal] load files for detection":                                                     true,
		"resolve image config for docker-image://localhost:5000/strata:dev":                       true,
		"docker-image://localhost:5000/strata:dev@sha256:e384":                                    true,
		"[internal] load metadata for docker.io/library/golang:1.26":                              true,
		"[context gcr.io/distroless/static-debian12] load metadata for localhost:5000/bench/x":    true,
		"[internal] load build context go.mod go.sum":                                             false,
		"[internal] load build context":                                                           false,
		"[base] golang:1.26":                                                                      false,
		"[deps 1/1] go mod download":                                                              false,
		"[build 3/4] RUN --mount=type=bind,source=go.mod,target=go.mod go mod download":           false,
		"[context gcr.io/distroless/static-debian12] localhost:5000/bench/static-debian12:latest": false,
	} {
		if got := frontendsOwn(name); got != want {
			t.Errorf("frontendsOwn(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNewLayerBytes(t *testing.T) {
	before := map[string]int64{"sha256:base": 1000, "sha256:deps": 500, "sha256:app": 20}
	now := map[string]int64{"sha256:base": 1000, "sha256:deps": 500, "sha256:app2": 21}
	if got := newLayerBytes(before, now); got != 21 {
		t.Errorf("one layer changed: %d bytes, want 21", got)
	}
	if got := newLayerBytes(nil, now); got != 1521 {
		t.Errorf("nothing before: %d bytes, want every layer's 1521", got)
	}
	if got := newLayerBytes(now, now); got != 0 {
		t.Errorf("the same image: %d bytes, want 0", got)
	}
}
