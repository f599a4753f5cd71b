// Package llb turns a build plan into BuildKit LLB and an image config. It
// is a pure converter: everything it needs from a daemon (base images, the
// build context) comes through Options, so tests run without one.
package llb

import (
	"context"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// ImageResolver loads a base image for a platform: its root filesystem and
// config. The frontend resolves through dockerui named contexts first, so
// --build-context can redirect any image Strata uses.
type ImageResolver interface {
	Resolve(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error)
}

// Options is everything the conversion depends on besides the plan.
type Options struct {
	Target         string // "" builds the plan's default target
	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform
	BuildArgs      map[string]string
	// Context returns the build context narrowed by a filter.
	Context   func(plan.ContextFilter) (bk.State, error)
	Images    ImageResolver
	CacheNS   string                  // BUILDKIT_CACHE_MOUNT_NS
	NoCache   func(stage string) bool // --no-cache / --no-cache-filter
	Epoch     *time.Time              // SOURCE_DATE_EPOCH
	SourceMap *bk.SourceMap           // the description, for step locations
	Labels    map[string]string       // --label
}

// Result is the target's state and image config.
type Result struct {
	State     bk.State
	Image     *dockerspec.DockerOCIImage
	BaseImage *dockerspec.DockerOCIImage
}

// stageState is a converted stage: its filesystem, its image config and the
// history of the layers it added.
type stageState struct {
	st      bk.State
	img     *dockerspec.DockerOCIImage
	base    *dockerspec.DockerOCIImage
	outputs map[string]bk.State
}

type converter struct {
	p      *plan.Plan
	opt    Options
	args   map[string]string
	proxy  *bk.ProxyEnv // from the proxy build args, for every exec
	stages map[string]*stageState
}

// Convert builds the LLB of the requested target.
func Convert(ctx context.Context, p *plan.Plan, opt Options) (*Result, error) {
	target := p.DefaultTarget()
	if opt.Target != "" {
		t, ok := p.Target(opt.Target)
		if !ok {
			names := make([]string, 0, len(p.Targets))
			for _, t := range p.Targets {
				names = append(names, t.Name)
			}
			return nil, fmt.Errorf("unknown target %q (%s)", opt.Target, spec.Suggest(opt.Target, names))
		}
		target = t
	}
	c := &converter{p: p, opt: opt, args: argValues(p, opt), proxy: proxyEnv(opt.BuildArgs), stages: map[string]*stageState{}}
	needed := c.needed(target.Stage)
	for i := range p.Stages {
		s := &p.Stages[i]
		if !needed[s.Name] {
			continue
		}
		if err := c.stage(ctx, s); err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
	}
	out := c.stages[target.Stage]
	img := out.img
	if target.Default {
		c.finishImage(img)
	}
	for k, v := range sortedMap(opt.Labels) {
		img.Config.Labels[k] = v
	}
	return &Result{State: out.st, Image: img, BaseImage: out.base}, nil
}

// needed lists the stages the target depends on.
func (c *converter) needed(name string) map[string]bool {
	need := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if need[n] {
			return
		}
		need[n] = true
		s, ok := c.p.Stage(n)
		if !ok {
			return
		}
		if s.From.Stage != "" {
			visit(s.From.Stage)
		}
		for _, step := range s.Steps {
			for _, src := range stepSources(step) {
				if src.Stage != "" {
					visit(src.Stage)
				}
				if src.Output != "" {
					visit(c.outputStage(src.Output))
				}
			}
		}
	}
	visit(name)
	return need
}

func (c *converter) outputStage(output string) string {
	for _, s := range c.p.Stages {
		for _, step := range s.Steps {
			if step.Run == nil {
				continue
			}
			for _, m := range step.Run.Mounts {
				if m.Type == plan.OutputMount && m.Name == output {
					return s.Name
				}
			}
		}
	}
	return ""
}

func (c *converter) platform(s *plan.Stage) ocispecs.Platform {
	if s.Platform == plan.BuildPlatform {
		return c.opt.BuildPlatform
	}
	return c.opt.TargetPlatform
}

func (c *converter) stage(ctx context.Context, s *plan.Stage) error {
	p := c.platform(s)
	ss := &stageState{outputs: map[string]bk.State{}}
	switch {
	case s.From.Stage != "":
		parent, ok := c.stages[s.From.Stage]
		if !ok {
			return fmt.Errorf("stage %q comes before %q", s.Name, s.From.Stage)
		}
		ss.st, ss.img, ss.base = parent.st, cloneImage(parent.img), parent.base
	case s.From.Image == "scratch":
		ss.st, ss.img = bk.Scratch().Platform(p), emptyImage(p)
		ss.img.Created = c.opt.Epoch
	default:
		st, cfg, err := c.opt.Images.Resolve(ctx, s.From.Image, p)
		if err != nil {
			return c.imageError(s, err)
		}
		ss.st, ss.base = st, cfg
		ss.img = emptyImage(p)
		if cfg != nil {
			ss.img = cloneImage(cfg)
			setPlatform(ss.img, p)
			for _, kv := range cfg.Config.Env {
				k, v, _ := cut(kv)
				ss.st = ss.st.AddEnv(k, v)
			}
			if cfg.Config.WorkingDir != "" {
				ss.st = ss.st.Dir(cfg.Config.WorkingDir)
			}
		}
		ss.img.Created = c.opt.Epoch
	}
	for _, e := range s.Env {
		v, ok := c.expand(e)
		if !ok {
			continue
		}
		ss.st = ss.st.AddEnv(e.Name, v)
		ss.img.Config.Env = setEnv(ss.img.Config.Env, e.Name, v)
	}
	if s.Workdir != "" {
		ss.st = ss.st.Dir(s.Workdir)
		ss.img.Config.WorkingDir = s.Workdir
	}
	c.stages[s.Name] = ss
	for i := range s.Steps {
		step := &s.Steps[i]
		name := fmt.Sprintf("[%s %d/%d] %s", s.Name, i+1, len(s.Steps), step.Name)
		cons := c.constraints(s, step, name)
		var err error
		switch {
		case step.Run != nil:
			err = c.run(ss, step.Run, cons)
		case step.Copy != nil:
			err = c.copy(ss, step.Copy, name, cons)
		default:
			err = fmt.Errorf("step %q has neither run nor copy", step.Name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", step.Name, err)
		}
		ss.img.History = append(ss.img.History, ocispecs.History{
			Created:   c.opt.Epoch,
			CreatedBy: historyText(step),
			Comment:   "strata",
		})
	}
	return nil
}

// constraints are the options every op of a step gets: its progress name,
// the description line it came from, and --no-cache.
func (c *converter) constraints(s *plan.Stage, step *plan.Step, name string) []bk.ConstraintsOpt {
	cons := []bk.ConstraintsOpt{bk.WithCustomName(name)}
	if c.opt.SourceMap != nil && !step.Pos.IsZero() {
		line := int32(step.Pos.Line)
		cons = append(cons, c.opt.SourceMap.Location([]*pb.Range{{
			Start: &pb.Position{Line: line},
			End:   &pb.Position{Line: line},
		}}))
	}
	if c.opt.NoCache != nil && c.opt.NoCache(s.Name) {
		cons = append(cons, bk.IgnoreCache)
	}
	return cons
}

func (c *converter) run(ss *stageState, r *plan.Run, cons []bk.ConstraintsOpt) error {
	opts := []bk.RunOption{bk.Args(expandAll(r.Args, c.expandString))}
	if c.proxy != nil {
		opts = append(opts, bk.WithProxy(*c.proxy))
	}
	for _, e := range r.Env {
		if v, ok := c.expand(e); ok {
			opts = append(opts, bk.AddEnv(e.Name, v))
		}
	}
	var outputs []plan.Mount
	for _, m := range r.Mounts {
		switch m.Type {
		case plan.BindMount:
			src, err := c.source(m.From)
			if err != nil {
				return err
			}
			opts = append(opts, bk.AddMount(m.Target, src, bk.Readonly))
		case plan.CacheMount:
			opts = append(opts, bk.AddMount(m.Target, bk.Scratch(), bk.AsPersistentCacheDir(c.cacheID(m.CacheID), bk.CacheMountShared)))
		case plan.SecretMount:
			opts = append(opts, bk.AddSecret(m.Target, bk.SecretID(m.ID), bk.SecretOptional))
		case plan.SSHMount:
			opts = append(opts, bk.AddSSHSocket(bk.SSHID(m.ID), bk.SSHSocketTarget(m.Target), bk.SSHOptional))
			if m.Env != "" {
				opts = append(opts, bk.AddEnv(m.Env, m.Target))
			}
		case plan.OutputMount:
			outputs = append(outputs, m)
		default:
			return fmt.Errorf("unknown mount type %q", m.Type)
		}
	}
	for _, con := range cons {
		opts = append(opts, con)
	}
	exec := ss.st.Run(opts...)
	for _, m := range outputs {
		ss.outputs[m.Name] = exec.AddMount(m.Target, bk.Scratch())
	}
	ss.st = exec.Root()
	return nil
}

func (c *converter) copy(ss *stageState, cp *plan.Copy, name string, cons []bk.ConstraintsOpt) error {
	src, err := c.source(&cp.From)
	if err != nil {
		return err
	}
	action := bk.Copy(src, spec.Expand(cp.Src, c.lookup), spec.Expand(cp.Dest, c.lookup), &bk.CopyInfo{
		CreateDestPath:      true,
		CopyDirContentsOnly: true,
		FollowSymlinks:      true,
	})
	if cp.Link {
		// COPY --link: the layer is built on scratch and merged, so it does
		// not depend on (nor get rebuilt for) the layers below it. Both ops
		// show as one line of progress.
		id := platforms.Format(c.opt.TargetPlatform) + " " + name
		cons = append(slices.Clip(cons), bk.ProgressGroup(id, name, true))
		layer := bk.Scratch().File(action, cons...)
		ss.st = bk.Merge([]bk.State{ss.st, layer}, cons...)
		return nil
	}
	ss.st = ss.st.File(action, cons...)
	return nil
}

func (c *converter) source(src *plan.Source) (bk.State, error) {
	switch {
	case src == nil:
		return bk.State{}, fmt.Errorf("mount without a source")
	case src.Context != nil:
		return c.opt.Context(plan.ContextFilter{
			Include: expandAll(src.Context.Include, c.expandString),
			Exclude: expandAll(src.Context.Exclude, c.expandString),
		})
	case src.Stage != "":
		s, ok := c.stages[src.Stage]
		if !ok {
			return bk.State{}, fmt.Errorf("unknown stage %q", src.Stage)
		}
		return s.st, nil
	case src.Output != "":
		if owner, ok := c.stages[c.outputStage(src.Output)]; ok {
			if st, ok := owner.outputs[src.Output]; ok {
				return st, nil
			}
		}
		return bk.State{}, fmt.Errorf("no earlier step has an output named %q", src.Output)
	}
	return bk.State{}, fmt.Errorf("empty source")
}

func (c *converter) cacheID(id string) string {
	if c.opt.CacheNS == "" {
		return id
	}
	return path.Join(c.opt.CacheNS, id)
}

func (c *converter) lookup(name string) string { return c.args[name] }

func (c *converter) expand(e plan.Env) (string, bool) {
	v := spec.Expand(e.Value, c.lookup)
	return v, !(e.IfSet && v == "")
}

// finishImage applies the plan's runtime config on top of the base image's.
func (c *converter) finishImage(img *dockerspec.DockerOCIImage) {
	pi := c.p.Image
	for _, e := range pi.Env {
		if v, ok := c.expand(e); ok {
			img.Config.Env = setEnv(img.Config.Env, e.Name, v)
		}
	}
	img.Config.Entrypoint = expandAll(pi.Entrypoint, c.expandString)
	// A new entrypoint drops the base image's Cmd, as in a Dockerfile.
	img.Config.Cmd = expandAll(pi.Cmd, c.expandString)
	img.Config.WorkingDir = pi.WorkingDir
	img.Config.User = spec.Expand(pi.User, c.lookup)
	if len(pi.Ports) > 0 {
		img.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range pi.Ports {
			img.Config.ExposedPorts[port] = struct{}{}
		}
	}
	for k, v := range sortedMap(pi.Labels) {
		img.Config.Labels[k] = spec.Expand(v, c.lookup)
	}
}

// argValues resolves every arg the plan may name: declared defaults,
// --build-arg overrides and BuildKit's platform args.
func argValues(p *plan.Plan, opt Options) map[string]string {
	vals := map[string]string{}
	for _, a := range p.Args {
		vals[a.Name] = a.Default
		if v, ok := opt.BuildArgs[a.Name]; ok {
			vals[a.Name] = v
		}
	}
	for prefix, pl := range map[string]ocispecs.Platform{"BUILD": opt.BuildPlatform, "TARGET": opt.TargetPlatform} {
		vals[prefix+"PLATFORM"] = platforms.Format(pl)
		vals[prefix+"OS"] = pl.OS
		vals[prefix+"ARCH"] = pl.Architecture
		vals[prefix+"VARIANT"] = pl.Variant
	}
	return vals
}

func historyText(step *plan.Step) string {
	switch {
	case step.Copy != nil && step.Copy.Link:
		return fmt.Sprintf("COPY --link %s %s # strata: %s", step.Copy.Src, step.Copy.Dest, step.Name)
	case step.Copy != nil:
		return fmt.Sprintf("COPY %s %s # strata: %s", step.Copy.Src, step.Copy.Dest, step.Name)
	}
	return "RUN " + step.Name + " # strata"
}

// stepSources lists what a step reads besides its own stage.
func stepSources(step plan.Step) []plan.Source {
	var out []plan.Source
	if step.Copy != nil {
		out = append(out, step.Copy.From)
	}
	if step.Run != nil {
		for _, m := range step.Run.Mounts {
			if m.From != nil {
				out = append(out, *m.From)
			}
		}
	}
	return out
}

func (c *converter) expandString(s string) string { return spec.Expand(s, c.lookup) }

// imageError reports a base image that cannot be resolved at the
// description line that chose it, when a line did.
func (c *converter) imageError(s *plan.Stage, err error) error {
	msg := fmt.Sprintf("image %s cannot be resolved: %v", s.From.Image, err)
	hint := "check the name and that the registry serves it, or redirect it with --build-context " + s.From.Image + "=docker-image://<mirror>"
	if s.From.Pos.IsZero() {
		return fmt.Errorf("%s (%s)", msg, hint)
	}
	file := "Dockerfile"
	if c.opt.SourceMap != nil {
		file = c.opt.SourceMap.Filename
	}
	return &spec.Error{File: file, Pos: s.From.Pos, Key: s.From.Key, Msg: msg, Hint: hint}
}
