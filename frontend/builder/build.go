// Package builder is the gateway glue: it reads the description through
// dockerui, runs the pipeline per target platform and solves the LLB.
package builder

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/record"
	"github.com/strata-build/strata/frontend/redact"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
	"github.com/strata-build/strata/llb"
)

// Build is the frontend's gateway entry point, with no organisation
// defaults.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	return build(ctx, c, nil)
}

// WithDefaults is the entry point of a frontend image that carries an
// organisation's defaults: every build starts from them. A defaults file
// that does not parse fails every build with its located error.
func WithDefaults(org *defaults.Defaults, orgErr error) client.BuildFunc {
	return func(ctx context.Context, c client.Client) (*client.Result, error) {
		if orgErr != nil {
			return nil, fmt.Errorf("the organisation defaults in this frontend image are invalid: %w", orgErr)
		}
		return build(ctx, c, org)
	}
}

func build(ctx context.Context, c client.Client, org *defaults.Defaults) (_ *client.Result, err error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "YAML")
	if err != nil {
		return nil, err
	}
	defer func() { err = withSource(err, src.SourceMap) }()

	j := &job{bc: bc, c: c, src: src, org: org, build: platforms.DefaultSpec()}
	if len(bc.BuildPlatforms) > 0 {
		j.build = bc.BuildPlatforms[0]
	}
	if bc.BuildOpts().Opts[keyRequestID] == subrequests.RequestSubrequestsDescribe {
		return describe()
	}
	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(ctx context.Context) (*targets.List, error) {
			p, err := j.plan(ctx)
			if err != nil {
				return nil, err
			}
			return targetList(p), nil
		},
		Outline: func(ctx context.Context) (*outline.Outline, error) {
			p, err := j.plan(ctx)
			if err != nil {
				return nil, err
			}
			return outlineOf(p), nil
		},
		Lint: j.lint,
	}); err != nil || ok {
		return res, err
	}

	if err := j.check(ctx); err != nil {
		return nil, err
	}
	if err := org.CheckBuild(bc.BuildArgs, bc.Labels, namedContexts(bc), j.redirected); err != nil {
		return nil, err
	}
	if err := j.warnUnusedArgs(ctx); err != nil {
		return nil, err
	}
	if err := j.warnSecretArgs(ctx); err != nil {
		return nil, err
	}
	if j.contexts, err = newContexts(ctx, bc); err != nil {
		return nil, err
	}
	if j.epoch, err = sourceDateEpoch(ctx, bc); err != nil {
		return nil, err
	}
	j.images = newImageResolver(bc, c, org)
	scanner, err := newScanner(ctx, bc, c)
	if err != nil {
		return nil, err
	}
	if scanner != nil {
		j.scans = &scanTargets{}
		if j.scanStages, j.scanContext, err = scanOptions(bc.BuildArgs); err != nil {
			return nil, err
		}
	}
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		// dockerui names a result without a platform after the default one.
		target, id := j.build, platforms.DefaultSpec()
		if platform != nil {
			target, id = *platform, *platform
		}
		return j.solve(ctx, target, id)
	})
	if err != nil {
		return nil, err
	}
	if scanner != nil {
		if err := attachSBOMs(ctx, c, rb, scanner, j.scans); err != nil {
			return nil, err
		}
	}
	return rb.Finalize()
}

// job is one build request: the description, the context and what every
// target platform's solve shares.
type job struct {
	bc       *dockerui.Client
	c        client.Client
	src      *dockerui.Source
	org      *defaults.Defaults // nil without organisation defaults
	build    ocispecs.Platform
	contexts *contexts
	images   *imageResolver
	epoch    *time.Time

	// scans collects each platform's SBOM scan targets when --sbom asks.
	scans       *scanTargets
	scanStages  bool // the plan's marked stages, besides the image
	scanContext bool // the build context too

	loadOnce sync.Once
	loadErr  error
	spec     *spec.Spec
	lintCfg  *linter.Config // the check directive or BUILDKIT_DOCKERFILE_CHECK
	fsys     source.FS      // the detection context
	ignore   bool           // .dockerignore patterns apply

	planOnce sync.Once
	planned  *plan.Plan
	planErr  error
}

// load reads the description and its check directive and transfers the
// detection context, once for the whole request.
func (j *job) load(ctx context.Context) error {
	j.loadOnce.Do(func() {
		if j.spec, j.loadErr = pipeline.Parse(j.src.Filename, j.src.Data); j.loadErr != nil {
			return
		}
		if j.lintCfg, j.loadErr = lint.ReadConfig(j.src.Filename, j.src.Data, j.bc.LinterConfig); j.loadErr != nil {
			return
		}
		var ignore []string
		if ignore, j.loadErr = j.bc.DockerIgnorePatterns(ctx); j.loadErr != nil {
			return
		}
		j.ignore = len(ignore) > 0
		j.fsys, j.loadErr = detectionContext(ctx, j.bc, j.spec, ignore)
	})
	return j.loadErr
}

// plan plans the app once for the whole request: every platform's solve,
// the outline, the target list and the lint render the same plan.
func (j *job) plan(ctx context.Context) (*plan.Plan, error) {
	j.planOnce.Do(func() {
		if j.planErr = j.load(ctx); j.planErr == nil {
			j.planned, j.planErr = pipeline.PlanWith(ctx, j.spec, j.fsys, j.org)
		}
	})
	return j.planned, j.planErr
}

// solve plans, converts and solves the build for one target platform.
// id is the platform dockerui exports the result as.
func (j *job) solve(ctx context.Context, target, id ocispecs.Platform) (*dockerui.BuildResult, error) {
	p, err := j.plan(ctx)
	if err != nil {
		return nil, err
	}
	res, err := llb.Convert(ctx, p, llb.Options{
		Target:         j.bc.Target,
		BuildPlatform:  j.build,
		TargetPlatform: target,
		BuildArgs:      j.bc.BuildArgs,
		Context:        j.contexts.state,
		Images:         j.images,
		CacheNS:        j.org.CacheNS(j.bc.CacheIDNamespace),
		NoCache:        j.bc.IsNoCache,
		Epoch:          j.epoch,
		SourceMap:      j.src.SourceMap,
		Record:         j.record(p),
		Labels:         j.bc.Labels,
	})
	if err != nil {
		return nil, err
	}
	def, err := res.State.Marshal(ctx, bk.Platform(target), bk.WithCaps(j.c.BuildOpts().LLBCaps))
	if err != nil {
		return nil, fmt.Errorf("failed to marshal LLB: %w", err)
	}
	// BuildKit does not apply the client's cache imports to a frontend's
	// own solves: pass them on every one.
	r, err := j.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: j.bc.CacheImports})
	if err != nil {
		return nil, err
	}
	ref, err := r.SingleRef()
	if err != nil {
		return nil, err
	}
	if j.scans != nil {
		if err := j.storeScan(id, res); err != nil {
			return nil, err
		}
	}
	return &dockerui.BuildResult{Reference: ref, Image: res.Image, BaseImage: res.BaseImage, Epoch: j.epoch}, nil
}

// record is the plan record provenance keeps beside the description.
func (j *job) record(p *plan.Plan) *bk.SourceMap {
	target := j.bc.Target
	if t, ok := p.Target(target); ok {
		target = t.Name
	}
	return bk.NewSourceMap(nil, record.Filename, record.Language, record.Of(p, target, j.bc.BuildArgs).JSON())
}

// storeScan keeps what the SBOM scan of this platform reads.
func (j *job) storeScan(id ocispecs.Platform, res *llb.Result) error {
	t := scanTarget{core: res.State, extras: map[string]bk.State{}, ignoreCache: res.IgnoreCache}
	if j.scanStages {
		for name, st := range res.Scans {
			t.extras[name] = st
		}
	}
	if j.scanContext {
		st, err := j.contexts.state(llb.ContextPaths{Exclude: []string{".git"}})
		if err != nil {
			return err
		}
		t.extras["context"] = st
	}
	j.scans.store(id, t)
	return nil
}

// namedContexts are the request's --build-context values by name.
func namedContexts(bc *dockerui.Client) map[string]string {
	out := map[string]string{}
	for k, v := range bc.BuildOpts().Opts {
		if name, ok := strings.CutPrefix(k, "context:"); ok {
			out[name] = v
		}
	}
	return out
}

// redirected reports whether the request has a named context for an
// image reference (--build-context golang:1.26=…).
func (j *job) redirected(ref string) bool {
	nc, err := j.bc.NamedContext(ref, dockerui.ContextOpt{})
	return err == nil && nc != nil
}

// detectionContext transfers only the files providers read, so a context
// with a huge .git or node_modules costs nothing to plan: of those two,
// only the directory entries come, for DockerignoreMissing. ignore is the
// .dockerignore, which must be given again with the excludes.
func detectionContext(ctx context.Context, bc *dockerui.Client, s *spec.Spec, ignore []string) (source.FS, error) {
	load := func(ctx context.Context, opts []bk.LocalOption, key, name string) (client.Reference, error) {
		st, err := bc.MainContext(ctx, append(opts, bk.SharedKeyHint(key), dockerui.WithInternalName(name))...)
		if err != nil {
			return nil, err
		}
		def, err := st.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		res, err := bc.GatewayClient().Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, fmt.Errorf("failed to load the build context: %w", err)
		}
		return res.SingleRef()
	}
	include, exclude := detectionFilter(s, ignore)
	ref, err := load(ctx, []bk.LocalOption{bk.IncludePatterns(include), bk.ExcludePatterns(exclude)}, "strata-detect", "load files for detection")
	if err != nil {
		return nil, err
	}
	fsys := source.Cache(&refFS{ref: ref, fetch: func(ctx context.Context, paths []string) (client.Reference, error) {
		return load(ctx, []bk.LocalOption{bk.IncludePatterns(paths)}, "strata-detect-more", "load files for detection "+strings.Join(paths, " "))
	}})
	// The narrowed context is small: read it at once, not one question
	// of planning's at a time.
	source.Preload(ctx, fsys)
	return fsys, nil
}

// detectionFilter is what detection asks of the context: the providers'
// patterns plus lint's probes, with the .dockerignore still applied.
func detectionFilter(s *spec.Spec, ignore []string) (include, exclude []string) {
	probes, below := lint.ContextFilter()
	return slices.Concat(detect.Patterns(s), probes), slices.Concat(ignore, below)
}

// warnUnusedArgs names every --build-arg the plan does not read: nothing a
// user passed is dropped without a word.
func (j *job) warnUnusedArgs(ctx context.Context) error {
	if len(j.bc.BuildArgs) == 0 {
		return nil
	}
	p, err := j.plan(ctx)
	if err != nil {
		return err
	}
	for _, w := range unusedArgWarnings(p, j.bc.BuildArgs, j.src.Filename) {
		j.src.Warn(ctx, w, client.WarnOpts{})
	}
	return nil
}

// unusedArgWarnings are the warnings for the build args the plan does not
// read, each with a hint: what to pass instead when the arg is another
// tool's setting, else the nearest declared name or how to declare it.
func unusedArgWarnings(p *plan.Plan, buildArgs map[string]string, file string) []string {
	var declared []string
	for _, a := range p.Args {
		declared = append(declared, a.Name)
	}
	var out []string
	for _, name := range llb.UnusedArgs(p, buildArgs) {
		hint := "declare it under `args:` to use it"
		if why, ok := p.Unread[name]; ok {
			hint = why
		} else if near, ok := spec.Closest(name, declared); ok {
			hint = fmt.Sprintf("did you mean `%s`?", near)
		}
		out = append(out, fmt.Sprintf("build arg %s is not used by %s (%s)", name, file, hint))
	}
	return out
}

// warnSecretArgs names every --build-arg that looks like a secret: BuildKit
// records build args as given in provenance (mode=max) and in the build
// steps' environment, where Strata cannot mask them. An arg the
// description declares with a secret's name has its lint finding
// (SecretInArgOrEnv) already.
func (j *job) warnSecretArgs(ctx context.Context) error {
	if len(j.bc.BuildArgs) == 0 {
		return nil
	}
	if err := j.load(ctx); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(j.bc.BuildArgs)) {
		v := j.bc.BuildArgs[name]
		declared := slices.ContainsFunc(j.spec.Args, func(a spec.Arg) bool { return a.Name == name })
		why := ""
		switch {
		case v == "":
			continue
		case redact.HasCredentials(v):
			why = "its value holds URL credentials"
		case redact.SecretName(name) && !declared:
			why = "its name says it is a secret"
		default:
			continue
		}
		j.src.Warn(ctx, fmt.Sprintf("build arg %s looks like a secret (%s): BuildKit records build args as given in the provenance attestation and the build steps' environment (pass credentials with --secret instead: a credentials file such as netrc or npmrc, or build.secrets)", name, why), client.WarnOpts{})
	}
	return nil
}

// sourceDateEpoch honours SOURCE_DATE_EPOCH, else a git or http context's time.
func sourceDateEpoch(ctx context.Context, bc *dockerui.Client) (*time.Time, error) {
	if v, ok := bc.BuildArgs["SOURCE_DATE_EPOCH"]; ok && v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", v)
		}
		t := time.Unix(sec, 0).UTC()
		return &t, nil
	}
	return bc.ResolveMainContextSourceDateEpoch(ctx)
}
