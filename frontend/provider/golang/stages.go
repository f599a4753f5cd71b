package golang

import (
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

func (r *resolver) plan() *plan.Plan {
	p := &plan.Plan{
		Provider: "go",
		Settings: r.Settings,
		Args:     provider.Args(r.Spec),
		Findings: r.Findings,
	}
	provider.DeclarePassThrough(p, proxyArgs)
	p.Stages = []plan.Stage{r.depsStage(), r.buildStage(), r.testStage(), r.runtimeStage()}
	// The entrypoint is the first binary; the others run with
	// --entrypoint /app/<name> (a pod's command).
	first := r.bins[0].name
	runtime := provider.RuntimeImage(r.Spec, provider.Start{Entrypoint: []plan.Str{plan.Tmpl(path.Join(provider.AppDir, first))}}, r.base)
	runtime.Labels["org.opencontainers.image.title"] = first
	what := "the compiled binary"
	if len(r.bins) > 1 {
		what = "the compiled binaries"
	}
	p.Targets = []plan.Target{
		{Name: "build", Stage: "build", Description: "the builder with " + what + " in /usr/local/bin",
			Image: plan.Image{Entrypoint: []plan.Str{plan.Tmpl(path.Join(installDir, first))}, WorkingDir: srcDir}},
		{Name: "test", Stage: "test", Description: "go test ./... with the build's warm caches",
			Image: plan.Image{WorkingDir: srcDir}},
		{Name: "runtime", Stage: "runtime", Default: true, Description: "the runtime image", Image: runtime},
	}
	return p
}

func (r *resolver) depsStage() plan.Stage {
	st := plan.Stage{
		Name:     "deps",
		From:     plan.FromImage(r.builder, "go.version", r.cfg.Version.Pos),
		Platform: r.builderPlatform,
		Env: []plan.Env{
			{Name: "GOMODCACHE", Value: plan.Lit(modCache)},
			{Name: "GOCACHE", Value: plan.Lit(buildCache)},
			// The builder is chosen to satisfy go.mod: never fetch another toolchain.
			{Name: "GOTOOLCHAIN", Value: plan.Lit("local")},
		},
		Workdir: srcDir,
	}
	if r.Spec.Build.Packages.Set {
		st.Steps = append(st.Steps, provider.AptStep(r.Spec.Build.Packages))
	}
	if r.vendored {
		return st // the go command builds from vendor/: nothing to download
	}
	// The module files are copied, not bound: the stage then holds what
	// pins every dependency, for an SBOM scan of it (the modules
	// themselves stay on the cache mount).
	st.Scan = true
	st.Steps = append(st.Steps, plan.Step{
		Name: "copy " + strings.Join(r.mod.dependencyFiles(), " "),
		Copy: &plan.Copy{
			From: plan.Source{Context: &plan.ContextFilter{Include: plan.Lits(r.mod.dependencyFiles()...)}},
			Src:  plan.Lit("/"), Dest: plan.Lit(srcDir),
		},
	}, plan.Step{
		Name: "go mod download",
		Run: recoverModCache(plan.TrustCA(&plan.Run{
			Args: plan.Lits("go", "mod", "download"),
			Env:  proxyEnv(),
			Mounts: slices.Concat([]plan.Mount{
				{Type: plan.CacheMount, Target: modCache, CacheID: modCacheID},
			}, r.fetchMounts()),
		})),
	})
	return st
}

// recoverModCache mends a damaged module cache: Go trusts it, so a file
// there that no longer matches go.sum fails every build that reads it with
// a SECURITY ERROR. The cache is cleaned and the step fetches again, still
// checked against go.sum, so a module the proxy really changed fails again.
func recoverModCache(r *plan.Run) *plan.Run {
	// The cache is a mount: go clean removes all within it, then fails to
	// remove the mount point itself.
	return plan.Recoverable(r, plan.Recover{
		Match:  []string{"SECURITY ERROR"},
		Repair: `go clean -modcache 2>/dev/null || [ -z "$(ls -A ` + modCache + `)" ]`,
	})
}

func (r *resolver) buildStage() plan.Stage {
	run := &plan.Run{
		Args: plan.Lits("go", "build", "-trimpath", "-buildvcs=false"),
		Env:  slices.Concat([]plan.Env{{Name: "CGO_ENABLED", Value: plan.Lit(cgoFlag(r.cgo))}}, targetEnv(), proxyEnv()),
		Mounts: slices.Concat(r.sourceMounts(),
			[]plan.Mount{{Type: plan.OutputMount, Target: outDir, Name: "binary"}}, r.fetchMounts()),
	}
	if r.cfg.Tags.Set && len(r.cfg.Tags.V) > 0 {
		run.Args = append(run.Args, plan.Lit("-tags"), plan.Tmpl(strings.Join(r.cfg.Tags.V, ",")))
	}
	switch {
	case r.cfg.Ldflags.Set && r.ldflags != "":
		run.Args = append(run.Args, plan.Lit("-ldflags"), plan.Tmpl(r.ldflags))
	case !r.cfg.Ldflags.Set:
		run.Args = append(run.Args, plan.Lit("-ldflags"), plan.Lit(r.ldflags))
	}
	var mains []string
	for _, b := range r.bins {
		mains = append(mains, b.main)
	}
	if len(r.bins) == 1 {
		run.Args = append(run.Args, plan.Lit("-o"), plan.Tmpl(path.Join(outDir, r.bins[0].name)))
	} else {
		// One go build for every binary: each package compiles once, in
		// parallel, and each binary is linked (see README).
		run.Args = append(run.Args, plan.Lit("-o"), plan.Lit(outDir+"/"))
	}
	for _, m := range mains {
		run.Args = append(run.Args, plan.Tmpl(m))
	}
	compile := plan.Step{Name: "go build " + strings.Join(mains, " "), Run: run, Pos: r.cfg.Main.Pos}
	if r.cfg.Binaries.Set {
		compile.Pos = r.cfg.Binaries.Pos
	}
	if compile.Pos.IsZero() {
		compile.Pos = r.Spec.Sections["go"].PosOrZero()
	}
	steps := []plan.Step{compile}
	if cmd := r.Spec.Build.Command; cmd.Set {
		// The user's command builds instead, with the same caches and
		// env, writing each binary to /out/<name>.
		steps[0] = provider.CommandStep(cmd, run)
	} else if !r.vendored {
		recoverModCache(run) // the user's own command is left as written
	}
	for _, b := range r.bins {
		steps = append(steps, plan.Step{
			Name: "install " + b.name,
			Copy: &plan.Copy{From: plan.Source{Output: "binary"}, Src: plan.Tmpl("/" + r.outName(b)), Dest: plan.Tmpl(path.Join(installDir, b.name)), Link: true},
		})
	}
	return plan.Stage{
		Name:     "build",
		From:     plan.From{Stage: "deps"},
		Platform: r.builderPlatform,
		Steps:    steps,
	}
}

// outName is the file a binary has in the compile's output: the user's
// build command writes /out/<name>.
func (r *resolver) outName(b bin) string {
	if r.Spec.Build.Command.Set {
		return b.name
	}
	return b.out
}

func (r *resolver) testStage() plan.Stage {
	return plan.Stage{
		Name:     "test",
		From:     plan.From{Stage: "deps"},
		Platform: r.builderPlatform,
		Steps: []plan.Step{{
			Name: "go test ./...",
			Run: &plan.Run{
				Args:   plan.Lits("go", "test", "./..."),
				Env:    append([]plan.Env{{Name: "CGO_ENABLED", Value: plan.Lit(cgoFlag(r.cgo))}}, proxyEnv()...),
				Mounts: append(r.sourceMounts(), r.fetchMounts()...),
			},
		}},
	}
}

func (r *resolver) runtimeStage() plan.Stage {
	st := plan.Stage{Name: "runtime", From: r.base.From(), Platform: plan.TargetPlatform}
	if r.Spec.Run.Packages.Set {
		st.Steps = append(st.Steps, provider.AptStep(r.Spec.Run.Packages))
	}
	if r.base.Image == plan.Scratch {
		// scratch has no CA bundle: take the builder's so TLS clients work.
		st.Steps = append(st.Steps, plan.Step{
			Name: "copy CA certificates",
			Copy: &plan.Copy{From: plan.Source{Stage: "deps"}, Src: plan.Lit(caBundle), Dest: plan.Lit(caBundle), Link: true},
		})
	}
	// A layer per binary: an edit of one leaves the others' bytes, and
	// so their layers, as they were.
	for _, b := range r.bins {
		st.Steps = append(st.Steps, plan.Step{
			Name: "copy " + b.name,
			Copy: &plan.Copy{From: plan.Source{Output: "binary"}, Src: plan.Tmpl("/" + r.outName(b)), Dest: plan.Tmpl(path.Join(provider.AppDir, b.name)), Link: true},
		})
	}
	st.Steps = append(st.Steps, provider.CopySteps(r.Spec, plan.Str{})...)
	return st
}

// sourceMounts give a step the whole context (minus .git: VCS stamping is
// off and a large history must not be transferred) and warm caches.
func (r *resolver) sourceMounts() []plan.Mount {
	return []plan.Mount{
		{Type: plan.BindMount, Target: srcDir, From: &plan.Source{Context: &plan.ContextFilter{Exclude: []string{".git"}}}},
		{Type: plan.CacheMount, Target: modCache, CacheID: modCacheID},
		{Type: plan.CacheMount, Target: buildCache, CacheID: buildCacheID},
	}
}

// fetchMounts let private modules authenticate without args or layers
// (--secret id=netrc and --ssh, both optional), plus the description's own
// build secrets and caches.
func (r *resolver) fetchMounts() []plan.Mount {
	return append([]plan.Mount{
		{Type: plan.SecretMount, Target: netrcPath, ID: "netrc"},
		{Type: plan.SSHMount, Target: sshSock, ID: "default", Env: "SSH_AUTH_SOCK"},
	}, provider.BuildMounts(r.Spec, "go")...)
}

// proxyEnv passes GOPROXY and friends only when given: an unset arg must
// not override what the builder image sets. The compile step gets them
// too, because after a cache import its module cache mount starts empty.
func proxyEnv() []plan.Env { return provider.PassThroughEnv(proxyArgs) }

// targetEnv cross-compiles for the target platform from BuildKit's platform
// args, so one plan serves every platform (GOARM is ignored off arm).
func targetEnv() []plan.Env {
	return []plan.Env{
		{Name: "GOOS", Value: plan.Tmpl("${TARGETOS}")},
		{Name: "GOARCH", Value: plan.Tmpl("${TARGETARCH}")},
		{Name: "GOARM", Value: plan.Tmpl("${TARGETVARIANT#v}"), IfSet: true},
	}
}

func cgoFlag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}
