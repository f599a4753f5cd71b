// Package llb turns a build plan into BuildKit LLB and an image config for
// one target platform. It is a pure converter: everything it needs from a
// daemon (base images, the build context) comes through Options, so tests
// run without one.
package llb

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"sync"
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

// ContextPaths narrows the build context: a step gets only these paths.
type ContextPaths struct {
	Include []string
	Exclude []string
}

// Options is everything the conversion depends on besides the plan.
type Options struct {
	Target         string // "" builds the plan's default target
	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform
	BuildArgs      map[string]string
	// Context returns the build context narrowed to some paths.
	Context   func(ContextPaths) (bk.State, error)
	Images    ImageResolver
	CacheNS   string                  // BUILDKIT_CACHE_MOUNT_NS
	NoCache   func(stage string) bool // --no-cache / --no-cache-filter
	Epoch     *time.Time              // SOURCE_DATE_EPOCH
	SourceMap *bk.SourceMap           // the description, for step locations
	// Record is what the build was planned from (settings, args): a source
	// of every step, so provenance (mode=max) records it as it records
	// the description.
	Record *bk.SourceMap
	Labels map[string]string // --label
}

// Result is the target's state and image config.
type Result struct {
	State     bk.State
	Image     *dockerspec.DockerOCIImage
	BaseImage *dockerspec.DockerOCIImage
	// Scans are the states of the target's stages the plan marks for an
	// SBOM scan beside the image, by stage name.
	Scans map[string]bk.State
	// IgnoreCache: --no-cache applies to the target or a scanned stage,
	// so their scans must not come from cache either.
	IgnoreCache bool
}

// stageState is a converted stage: its filesystem, its image config and the
// outputs its steps made.
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
	bases  map[*plan.Stage]base // resolved before the stages are converted
}

// base is a stage's resolved base image.
type base struct {
	st  bk.State
	cfg *dockerspec.DockerOCIImage
	err error
}

// Convert builds the LLB of the requested target for opt.TargetPlatform.
func Convert(ctx context.Context, p *plan.Plan, opt Options) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	target, ok := p.Target(opt.Target)
	if !ok {
		return nil, fmt.Errorf("unknown target %q (%s)", opt.Target, spec.Suggest(opt.Target, p.TargetNames()))
	}
	walk, _ := p.WalkTarget(target.Name)
	c := &converter{p: p, opt: opt, args: argValues(p, opt), proxy: proxyEnv(opt.BuildArgs), stages: map[string]*stageState{}}
	c.resolveBases(ctx, walk.Stages)
	for _, s := range walk.Stages {
		if err := c.stage(ctx, s); err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
	}
	out := c.stages[target.Stage]
	img := out.img
	c.applyImage(img, &target.Image)
	for k, v := range sortedMap(opt.Labels) {
		img.Config.Labels[k] = v
	}
	res := &Result{State: out.st, Image: img, BaseImage: out.base, Scans: map[string]bk.State{}}
	for _, s := range walk.Stages {
		if s.Scan && s.Name != target.Stage {
			res.Scans[s.Name] = c.stages[s.Name].st
		}
		if opt.NoCache != nil && opt.NoCache(s.Name) && (s.Scan || s.Name == target.Stage) {
			res.IgnoreCache = true
		}
	}
	return res, nil
}

func (c *converter) platform(s *plan.Stage) ocispecs.Platform {
	if s.Platform == plan.BuildPlatform {
		return c.opt.BuildPlatform
	}
	return c.opt.TargetPlatform
}

// resolveBases resolves the base image of every stage at once: each is a
// round trip to the daemon, and none waits on another. The stages are then
// converted in order, so the result and the first error do not depend on
// which resolve finished first.
func (c *converter) resolveBases(ctx context.Context, stages []*plan.Stage) {
	c.bases = map[*plan.Stage]base{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range stages {
		if s.From.Stage != "" || s.From.Image == plan.Scratch {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, cfg, err := c.opt.Images.Resolve(ctx, s.From.Image, c.platform(s))
			mu.Lock()
			c.bases[s] = base{st, cfg, err}
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func (c *converter) stage(ctx context.Context, s *plan.Stage) error {
	p := c.platform(s)
	ss := &stageState{outputs: map[string]bk.State{}}
	switch {
	case s.From.Stage != "":
		parent := c.stages[s.From.Stage]
		ss.st, ss.img, ss.base = parent.st, cloneImage(parent.img), parent.base
	case s.From.Image == plan.Scratch:
		ss.st, ss.img = bk.Scratch().Platform(p), emptyImage(p)
		ss.img.Created = c.opt.Epoch
	default:
		b := c.bases[s]
		st, cfg, err := b.st, b.cfg, b.err
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
			if cfg.Config.User != "" {
				ss.st = ss.st.User(cfg.Config.User)
			}
		}
		ss.img.Created = c.opt.Epoch
	}
	for _, e := range s.Env {
		v, ok := c.env(e)
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
	if dir := c.p.UnpackDir(s); dir != "" {
		c.unpackBase(ss, s, dir)
	}
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
		case step.Mkdir != nil:
			m := step.Mkdir
			opts := []bk.MkdirOption{bk.WithParents(true)}
			if !m.Chown.IsZero() {
				opts = append(opts, bk.WithUser(c.expand(m.Chown)))
			}
			ss.st = ss.st.File(bk.Mkdir(m.Path, os.FileMode(m.Mode), opts...), cons...)
		case step.Symlink != nil:
			ss.st = ss.st.File(bk.Symlink(step.Symlink.Target, step.Symlink.Link), cons...)
		case step.File != nil:
			c.file(ss, step.File, name, cons)
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

// unpackBase makes dir on the stage's base, owned as a Dockerfile's
// WORKDIR makes it: by the base image's user.
func (c *converter) unpackBase(ss *stageState, s *plan.Stage, dir string) {
	opts := []bk.MkdirOption{bk.WithParents(true)}
	if ss.base != nil && ss.base.Config.User != "" {
		opts = append(opts, bk.WithUser(ss.base.Config.User))
	}
	if c.opt.Epoch != nil {
		opts = append(opts, bk.WithCreatedTime(*c.opt.Epoch))
	}
	name := fmt.Sprintf("[%s] workdir %s", s.Name, dir)
	ss.st = ss.st.File(bk.Mkdir(dir, 0o755, opts...), c.constraints(s, &plan.Step{}, name)...)
	ss.img.History = append(ss.img.History, ocispecs.History{
		Created:   c.opt.Epoch,
		CreatedBy: "WORKDIR " + dir,
		Comment:   "strata",
	})
}

// constraints are the options every op of a step gets: its progress name,
// the description line it came from, and --no-cache.
func (c *converter) constraints(s *plan.Stage, step *plan.Step, name string) []bk.ConstraintsOpt {
	cons := []bk.ConstraintsOpt{bk.WithCustomName(name)}
	// Every step names the description as its source, so provenance
	// records it even when no line asked for a step; a step without a
	// line has no range, which error output then skips.
	if c.opt.SourceMap != nil {
		var ranges []*pb.Range
		if !step.Pos.IsZero() {
			line := int32(step.Pos.Line)
			ranges = []*pb.Range{{Start: &pb.Position{Line: line}, End: &pb.Position{Line: line}}}
		}
		cons = append(cons, c.opt.SourceMap.Location(ranges))
	}
	if c.opt.Record != nil {
		cons = append(cons, c.opt.Record.Location(nil))
	}
	if c.opt.NoCache != nil && c.opt.NoCache(s.Name) {
		cons = append(cons, bk.IgnoreCache)
	}
	return cons
}

// orgCA is the organisation's CA bundle as a state of its own, mounted
// into CA steps: never part of a layer.
func (c *converter) orgCA() bk.State {
	return bk.Scratch().File(bk.Mkfile(path.Base(plan.OrgCAPath), 0o444, []byte(c.p.CA)),
		bk.WithCustomName("[internal] organisation CA bundle"))
}

func (c *converter) run(ss *stageState, r *plan.Run, cons []bk.ConstraintsOpt) error {
	argv := c.expandAll(r.Args)
	prelude := ""
	if r.CA {
		prelude = c.p.Prelude() + "\n"
	}
	switch {
	case len(argv) == 0:
		argv = []string{"/bin/sh", "-c", prelude + c.expand(r.Script)}
	case r.Recover != nil:
		// The command stays argv: the shell runs it from its own arguments.
		argv = append([]string{"/bin/sh", "-c", prelude + r.Recover.Wrap(`"$@"`), "strata-recover"}, argv...)
	case r.CA:
		argv = append([]string{"/bin/sh", "-c", prelude + `exec "$@"`, "strata-ca"}, argv...)
	}
	opts := []bk.RunOption{bk.Args(argv)}
	if r.CA && c.p.CA != "" {
		opts = append(opts, bk.AddMount(path.Dir(plan.OrgCAPath), c.orgCA(), bk.Readonly))
	}
	if c.proxy != nil {
		opts = append(opts, bk.WithProxy(*c.proxy))
	}
	// Step-level options: the exec sees them, the stage after it does not.
	if r.Workdir != "" {
		opts = append(opts, bk.Dir(r.Workdir))
	}
	if r.User != "" {
		opts = append(opts, bk.User(r.User))
	}
	if r.Network == plan.NetworkNone {
		opts = append(opts, bk.Network(bk.NetModeNone))
	}
	for _, e := range r.Env {
		if v, ok := c.env(e); ok {
			opts = append(opts, bk.AddEnv(e.Name, v))
		}
	}
	var outputs []plan.Mount
	for _, m := range r.Mounts {
		opt, err := c.mount(m)
		if err != nil {
			return err
		}
		if m.Type == plan.OutputMount {
			outputs = append(outputs, m)
			continue
		}
		opts = append(opts, opt...)
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

var sharing = map[plan.Sharing]bk.CacheMountSharingMode{
	plan.SharingShared:  bk.CacheMountShared,
	plan.SharingPrivate: bk.CacheMountPrivate,
	plan.SharingLocked:  bk.CacheMountLocked,
}

func (c *converter) mount(m plan.Mount) ([]bk.RunOption, error) {
	switch m.Type {
	case plan.BindMount:
		src, err := c.source(m.From)
		if err != nil {
			return nil, err
		}
		opts := []bk.MountOption{bk.Readonly}
		if m.ReadWrite {
			opts = []bk.MountOption{bk.ForceNoOutput} // writes are discarded
		}
		if m.From.Path != "" {
			opts = append(opts, bk.SourcePath(path.Join("/", m.From.Path)))
		}
		return []bk.RunOption{bk.AddMount(m.Target, src, opts...)}, nil
	case plan.CacheMount:
		src, opts := bk.Scratch(), []bk.MountOption{bk.AsPersistentCacheDir(c.cacheID(m.CacheID), sharing[m.Sharing])}
		if m.UID != 0 || m.GID != 0 || m.Mode != 0 {
			// As the Dockerfile frontend does: the cache starts as a
			// directory with this owner and mode.
			mode := os.FileMode(0o755)
			if m.Mode != 0 {
				mode = os.FileMode(m.Mode)
			}
			src = bk.Scratch().File(bk.Mkdir("/cache", mode, bk.WithUIDGID(m.UID, m.GID)), bk.WithCustomName("[internal] cache directory "+m.Target))
			opts = append(opts, bk.SourcePath("/cache"))
		}
		return []bk.RunOption{bk.AddMount(m.Target, src, opts...)}, nil
	case plan.SecretMount:
		opts := []bk.SecretOption{bk.SecretID(m.ID)}
		if !m.Required {
			opts = append(opts, bk.SecretOptional)
		}
		if m.Env != "" {
			opts = append(opts, bk.SecretAsEnvName(m.Env))
			return []bk.RunOption{bk.AddSecretWithDest(m.ID, nil, opts...)}, nil
		}
		mode := 0o400
		if m.Mode != 0 {
			mode = int(m.Mode)
		}
		opts = append(opts, bk.SecretFileOpt(m.UID, m.GID, mode))
		target := m.Target
		return []bk.RunOption{bk.AddSecretWithDest(m.ID, &target, opts...)}, nil
	case plan.SSHMount:
		opts := []bk.SSHOption{bk.SSHID(m.ID), bk.SSHSocketTarget(m.Target)}
		if !m.Required {
			opts = append(opts, bk.SSHOptional)
		}
		ro := []bk.RunOption{bk.AddSSHSocket(opts...)}
		if m.Env != "" {
			ro = append(ro, bk.AddEnv(m.Env, m.Target))
		}
		return ro, nil
	case plan.TmpfsMount:
		return []bk.RunOption{bk.AddMount(m.Target, bk.Scratch(), bk.Tmpfs())}, nil
	case plan.OutputMount:
		return nil, nil
	}
	return nil, fmt.Errorf("unknown mount type %q", m.Type)
}

func (c *converter) copy(ss *stageState, cp *plan.Copy, name string, cons []bk.ConstraintsOpt) error {
	if cp.Link {
		// COPY --link: the layer is built on scratch and merged, so it does
		// not depend on (nor get rebuilt for) the layers below it. The ops
		// (and a diff the source makes) show as one line of progress.
		id := platforms.Format(c.opt.TargetPlatform) + " " + name
		cons = append(slices.Clip(cons), bk.ProgressGroup(id, name, true))
	}
	src, err := c.source(&cp.From, cons...)
	if err != nil {
		return err
	}
	info := &bk.CopyInfo{
		CreateDestPath:      true,
		CopyDirContentsOnly: true,
		FollowSymlinks:      true,
		ExcludePatterns:     cp.Exclude,
	}
	if cp.Chmod != 0 {
		info.Mode = &bk.ChmodOpt{Mode: os.FileMode(cp.Chmod)}
	}
	copyOpts := []bk.CopyOption{info}
	if !cp.Chown.IsZero() {
		copyOpts = append(copyOpts, bk.WithUser(c.expand(cp.Chown)))
	}
	action := bk.Copy(src, c.expand(cp.Src), c.expand(cp.Dest), copyOpts...)
	if cp.Link {
		layer := bk.Scratch().File(action, cons...)
		ss.st = bk.Merge([]bk.State{ss.st, layer}, cons...)
		return nil
	}
	ss.st = ss.st.File(action, cons...)
	return nil
}

// file writes a generated file, its parent directories first; linked, it
// gets a layer of its own as a linked copy does.
func (c *converter) file(ss *stageState, f *plan.File, name string, cons []bk.ConstraintsOpt) {
	var opts []bk.MkfileOption
	if !f.Chown.IsZero() {
		opts = append(opts, bk.WithUser(c.expand(f.Chown)))
	}
	action := bk.Mkdir(path.Dir(f.Path), 0o755, bk.WithParents(true)).
		Mkfile(f.Path, os.FileMode(f.Mode), []byte(f.Data), opts...)
	if f.Link {
		id := platforms.Format(c.opt.TargetPlatform) + " " + name
		cons = append(slices.Clip(cons), bk.ProgressGroup(id, name, true))
		ss.st = bk.Merge([]bk.State{ss.st, bk.Scratch().File(action, cons...)}, cons...)
		return
	}
	ss.st = ss.st.File(action, cons...)
}

// source is the state a copy or mount reads; cons name a diff it makes
// after the step that reads it, so progress shows no vertex of its own.
func (c *converter) source(src *plan.Source, cons ...bk.ConstraintsOpt) (bk.State, error) {
	switch {
	case src.Context != nil:
		return c.opt.Context(ContextPaths{Include: c.expandAll(src.Context.Include), Exclude: src.Context.Exclude})
	case src.Stage != "" && src.Own:
		st, _ := c.p.Stage(src.Stage)
		return bk.Diff(c.stages[st.From.Stage].st, c.stages[src.Stage].st, cons...), nil
	case src.Stage != "":
		return c.stages[src.Stage].st, nil
	case src.Output != "":
		if owner, ok := c.p.OutputStage(src.Output); ok {
			if st, ok := c.stages[owner.Name].outputs[src.Output]; ok {
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

func (c *converter) expand(s plan.Str) string { return s.Expand(c.lookup) }

func (c *converter) expandAll(in []plan.Str) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = c.expand(s)
	}
	return out
}

func (c *converter) env(e plan.Env) (string, bool) {
	v := c.expand(e.Value)
	return v, !(e.IfSet && v == "")
}

// applyImage puts a target's config on top of its stage's image config.
func (c *converter) applyImage(img *dockerspec.DockerOCIImage, pi *plan.Image) {
	for _, e := range pi.Env {
		if v, ok := c.env(e); ok {
			img.Config.Env = setEnv(img.Config.Env, e.Name, v)
		}
	}
	if pi.Entrypoint != nil {
		img.Config.Entrypoint = c.expandAll(pi.Entrypoint)
		// A new entrypoint drops the base image's Cmd, as in a Dockerfile.
		img.Config.Cmd = nil
	}
	if pi.Cmd != nil {
		img.Config.Cmd = c.expandAll(pi.Cmd)
	}
	if pi.WorkingDir != "" {
		img.Config.WorkingDir = pi.WorkingDir
	}
	if !pi.User.IsZero() {
		img.Config.User = c.expand(pi.User)
	}
	if len(pi.Ports) > 0 {
		img.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range pi.Ports {
			img.Config.ExposedPorts[port] = struct{}{}
		}
	}
	for k, v := range sortedMap(pi.Labels) {
		img.Config.Labels[k] = v
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
		pl = platforms.Normalize(pl)
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
		return fmt.Sprintf("COPY --link %s %s # strata: %s", step.Copy.Src.Text, step.Copy.Dest.Text, step.Name)
	case step.Copy != nil:
		return fmt.Sprintf("COPY %s %s # strata: %s", step.Copy.Src.Text, step.Copy.Dest.Text, step.Name)
	case step.File != nil:
		return fmt.Sprintf("COPY <<EOF %s # strata: %s", step.File.Path, step.Name)
	case step.Mkdir != nil:
		return fmt.Sprintf("MKDIR %s # strata: %s", step.Mkdir.Path, step.Name)
	case step.Symlink != nil:
		return fmt.Sprintf("SYMLINK %s -> %s # strata: %s", step.Symlink.Link, step.Symlink.Target, step.Name)
	}
	return "RUN " + step.Name + " # strata"
}

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
