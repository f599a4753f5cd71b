package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/spec"
)

// Validate checks that a plan is well formed: every renderer relies on it,
// so a provider's mistake becomes a clear bug report instead of a panic or
// a silently dropped step.
func (p *Plan) Validate() error {
	v := &validator{p: p, stages: map[string]int{}, outputs: map[string]string{}}
	v.check()
	if len(v.errs) == 0 {
		return nil
	}
	return &InvalidError{Provider: p.Provider, Problems: v.errs}
}

// InvalidError lists what is wrong with a plan, each with its path.
type InvalidError struct {
	Provider string
	Problems []string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid build plan from the %s provider (a Strata bug: please report it with this message):\n  %s",
		e.Provider, strings.Join(e.Problems, "\n  "))
}

type validator struct {
	p       *Plan
	errs    []string
	stages  map[string]int    // stage name → index, as stages are seen
	outputs map[string]string // output name → path of the step that makes it
}

func (v *validator) errorf(at, format string, a ...any) {
	v.errs = append(v.errs, at+": "+fmt.Sprintf(format, a...))
}

func (v *validator) check() {
	if len(v.p.Stages) == 0 {
		v.errorf("stages", "no stages")
	}
	for i := range v.p.Stages {
		v.stage(i, &v.p.Stages[i])
	}
	v.targets()
	for i, a := range v.p.Args {
		if !argName(a.Name) {
			v.errorf(fmt.Sprintf("args[%d]", i), "%q is not an arg name", a.Name)
		}
	}
}

func (v *validator) stage(i int, s *Stage) {
	at := fmt.Sprintf("stages[%d] (%s)", i, s.Name)
	switch {
	case s.Name == "":
		v.errorf(at, "stage without a name")
	case v.has(s.Name):
		v.errorf(at, "a second stage named %q", s.Name)
	}
	switch {
	case (s.From.Image == "") == (s.From.Stage == ""):
		v.errorf(at+".from", "exactly one of image and stage must be set")
	case s.From.Stage != "" && !v.has(s.From.Stage):
		v.errorf(at+".from", "stage %q is not an earlier stage", s.From.Stage)
	}
	if s.Platform != BuildPlatform && s.Platform != TargetPlatform {
		v.errorf(at+".platform", "%q is neither %q nor %q", s.Platform, BuildPlatform, TargetPlatform)
	}
	if s.Workdir != "" && !path.IsAbs(s.Workdir) {
		v.errorf(at+".workdir", "%q is not absolute", s.Workdir)
	}
	v.env(at+".env", s.Env)
	for j := range s.Steps {
		v.step(fmt.Sprintf("%s.steps[%d] (%s)", at, j, s.Steps[j].Name), &s.Steps[j])
	}
	v.stages[s.Name] = i
}

func (v *validator) has(stage string) bool { _, ok := v.stages[stage]; return ok }

// base is the stage an earlier stage starts from, "" for an image.
func (v *validator) base(stage string) string {
	if i, ok := v.stages[stage]; ok {
		return v.p.Stages[i].From.Stage
	}
	return ""
}

func (v *validator) step(at string, s *Step) {
	actions := 0
	for _, set := range []bool{s.Run != nil, s.Copy != nil, s.File != nil, s.Mkdir != nil, s.Symlink != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		v.errorf(at, "a step needs exactly one of run, copy, file, mkdir and symlink, it has %d", actions)
	}
	for str := range s.Strs() {
		v.str(at, str)
	}
	switch {
	case s.Run != nil:
		v.run(at+".run", s.Run)
	case s.Copy != nil:
		if s.Copy.Src.Text == "" || s.Copy.Dest.Text == "" {
			v.errorf(at+".copy", "copy without a source path or a destination")
		}
		v.source(at+".copy.from", &s.Copy.From)
	case s.File != nil:
		if !path.IsAbs(s.File.Path) || path.Clean(s.File.Path) == "/" || s.File.Mode == 0 {
			v.errorf(at+".file", "a file needs an absolute path and a mode")
		}
	case s.Mkdir != nil:
		if !path.IsAbs(s.Mkdir.Path) {
			v.errorf(at+".mkdir", "%q is not absolute", s.Mkdir.Path)
		}
	case s.Symlink != nil:
		if s.Symlink.Target == "" || !path.IsAbs(s.Symlink.Link) {
			v.errorf(at+".symlink", "a symlink needs a target and an absolute link path")
		}
	}
}

func (v *validator) run(at string, r *Run) {
	if (len(r.Args) == 0) == r.Script.IsZero() {
		v.errorf(at, "exactly one of args (exec form) and script (shell form) must be set")
	}
	if r.Network != NetworkDefault && r.Network != NetworkNone {
		v.errorf(at+".network", "unknown network %q", r.Network)
	}
	if r.Workdir != "" && !path.IsAbs(r.Workdir) {
		v.errorf(at+".workdir", "%q is not absolute", r.Workdir)
	}
	v.env(at+".env", r.Env)
	if rc := r.Recover; rc != nil && !rc.fits(r) {
		v.errorf(at+".recover", "a recover needs a match, a repair, an exec-form command and a tmpfs at %s (see Recoverable)", RecoverDir)
	}
	targets := map[string]bool{}
	for i := range r.Mounts {
		m := &r.Mounts[i]
		mat := fmt.Sprintf("%s.mounts[%d] (%s %s)", at, i, m.Type, m.Target)
		if m.Target != "" {
			if targets[m.Target] {
				v.errorf(mat, "a second mount at %s", m.Target)
			}
			targets[m.Target] = true
			if !path.IsAbs(m.Target) {
				v.errorf(mat, "target %q is not absolute", m.Target)
			}
		}
		v.mount(mat, m)
	}
}

func (v *validator) mount(at string, m *Mount) {
	need := func(ok bool, what string) {
		if !ok {
			v.errorf(at, "a %s mount needs %s", m.Type, what)
		}
	}
	switch m.Type {
	case CacheMount:
		need(m.Target != "" && m.CacheID != "", "a target and a cache id")
		if !slices.Contains([]Sharing{SharingShared, SharingPrivate, SharingLocked}, m.Sharing) {
			v.errorf(at, "unknown sharing %q", m.Sharing)
		}
	case BindMount:
		need(m.Target != "" && m.From != nil, "a target and a source")
		if m.From != nil {
			v.source(at+".from", m.From)
		}
	case SecretMount:
		need(m.ID != "" && (m.Target == "") != (m.Env == ""), "an id and either a target file or an env variable")
	case SSHMount:
		need(m.ID != "" && m.Target != "", "an id and a socket path")
	case TmpfsMount:
		need(m.Target != "", "a target")
	case OutputMount:
		need(m.Target != "" && m.Name != "", "a target and a name")
		if prev, dup := v.outputs[m.Name]; dup {
			v.errorf(at, "output %q is also made by %s", m.Name, prev)
		}
		v.outputs[m.Name] = at
	default:
		v.errorf(at, "unknown mount type %q", m.Type)
	}
	if m.From != nil && m.Type != BindMount {
		v.errorf(at, "only bind mounts have a source")
	}
}

func (v *validator) source(at string, s *Source) {
	set := 0
	for _, ok := range []bool{s.Context != nil, s.Output != "", s.Stage != ""} {
		if ok {
			set++
		}
	}
	switch {
	case set != 1:
		v.errorf(at, "a source is exactly one of context, output and stage")
	case s.Stage != "" && !v.has(s.Stage):
		v.errorf(at, "stage %q is not an earlier stage", s.Stage)
	case s.Own && (s.Stage == "" || v.base(s.Stage) == ""):
		v.errorf(at, "own layers are those of a stage that starts from another stage")
	case s.Output != "" && v.outputs[s.Output] == "":
		v.errorf(at, "no earlier step has an output named %q", s.Output)
	}
}

func (v *validator) env(at string, env []Env) {
	for i, e := range env {
		if !argName(e.Name) {
			v.errorf(fmt.Sprintf("%s[%d]", at, i), "%q is not a variable name", e.Name)
		}
		v.str(fmt.Sprintf("%s[%d]", at, i), e.Value)
	}
}

// str checks that a template names only args the plan declares.
func (v *validator) str(at string, s Str) {
	if !s.Template {
		return
	}
	refs, err := spec.References(s.Text)
	if err != nil {
		v.errorf(at, "%v", err)
		return
	}
	for _, r := range refs {
		if !slices.Contains(spec.BuiltinArgs, r) && !slices.ContainsFunc(v.p.Args, func(a Arg) bool { return a.Name == r }) {
			v.errorf(at, "template %q names ${%s}, which the plan does not declare", s.Text, r)
		}
	}
}

func (v *validator) targets() {
	if len(v.p.Targets) == 0 {
		v.errorf("targets", "no targets")
	}
	names := map[string]bool{}
	defaults := 0
	for i, t := range v.p.Targets {
		at := fmt.Sprintf("targets[%d] (%s)", i, t.Name)
		if names[t.Name] || t.Name == "" {
			v.errorf(at, "target names must be unique and not empty")
		}
		names[t.Name] = true
		if !v.has(t.Stage) {
			v.errorf(at, "no stage named %q", t.Stage)
		}
		if t.Default {
			defaults++
		}
		for s := range t.Image.Strs() {
			v.str(at+".image", s)
		}
	}
	if defaults > 1 {
		v.errorf("targets", "%d default targets", defaults)
	}
}

func argName(s string) bool {
	refs, err := spec.References("${" + s + "}")
	return err == nil && len(refs) == 1 && refs[0] == s && !strings.Contains(s, "#")
}
