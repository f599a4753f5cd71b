package spec

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// billionLaughs is the YAML alias bomb: ten levels of ten aliases each,
// 10^9 strings if anything expanded it.
func billionLaughs(under string) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		b.WriteString(strings.Replace("aN: &aN [", "N", string(rune('0'+i)), 2))
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String() + under
}

// An alias bomb is rejected at once with a located error, and parsing it
// allocates about what the file is, not what it would expand to.
func TestAliasBombIsCheap(t *testing.T) {
	for name, tail := range map[string]string{
		"top level":   "",
		"list":        "run:\n  cmd: *a9\n",
		"env":         "run:\n  env: {A: *a9}\n",
		"packages":    "build:\n  packages: *a9\n",
		"section":     "go:\n  tags: *a9\n",
		"secret list": "build:\n  secrets: *a9\n",
	} {
		t.Run(name, func(t *testing.T) {
			in := billionLaughs(tail)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			s, err := Parse("Dockerfile", []byte(in), sections)
			if err == nil && s.Sections["go"] != nil {
				var g struct {
					Tags Value[[]string] `yaml:"tags"`
				}
				err = s.Sections["go"].Decode(&g)
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in: %v, %d KiB allocated: %v", len(in), took, alloc>>10, err)
			if err == nil {
				t.Fatal("an alias bomb was accepted")
			}
			if !strings.Contains(err.Error(), "Dockerfile:1:1: a0: unknown key") {
				t.Errorf("the first problem should be the unknown key a0: %v", err)
			}
			// Far below what 10^9 strings would take, far above what it
			// needs (a few hundred KiB): a bound, not a timing.
			if alloc > 64<<20 {
				t.Errorf("parsing allocated %d MiB", alloc>>20)
			}
		})
	}
}

func TestHugeDescriptionIsRefused(t *testing.T) {
	in := "# syntax=x\nrun:\n  env:\n" + strings.Repeat("    A: "+strings.Repeat("x", 100)+"\n", MaxDescription/100)
	_, err := Parse("Dockerfile", []byte(in), sections)
	if err == nil || !strings.Contains(err.Error(), "more than the 256 KiB Strata reads") {
		t.Errorf("err = %v", err)
	}
}

// Deep nesting is an error, not a stack overflow.
func TestDeepNestingIsAnError(t *testing.T) {
	for _, in := range []string{
		"run:\n  env: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n",
		"run:\n  env: " + strings.Repeat("{a: ", 20000) + "x" + strings.Repeat("}", 20000) + "\n",
	} {
		_, err := Parse("Dockerfile", []byte(in), sections)
		t.Logf("%.200v", err)
		if err == nil {
			t.Errorf("accepted")
		}
	}
}
