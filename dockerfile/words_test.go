package dockerfile_test

import (
	"path"
	"slices"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/plan"
)

// Templates in the Dockerfile's own words (ENV, COPY, USER) expand from
// the declared ARGs to what Strata's LLB expands them to.
func TestDockerfileWordsMatchLLB(t *testing.T) {
	p := &plan.Plan{
		Provider: "test",
		Args:     []plan.Arg{{Name: "VERSION", Default: "1.0"}, {Name: "UID", Default: "1000"}},
		Stages: []plan.Stage{{
			Name: "s", From: plan.From{Image: "debian"}, Platform: plan.TargetPlatform,
			Env: []plan.Env{{Name: "V", Value: plan.Tmpl(`v${VERSION}-$$x "q" \`)}, {Name: "L", Value: plan.Lit(`$lit 'q'`)}},
			Steps: []plan.Step{{Name: "copy", Copy: &plan.Copy{
				From: plan.Source{Context: &plan.ContextFilter{Include: []plan.Str{plan.Tmpl("dir-${VERSION}")}}},
				Src:  plan.Tmpl("dir-${VERSION}"), Dest: plan.Tmpl("/opt/${VERSION#1}/a b"), Chown: plan.Tmpl("${UID}:${UID}"),
			}}},
		}},
		Targets: []plan.Target{{Name: "s", Stage: "s", Image: plan.Image{
			Env:  []plan.Env{{Name: "E", Value: plan.Tmpl("${VERSION}-${TARGETARCH}")}},
			User: plan.Tmpl("${UID}"),
		}}},
	}
	df, err := dockerfile.Render(p, dockerfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range []map[string]string{nil, {"VERSION": "2.0", "UID": "7"}} {
		llbOps, llbImg := llbConvert(t, p, args)
		dfOps, dfImg := convert(t, df, "", args)
		for _, name := range []string{"V", "L", "E"} {
			if w, g := env(llbImg.Config.Env, name), env(dfImg.Config.Env, name); w != g || w == "<unset>" {
				t.Errorf("args %v: %s=%q from the Dockerfile, %q from LLB", args, name, g, w)
			}
		}
		if llbImg.Config.User != dfImg.Config.User || dfImg.Config.User == "" {
			t.Errorf("args %v: user %q from the Dockerfile, %q from LLB", args, dfImg.Config.User, llbImg.Config.User)
		}
		w, g := copyOf(t, llbOps), copyOf(t, dfOps)
		if path.Clean("/"+w.Src) != g.Src || w.Dest != g.Dest || w.Owner.User.GetByID() != g.Owner.User.GetByID() {
			t.Errorf("args %v: copy %s → %s (%d) from the Dockerfile, %s → %s (%d) from LLB", args,
				g.Src, g.Dest, g.Owner.User.GetByID(), w.Src, w.Dest, w.Owner.User.GetByID())
		}
	}
}

func env(list []string, name string) string {
	i := slices.IndexFunc(list, func(kv string) bool { return len(kv) > len(name) && kv[:len(name)+1] == name+"=" })
	if i < 0 {
		return "<unset>"
	}
	return list[i][len(name)+1:]
}

func copyOf(t *testing.T, ops []*pb.Op) *pb.FileActionCopy {
	t.Helper()
	for _, op := range ops {
		if f := op.GetFile(); f != nil {
			for _, a := range f.Actions {
				if c := a.GetCopy(); c != nil {
					return c
				}
			}
		}
	}
	t.Fatal("no copy")
	return nil
}
