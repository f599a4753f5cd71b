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
		Settings: r.settings,
		Args:     provider.Args(r.spec),
	}
	for _, a := range proxyArgs {
		// A declared GOPROXY keeps its default; --build-arg still overrides it.
		if !slices.ContainsFunc(p.Args, func(d plan.Arg) bool { return d.Name == a }) {
			p.Args = append(p.Args, plan.Arg{Name: a, PassThrough: true})
		}
	}
	p.Stages = []plan.Stage{r.depsStage(), r.buildStage(), r.testStage(), r.runtimeStage()}
	p.Targets = []plan.Target{
		{Name: "build", Stage: "build", Description: "the builder with the compiled binary in /usr/local/bin"},
		{Name: "test", Stage: "test", Description: "go test ./... with the build's warm caches"},
		{Name: "runtime", Stage: "runtime", Default: true, Description: "the runtime image"},
	}
	labels := map[string]string{"org.opencontainers.image.title": r.binary}
	if r.base != "scratch" {
		labels["org.opencontainers.image.base.name"] = r.base
	}
	p.Image = provider.RuntimeImage(r.spec, []string{path.Join(provider.AppDir, r.binary)}, labels)
	return p
}

func (r *resolver) depsStage() plan.Stage {
	st := plan.Stage{
		Name:     "deps",
		From:     plan.FromImage(r.builder, "go.version", r.cfg.Version.Pos),
		Platform: r.builderPlatform,
		Env: []plan.Env{
			{Name: "GOMODCACHE", Value: modCache},
			{Name: "GOCACHE", Value: buildCache},
			// The builder is chosen to satisfy go.mod: never fetch another toolchain.
			{Name: "GOTOOLCHAIN", Value: "local"},
		},
		Workdir: srcDir,
	}
	if r.vendored {
		return st // the go command builds from vendor/: nothing to download
	}
	st.Steps = []plan.Step{{
		Name: "go mod download",
		Run: &plan.Run{
			Args: []string{"go", "mod", "download"},
			Env:  proxyEnv(),
			Mounts: append([]plan.Mount{
				{Type: plan.BindMount, Target: srcDir, From: &plan.Source{Context: &plan.ContextFilter{Include: r.mod.dependencyFiles()}}},
				{Type: plan.CacheMount, Target: modCache, CacheID: modCacheID},
			}, authMounts()...),
		},
	}}
	return st
}

func (r *resolver) buildStage() plan.Stage {
	args := []string{"go", "build", "-trimpath", "-buildvcs=false"}
	if r.cfg.Tags.Set && len(r.cfg.Tags.V) > 0 {
		args = append(args, "-tags", strings.Join(r.cfg.Tags.V, ","))
	}
	if r.cfg.Ldflags.Set {
		args = append(args, "-ldflags", r.cfg.Ldflags.V)
	}
	args = append(args, "-o", path.Join(outDir, r.binary), r.main)

	env := []plan.Env{{Name: "CGO_ENABLED", Value: cgoFlag(r.cgo)}}
	env = append(env, targetEnv(r.in.Target.OS, r.in.Target.Architecture, r.in.Target.Variant)...)
	env = append(env, proxyEnv()...)

	pos := r.cfg.Main.Pos
	if pos.IsZero() {
		pos = r.spec.Sections["go"].PosOrZero()
	}
	return plan.Stage{
		Name:     "build",
		From:     plan.From{Stage: "deps"},
		Platform: r.builderPlatform,
		Steps: []plan.Step{
			{
				Name: "go build " + r.main,
				Run: &plan.Run{
					Args: args,
					Env:  env,
					Mounts: slices.Concat(sourceMounts(),
						[]plan.Mount{{Type: plan.OutputMount, Target: outDir, Name: "binary"}}, authMounts()),
				},
				Pos: pos,
			},
			{
				Name: "install " + r.binary,
				Copy: &plan.Copy{From: plan.Source{Output: "binary"}, Src: "/" + r.binary, Dest: "/usr/local/bin/" + r.binary, Link: true},
			},
		},
	}
}

func (r *resolver) testStage() plan.Stage {
	return plan.Stage{
		Name:     "test",
		From:     plan.From{Stage: "deps"},
		Platform: r.builderPlatform,
		Steps: []plan.Step{{
			Name: "go test ./...",
			Run: &plan.Run{
				Args:   []string{"go", "test", "./..."},
				Env:    append([]plan.Env{{Name: "CGO_ENABLED", Value: cgoFlag(r.cgo)}}, proxyEnv()...),
				Mounts: append(sourceMounts(), authMounts()...),
			},
		}},
	}
}

func (r *resolver) runtimeStage() plan.Stage {
	st := plan.Stage{Name: "runtime", From: plan.FromImage(r.base, "run.base", r.spec.Run.Base.Pos), Platform: plan.TargetPlatform}
	if r.base == "scratch" {
		// scratch has no CA bundle: take the builder's so TLS clients work.
		st.Steps = append(st.Steps, plan.Step{
			Name: "copy CA certificates",
			Copy: &plan.Copy{From: plan.Source{Stage: "deps"}, Src: "/etc/ssl/certs/ca-certificates.crt", Dest: "/etc/ssl/certs/ca-certificates.crt", Link: true},
		})
	}
	st.Steps = append(st.Steps, plan.Step{
		Name: "copy " + r.binary,
		Copy: &plan.Copy{From: plan.Source{Output: "binary"}, Src: "/" + r.binary, Dest: path.Join(provider.AppDir, r.binary), Link: true},
	})
	st.Steps = append(st.Steps, provider.CopySteps(r.spec)...)
	return st
}

// sourceMounts give a step the whole context (minus .git: VCS stamping is
// off and a large history must not be transferred) and warm caches.
func sourceMounts() []plan.Mount {
	return []plan.Mount{
		{Type: plan.BindMount, Target: srcDir, From: &plan.Source{Context: &plan.ContextFilter{Exclude: []string{".git"}}}},
		{Type: plan.CacheMount, Target: modCache, CacheID: modCacheID},
		{Type: plan.CacheMount, Target: buildCache, CacheID: buildCacheID},
	}
}

// authMounts let private modules authenticate without args or layers:
// --secret id=netrc and --ssh, both optional.
func authMounts() []plan.Mount {
	return []plan.Mount{
		{Type: plan.SecretMount, Target: netrcPath, ID: "netrc"},
		{Type: plan.SSHMount, Target: sshSock, ID: "default", Env: "SSH_AUTH_SOCK"},
	}
}

// proxyEnv passes GOPROXY and friends only when given: an unset arg must
// not override what the builder image sets. The compile step gets them
// too, because after a cache import its module cache mount starts empty.
func proxyEnv() []plan.Env {
	env := make([]plan.Env, 0, len(proxyArgs))
	for _, a := range proxyArgs {
		env = append(env, plan.Env{Name: a, Value: "${" + a + "}", IfSet: true})
	}
	return env
}

func targetEnv(goos, goarch, variant string) []plan.Env {
	env := []plan.Env{{Name: "GOOS", Value: goos}, {Name: "GOARCH", Value: goarch}}
	if goarch == "arm" && variant != "" {
		env = append(env, plan.Env{Name: "GOARM", Value: strings.TrimPrefix(variant, "v")})
	}
	return env
}

func cgoFlag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}
