package provider

import (
	"fmt"
	"path"
	"sort"
	"strconv"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// NonRootUser is the runtime user unless `run.user` says otherwise: the
// distroless "nonroot" ids, which need no passwd entry on any base.
const NonRootUser = "65532:65532"

// AppDir is where the app lives in runtime images.
const AppDir = "/app"

// From says where a setting came from, for `strata plan`.
func From(s *spec.Spec, pos spec.Pos) string {
	if pos.IsZero() {
		return "default"
	}
	return fmt.Sprintf("%s line %d", s.File, pos.Line)
}

// Args turns the declared args into plan args.
func Args(s *spec.Spec) []plan.Arg {
	out := make([]plan.Arg, 0, len(s.Args))
	for _, a := range s.Args {
		out = append(out, plan.Arg{Name: a.Name, Default: a.Default})
	}
	return out
}

// CopySteps are the `run.copy` paths, each its own linked layer under AppDir.
func CopySteps(s *spec.Spec) []plan.Step {
	var steps []plan.Step
	for _, p := range s.Run.Copy.V {
		clean := path.Clean(p)
		steps = append(steps, plan.Step{
			Name: "copy " + clean,
			Copy: &plan.Copy{
				From: plan.Source{Context: &plan.ContextFilter{Include: []string{clean}}},
				Src:  clean,
				Dest: path.Join(AppDir, clean),
				Link: true,
			},
			Pos: s.Run.Copy.Pos,
		})
	}
	return steps
}

// RuntimeImage fills the image config from `run:`; entrypoint is the app's.
func RuntimeImage(s *spec.Spec, entrypoint []string, labels map[string]string) plan.Image {
	img := plan.Image{
		Entrypoint: entrypoint,
		Cmd:        s.Run.Cmd.V,
		WorkingDir: AppDir,
		User:       s.Run.User.Or(NonRootUser),
		Labels:     labels,
	}
	names := make([]string, 0, len(s.Run.Env.V))
	for k := range s.Run.Env.V {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		img.Env = append(img.Env, plan.Env{Name: k, Value: s.Run.Env.V[k]})
	}
	if s.Run.Port.Set {
		img.Ports = []string{strconv.Itoa(s.Run.Port.V) + "/tcp"}
	}
	return img
}
