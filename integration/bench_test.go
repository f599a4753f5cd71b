//go:build integration

package integration

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// A figure for go.binaries beside hack/bench's side-by-side tables (run
// with go test -tags integration -bench BinariesEditOneRebuild ./integration).
// Timings are reported, never asserted.

// BenchmarkBinariesEditOneRebuild edits one binary's main package of the
// two go.binaries builds: the one go build re-runs (compiling that package,
// linking both), the download does not.
func BenchmarkBinariesEditOneRebuild(b *testing.B) {
	bed := testBed(b)
	c := bed.client(b)
	dir := bed.example(b, "go-multi")
	if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
		b.Fatal(err)
	}
	worker := filepath.Join(dir, "cmd", "worker", "main.go")
	prev := `"archive"`
	for b.Loop() {
		b.StopTimer()
		next := `"archive-` + strconv.FormatInt(time.Now().UnixNano(), 36) + `"`
		edit(b, worker, prev, next)
		prev = next
		b.StartTimer()
		if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}
