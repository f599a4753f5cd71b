package plan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The wrapper runs under a real /bin/sh: the repair runs only after a
// failure that printed Match, the command then runs once more, and any
// other outcome keeps the command's own exit status.
func TestRecoverWrap(t *testing.T) {
	// tool fails with its first argument's message until the file "mended"
	// exists; the repair makes it.
	const tool = `tool() { if [ -e mended ]; then echo installed; else echo "$1" >&2; return 3; fi; }`
	rc := &Recover{Match: []string{"EINTEGRITY", "ENOENT: cache"}, Repair: "touch mended"}
	locked := *rc
	locked.Lock = "repair.lock"
	for _, tc := range []struct {
		name, cmd string
		rc        *Recover
		status    int
		output    []string // in order
		mended    bool
	}{
		{"damaged", `tool "npm error code EINTEGRITY"`, rc, 0, []string{"EINTEGRITY", "strata: a failure that prints EINTEGRITY or ENOENT: cache is a damaged cache: touch mended mends it", "installed"}, true},
		{"locked", `tool "npm error code EINTEGRITY"`, &locked, 0, []string{"EINTEGRITY", "installed"}, true},
		{"second match", `tool "npm error ENOENT: cache"`, rc, 0, []string{"ENOENT", "installed"}, true},
		{"other failure", `tool "npm error code E404"`, &locked, 3, []string{"E404"}, false},
		{"success", `echo ok`, rc, 0, []string{"ok"}, false},
		{"fails again", `tool "EINTEGRITY"; touch mended; false`, &locked, 1, []string{"EINTEGRITY", "strata: a failure"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("/bin/sh", "-c", tool+"\n"+tc.rc.wrap(tc.cmd, dir))
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Errorf("exit status %d, want %d\n%s", status, tc.status, out)
			}
			rest := string(out)
			for _, w := range tc.output {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if _, err := os.Stat(filepath.Join(dir, "mended")); (err == nil) != tc.mended {
				t.Errorf("repair ran: %v, want %v\n%s", err == nil, tc.mended, out)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"go": "go", "-modcache": "-modcache", "": "''", "a b": "'a b'", "it's": `'it'\''s'`, "$(x)": "'$(x)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
