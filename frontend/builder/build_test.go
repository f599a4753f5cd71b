package builder

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

func TestWithSourceAttachesTheLine(t *testing.T) {
	data := []byte("# syntax=x\napp: go\ngo:\n  mian: .\n")
	sm := bk.NewSourceMap(nil, "Dockerfile", "YAML", data)
	s, err := spec.Parse("Dockerfile", data, []string{"go"})
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Main spec.Value[string] `yaml:"main"`
	}
	err = s.Sections["go"].Decode(&g)
	wrapped := withSource(fmt.Errorf("planning: %w", err), sm)
	srcs := errdefs.Sources(wrapped)
	if len(srcs) != 1 || srcs[0].Info.Filename != "Dockerfile" || srcs[0].Ranges[0].Start.Line != 4 || string(srcs[0].Info.Data) != string(data) {
		t.Fatalf("sources = %v", srcs)
	}
	// errors without a position, or from another file, pass unchanged
	for _, e := range []error{errors.New("plain"), &spec.Error{File: "Dockerfile", Msg: "no position"}, &spec.Error{File: "go.mod", Pos: spec.Pos{Line: 1}}} {
		if got := withSource(e, sm); len(errdefs.Sources(got)) != 0 {
			t.Errorf("%v gained a source", e)
		}
	}
}

func TestNotExist(t *testing.T) {
	if err := notExist("go.work", errors.New("rpc error: stat go.work: no such file or directory")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	other := errors.New("permission denied")
	if err := notExist("x", other); err != other {
		t.Errorf("other errors must pass unchanged: %v", err)
	}
}

func TestWithSourceAttachesEveryLine(t *testing.T) {
	data := []byte("# syntax=x\nrun:\n  prot: 80\n  port: 0\nbogus: 1\n")
	sm := bk.NewSourceMap(nil, "Dockerfile", "YAML", data)
	_, err := spec.Parse("Dockerfile", data, []string{"go"})
	srcs := errdefs.Sources(withSource(err, sm))
	if len(srcs) != 1 || len(srcs[0].Ranges) != 3 {
		t.Fatalf("want one source with three ranges, got %v", srcs)
	}
	for i, line := range []int32{3, 4, 5} {
		if got := srcs[0].Ranges[i].Start.Line; got != line {
			t.Errorf("range %d at line %d, want %d", i, got, line)
		}
	}
}

// A build arg the plan does not read is named with a hint: another tool's
// setting says what to pass instead, a near miss the declared name.
func TestUnusedArgWarnings(t *testing.T) {
	p := &plan.Plan{
		Args:   []plan.Arg{{Name: "VERSION"}, {Name: "UV_DEFAULT_INDEX", PassThrough: true}},
		Unread: map[string]string{"PIP_INDEX_URL": "uv installs this app's dependencies and reads none of pip's settings: pass UV_DEFAULT_INDEX"},
	}
	got := unusedArgWarnings(p, map[string]string{"VERSOIN": "1", "PIP_INDEX_URL": "https://mirror.example/simple/", "VERSION": "1", "OTHER": "x"}, "Dockerfile")
	want := []string{
		"build arg OTHER is not used by Dockerfile (declare it under `args:` to use it)",
		"build arg PIP_INDEX_URL is not used by Dockerfile (uv installs this app's dependencies and reads none of pip's settings: pass UV_DEFAULT_INDEX)",
		"build arg VERSOIN is not used by Dockerfile (did you mean `VERSION`?)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings\n%q\nwant\n%q", got, want)
	}
}
