//go:build linux

package privdrop

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The drop runs in a child process (it cannot be undone), which prints
// its own /proc status: ids and capabilities after ToNonroot.
func TestToNonroot(t *testing.T) {
	if os.Getenv("PRIVDROP_CHILD") == "1" {
		if err := ToNonroot(); err != nil {
			os.Stdout.WriteString("error: " + err.Error())
			os.Exit(1)
		}
		st, _ := os.ReadFile("/proc/self/status")
		os.Stdout.Write(st)
		os.Exit(0)
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to show the drop (CI runs as root)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestToNonroot$")
	cmd.Env = append(os.Environ(), "PRIVDROP_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]string{
		"Uid":    "65532\t65532\t65532\t65532",
		"Gid":    "65532\t65532\t65532\t65532",
		"Groups": "",
		"CapEff": "0000000000000000",
		"CapPrm": "0000000000000000",
	}
	for line := range strings.Lines(string(out)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if w, ok := want[k]; ok {
			if got := strings.TrimSpace(v); got != w {
				t.Errorf("%s: %q, want %q", k, got, w)
			}
			delete(want, k)
		}
	}
	if len(want) > 0 {
		t.Errorf("the child's status lacks %v:\n%s", want, out)
	}
}
