package dockerfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// block is one stage of the Dockerfile: a plan stage or a part of one, a
// helper stage holding part of the build context, or a target's alias.
type block struct {
	name     string
	platform plan.Platform
	// A plan stage's steps [lo, hi); first when the block starts the
	// stage (its FROM, env and workdir), last when it ends it.
	stage       *plan.Stage
	lo, hi      int
	first, last bool
	// from is the Dockerfile stage a later part or an alias starts from.
	from string
	// files: a helper stage with these context paths.
	files *plan.ContextFilter
	// target: its image config goes at the end of this block.
	target *plan.Target
}

// outputAt is where an output mount's files are in the Dockerfile: a
// Dockerfile has no output mounts, so the step writes them into its stage.
type outputAt struct {
	stage, path string
}

// layout decides the Dockerfile's stages before anything is written:
// names, where outputs and narrowed contexts live, where each target's
// image config goes and that the default target comes last.
type layout struct {
	blocks  []*block
	names   map[string]string   // plan stage → the Dockerfile stage with its final state
	outputs map[string]outputAt // output name → the stage holding it
	files   map[string]string   // context filter → helper stage
	taken   map[string]bool
	orgCA   string // the stage holding the organisation's CA bundle, if any
}

// validStageName is what the Dockerfile accepts after AS.
var validStageName = regexp.MustCompile(`^[a-z][a-z0-9-_.]*$`)

func newLayout(p *plan.Plan) (*layout, error) {
	l := &layout{names: map[string]string{}, outputs: map[string]outputAt{}, files: map[string]string{}, taken: map[string]bool{}}
	for _, t := range p.Targets {
		if !validStageName.MatchString(t.Name) {
			return nil, fmt.Errorf("target %q is not a Dockerfile stage name (lower case letters, digits, - _ .)", t.Name)
		}
		l.taken[t.Name] = true
	}
	inStage := configInStage(p)
	for _, s := range p.WalkAll().Stages {
		if !validStageName.MatchString(s.Name) {
			return nil, fmt.Errorf("stage %q is not a Dockerfile stage name (lower case letters, digits, - _ .)", s.Name)
		}
		name := s.Name
		if l.taken[name] && inStage[name] == nil {
			// A target of that name is an alias of another stage.
			name = l.unique(name + "-stage")
		}
		l.taken[name] = true
		l.names[s.Name] = name
	}
	if p.CA != "" {
		l.orgCA = l.unique("org-ca")
	}
	var deferred *block
	for _, s := range p.WalkAll().Stages {
		l.addFiles(s)
		l.addParts(s, inStage[s.Name])
		for i := range p.Targets {
			t := &p.Targets[i]
			if t.Stage != s.Name || inStage[s.Name] == t {
				continue
			}
			alias := &block{name: t.Name, platform: s.Platform, from: l.names[s.Name], target: t}
			if t.Default {
				deferred = alias // the default target is the last stage
				continue
			}
			l.blocks = append(l.blocks, alias)
		}
	}
	if deferred != nil {
		l.blocks = append(l.blocks, deferred)
	}
	return l, nil
}

// configInStage maps a stage to the target whose image config can go at
// its end: one named as the stage, alone on it, with no stage built FROM
// it (the config would leak into that stage), and last if it is the
// default. Every other target gets an alias stage.
func configInStage(p *plan.Plan) map[string]*plan.Target {
	parents := map[string]bool{}
	perStage := map[string]int{}
	for _, s := range p.Stages {
		parents[s.From.Stage] = true
	}
	for _, t := range p.Targets {
		perStage[t.Stage]++
	}
	last := p.Stages[len(p.Stages)-1].Name
	out := map[string]*plan.Target{}
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.Name == t.Stage && !parents[t.Stage] && perStage[t.Stage] == 1 && (!t.Default || t.Stage == last) {
			out[t.Stage] = t
		}
	}
	return out
}

// addParts splits a stage after each step that makes an output another
// step copies: later steps (of this stage too) copy it from that part,
// as the plan copies the output as it was right after its step.
func (l *layout) addParts(s *plan.Stage, target *plan.Target) {
	lo := 0
	for i := range s.Steps {
		out := outputsOf(&s.Steps[i])
		if len(out) == 0 {
			continue
		}
		name := l.names[s.Name]
		if i < len(s.Steps)-1 {
			name = l.unique(l.names[s.Name] + "-" + out[0].Name)
			l.part(s, name, lo, i+1)
			lo = i + 1
		}
		for _, m := range out {
			l.outputs[m.Name] = outputAt{stage: name, path: m.Target}
		}
	}
	l.part(s, l.names[s.Name], lo, len(s.Steps))
	end := l.blocks[len(l.blocks)-1]
	end.last, end.target = true, target
}

func (l *layout) part(s *plan.Stage, name string, lo, hi int) {
	b := &block{name: name, platform: s.Platform, stage: s, lo: lo, hi: hi, first: lo == 0}
	if !b.first {
		b.from = l.blocks[len(l.blocks)-1].name
	}
	l.blocks = append(l.blocks, b)
}

func outputsOf(step *plan.Step) []plan.Mount {
	var out []plan.Mount
	if step.Run != nil {
		for _, m := range step.Run.Mounts {
			if m.Type == plan.OutputMount {
				out = append(out, m)
			}
		}
	}
	return out
}

// addFiles adds a helper stage for each narrowed context a bind mount of
// the stage needs (a bind of the context cannot pick paths; a bind from a
// stage holding only them keys the step on those files alone).
func (l *layout) addFiles(s *plan.Stage) {
	walk := plan.Walk{Stages: []*plan.Stage{s}}
	for _, m := range walk.Mounts() {
		if m.Type != plan.BindMount || m.From.Context == nil || len(m.From.Context.Include) == 0 {
			continue
		}
		key := filterKey(m.From.Context)
		if _, ok := l.files[key]; ok {
			continue
		}
		name := l.unique(l.names[s.Name] + "-files")
		l.files[key] = name
		l.blocks = append(l.blocks, &block{name: name, platform: s.Platform, files: m.From.Context})
	}
}

func filterKey(f *plan.ContextFilter) string {
	var b strings.Builder
	for _, s := range f.Include {
		fmt.Fprintf(&b, "%t%q ", s.Template, s.Text)
	}
	b.WriteString("|")
	for _, s := range f.Exclude {
		fmt.Fprintf(&b, "%q ", s)
	}
	return b.String()
}

// unique returns name, or name-2, name-3 … when it is taken.
func (l *layout) unique(name string) string {
	out := name
	for i := 2; l.taken[out]; i++ {
		out = name + "-" + strconv.Itoa(i)
	}
	l.taken[out] = true
	return out
}
