package plan

import (
	"iter"
	"slices"
)

// StepAt is a step with the stage it belongs to and its index there.
type StepAt struct {
	Stage *Stage
	Index int
	Step  *Step
}

// Walk is the one way renderers (llb, text, Dockerfile, lint, outline)
// visit a plan: the stages a target needs, in plan order (all stages for
// an empty target list), and each step in them.
type Walk struct {
	Stages []*Stage
}

// WalkTarget walks what target (the default when "") depends on. The plan
// must be valid.
func (p *Plan) WalkTarget(target string) (Walk, bool) {
	t, ok := p.Target(target)
	if !ok {
		return Walk{}, false
	}
	need := p.needs(t.Stage)
	var w Walk
	for i := range p.Stages {
		if need[p.Stages[i].Name] {
			w.Stages = append(w.Stages, &p.Stages[i])
		}
	}
	return w, true
}

// WalkAll walks every stage.
func (p *Plan) WalkAll() Walk {
	w := Walk{Stages: make([]*Stage, len(p.Stages))}
	for i := range p.Stages {
		w.Stages[i] = &p.Stages[i]
	}
	return w
}

// Steps yields every step of the walk in order.
func (w Walk) Steps() iter.Seq[StepAt] {
	return func(yield func(StepAt) bool) {
		for _, s := range w.Stages {
			for i := range s.Steps {
				if !yield(StepAt{Stage: s, Index: i, Step: &s.Steps[i]}) {
					return
				}
			}
		}
	}
}

// Mounts yields every mount of every Run step of the walk.
func (w Walk) Mounts() iter.Seq2[StepAt, *Mount] {
	return func(yield func(StepAt, *Mount) bool) {
		for at := range w.Steps() {
			if at.Step.Run == nil {
				continue
			}
			for i := range at.Step.Run.Mounts {
				if !yield(at, &at.Step.Run.Mounts[i]) {
					return
				}
			}
		}
	}
}

// Sources lists what a step reads besides its own stage.
func (s *Step) Sources() []Source {
	var out []Source
	if s.Copy != nil {
		out = append(out, s.Copy.From)
	}
	if s.Run != nil {
		for _, m := range s.Run.Mounts {
			if m.From != nil {
				out = append(out, *m.From)
			}
		}
	}
	return out
}

// OutputStage is the stage whose step has the output mount called name.
func (p *Plan) OutputStage(name string) (*Stage, bool) {
	for at, m := range p.WalkAll().Mounts() {
		if m.Type == OutputMount && m.Name == name {
			return at.Stage, true
		}
	}
	return nil, false
}

// needs lists the stages stage depends on, itself included.
func (p *Plan) needs(stage string) map[string]bool {
	need := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if need[n] {
			return
		}
		need[n] = true
		s, ok := p.Stage(n)
		if !ok {
			return
		}
		if s.From.Stage != "" {
			visit(s.From.Stage)
		}
		for _, step := range s.Steps {
			for _, src := range step.Sources() {
				switch {
				case src.Stage != "":
					visit(src.Stage)
				case src.Output != "":
					if o, ok := p.OutputStage(src.Output); ok {
						visit(o.Name)
					}
				}
			}
		}
	}
	visit(stage)
	return need
}

// Strs yields every string of a step that a renderer expands, so args can
// be checked and counted in one place.
func (s *Step) Strs() iter.Seq[Str] {
	return func(yield func(Str) bool) {
		var all []Str
		if r := s.Run; r != nil {
			all = slices.Concat(r.Args, []Str{r.Script}, envValues(r.Env))
			for _, m := range r.Mounts {
				if m.From != nil && m.From.Context != nil {
					all = append(all, m.From.Context.Include...)
				}
			}
		}
		if c := s.Copy; c != nil {
			all = append(all, c.Src, c.Dest, c.Chown)
			if c.From.Context != nil {
				all = append(all, c.From.Context.Include...)
			}
		}
		if s.Mkdir != nil {
			all = append(all, s.Mkdir.Chown)
		}
		if s.File != nil {
			all = append(all, s.File.Chown)
		}
		for _, v := range all {
			if !yield(v) {
				return
			}
		}
	}
}

// Strs yields every string of the walk's stages that a renderer expands:
// each stage's env and each step's strings (image configs are the
// targets', see Image.Strs).
func (w Walk) Strs() iter.Seq[Str] {
	return func(yield func(Str) bool) {
		for _, st := range w.Stages {
			for _, v := range envValues(st.Env) {
				if !yield(v) {
					return
				}
			}
		}
		for at := range w.Steps() {
			for v := range at.Step.Strs() {
				if !yield(v) {
					return
				}
			}
		}
	}
}

// Strs yields every string of an image config.
func (img *Image) Strs() iter.Seq[Str] {
	return func(yield func(Str) bool) {
		for _, v := range slices.Concat(img.Entrypoint, img.Cmd, envValues(img.Env), []Str{img.User}) {
			if !yield(v) {
				return
			}
		}
	}
}

func envValues(env []Env) []Str {
	out := make([]Str, len(env))
	for i, e := range env {
		out[i] = e.Value
	}
	return out
}
