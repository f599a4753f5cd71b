package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/frontend/source"
)

// outsideMarker is the content of a file next to each bad context: no read
// may return it, no error may quote it.
const outsideMarker = "STRATA-OUTSIDE-THE-CONTEXT"

// TestBadInputCorpus plans every context under testdata/bad: each must fail
// within a few seconds, without a panic, with an error holding every line of
// its `want` file (file, line and key), and without reading anything outside
// the context. A case directory is the context itself plus:
//
//	want      the substrings the error must contain, one a line
//	symlinks  links to make, `name -> target`; $OUTSIDE is a file beside
//	          the context holding outsideMarker
//	generate  files too big or too odd to commit: `name "prefix" N "repeated" "suffix"` (Go quoting)
func TestBadInputCorpus(t *testing.T) {
	cases, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Errorf("%d cases, want at least 60", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			src := filepath.Join("testdata/bad", c.Name())
			want := lines(t, filepath.Join(src, "want"))
			if len(want) == 0 {
				t.Fatal("no want file")
			}
			dir := prepare(t, src)
			fsys := &watchFS{FS: source.Dir(dir), t: t}
			start := time.Now()
			err := planWithin(5*time.Second, func() error {
				data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
				if err != nil && !os.IsNotExist(err) {
					return err
				}
				s, err := Parse("Dockerfile", data)
				if err != nil {
					return err
				}
				_, err = Plan(context.Background(), s, fsys)
				return err
			})
			if took := time.Since(start); took > time.Second {
				t.Logf("took %v", took)
			}
			if err == nil {
				t.Fatalf("planned without an error, want %q", want)
			}
			msg := err.Error()
			t.Logf("%.2000s", msg)
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, outsideMarker) {
				t.Errorf("the error quotes a file outside the context:\n%s", msg)
			}
		})
	}
}

// planWithin runs plan with a watchdog: a hang or a panic fails the case.
func planWithin(limit time.Duration, plan func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("PANIC: %v\n%s", p, debug.Stack())
			}
		}()
		done <- plan()
	}()
	select {
	case err := <-done:
		if err != nil && strings.HasPrefix(err.Error(), "PANIC: ") {
			panic(err)
		}
		return err
	case <-time.After(limit):
		return fmt.Errorf("HANG: no answer after %v", limit)
	}
}

// watchFS fails the test when a read returns anything from outside.
type watchFS struct {
	source.FS
	t *testing.T
}

func (w *watchFS) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	dt, err := w.FS.ReadFile(ctx, name, limit)
	if strings.Contains(string(dt), outsideMarker) {
		w.t.Errorf("%s: read a file outside the context", name)
	}
	return dt, err
}

func lines(t *testing.T, name string) []string {
	t.Helper()
	dt, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(dt), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// prepare copies a case into a fresh context beside a file holding
// outsideMarker, and makes its symlinks and generated files.
func prepare(t *testing.T, src string) string {
	t.Helper()
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	if err := os.WriteFile(outside, []byte(outsideMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "ctx")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch {
		case rel == "want" || rel == "symlinks" || rel == "generate":
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(t, filepath.Join(src, "symlinks")) {
		name, target, ok := strings.Cut(l, " -> ")
		if !ok {
			t.Fatalf("symlinks: %q is not `name -> target`", l)
		}
		target = strings.ReplaceAll(target, "$OUTSIDE", outside)
		link := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(src, "generate"))
	if os.IsNotExist(err) {
		return dir
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var name, prefix, rep, suffix string
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "%s %q %d %q %q", &name, &prefix, &n, &rep, &suffix); err != nil {
			t.Fatalf("generate: %q: %v", sc.Text(), err)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(prefix+strings.Repeat(rep, n)+suffix), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
