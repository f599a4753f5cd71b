//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Figures for the sample service on the real daemon; hack/bench.sh runs
// them. Timings are reported, never asserted.

// BenchmarkColdBuild builds on an empty daemon: base images pulled, modules
// downloaded, everything compiled.
func BenchmarkColdBuild(b *testing.B) {
	bed := testBed(b)
	for b.Loop() {
		b.StopTimer()
		dir := bed.example(b, "go-service")
		c := startDaemon(b, bed)
		b.StartTimer()
		if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSourceEditRebuild edits one .go file between builds: only the
// compile step and the runtime layer it feeds run again.
func BenchmarkSourceEditRebuild(b *testing.B) {
	bed := testBed(b)
	c := bed.client(b)
	dir := bed.example(b, "go-service")
	if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
		b.Fatal(err)
	}
	greet := filepath.Join(dir, "internal", "greet", "greet.go")
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		src := "package greet\n\nfunc Hello() string { return \"hello " + strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(i) + "\" }\n"
		if err := os.WriteFile(greet, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoChangeRebuild is the floor: nothing changed, everything cached.
func BenchmarkNoChangeRebuild(b *testing.B) {
	bed := testBed(b)
	c := bed.client(b)
	dir := bed.example(b, "go-service")
	if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := bed.solve(b, c, build{dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImageSize reports the compressed size of the runtime image.
func BenchmarkImageSize(b *testing.B) {
	bed := testBed(b)
	c := bed.client(b)
	dir := bed.example(b, "go-service")
	out := filepath.Join(b.TempDir(), "image.tar")
	for b.Loop() {
		if _, err := bed.solve(b, c, build{dir: dir, exports: ociExport(out)}); err != nil {
			b.Fatal(err)
		}
	}
	img := readOCI(b, out)[0]
	var size int
	for _, l := range img.Layers {
		size += len(l)
	}
	b.ReportMetric(float64(size), "image-bytes")
	b.ReportMetric(float64(len(img.Layers)), "layers")
}

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
