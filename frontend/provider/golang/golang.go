// Package golang plans Go services: a download step keyed on go.mod/go.sum
// only, a cross-compiling build on the build platform with shared module and
// build caches, and a small non-root runtime image.
package golang

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// settings is the `go:` section of the description.
type settings struct {
	Version spec.Value[string] `yaml:"version"`
	Main    spec.Value[string] `yaml:"main" schema:"excludes=binaries"`
	Binary  spec.Value[string] `yaml:"binary" schema:"excludes=binaries"`
	// Binaries builds several main packages into one image.
	Binaries spec.Value[[]spec.Value[binarySetting]] `yaml:"binaries" schema:"minItems=1"`
	Ldflags  spec.Value[string]                      `yaml:"ldflags"`
	Tags     spec.Value[[]string]                    `yaml:"tags"`
	Cgo      spec.Value[bool]                        `yaml:"cgo"`
}

// binarySetting is one entry of go.binaries.
type binarySetting struct {
	Main   spec.Value[string] `yaml:"main" schema:"required"`
	Binary spec.Value[string] `yaml:"binary"`
}

// Paths inside the builder. GOMODCACHE and GOCACHE are set explicitly so the
// cache mounts hold them whatever the builder image says.
const (
	srcDir     = "/src"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	outDir     = "/out"
	installDir = "/usr/local/bin"
	caBundle   = "/etc/ssl/certs/ca-certificates.crt"
	netrcPath  = "/root/.netrc"
	sshSock    = "/run/strata/ssh-agent.sock"
)

// vendorManifest marks a vendored module: the go command then builds from
// vendor/ and the download step is left out.
const vendorManifest = "vendor/modules.txt"

// Cache ids are namespaced so they never meet another frontend's caches.
const (
	modCacheID   = "strata/go/mod"
	buildCacheID = "strata/go/build"
)

// proxyArgs pass through from --build-arg to the steps that fetch modules.
var proxyArgs = []string{"GOFLAGS", "GOINSECURE", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOPROXY", "GOSUMDB"}

// cgoModules need cgo: depending on one turns cgo on unless the user says.
var cgoModules = []string{
	"github.com/mattn/go-sqlite3",
	"github.com/confluentinc/confluent-kafka-go",
	"github.com/confluentinc/confluent-kafka-go/v2",
}

type Provider struct{}

func New() Provider { return Provider{} }

func (Provider) Name() string { return "go" }

func (Provider) Patterns() []string {
	return []string{"go.mod", "go.sum", "go.work", "*.go", "cmd/*/*.go", vendorManifest}
}

func (Provider) Detect(ctx context.Context, fsys source.FS) (bool, error) {
	for _, f := range []string{"go.mod", "go.work"} {
		if ok, err := source.Exists(ctx, fsys, f); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (p Provider) Plan(ctx context.Context, in provider.Input) (*plan.Plan, error) {
	s := in.Spec
	var cfg settings
	if err := s.Sections["go"].Decode(&cfg); err != nil {
		return nil, err
	}
	mod, err := readModule(ctx, in.Context)
	if err != nil {
		return nil, err
	}
	r := &resolver{Record: provider.Record{Spec: s}, cfg: cfg, mod: mod, in: in}
	r.Set("app", "go", in.Reason)
	if err := r.resolve(ctx); err != nil {
		return nil, err
	}
	return r.plan(), nil
}

// resolver turns settings, go.mod and defaults into concrete choices,
// recording where each came from.
// defaultLdflags strip the symbol and DWARF tables, as expert Dockerfiles
// do: a smaller image and a shorter link. Stack traces keep their function
// names and lines (pclntab stays).
const defaultLdflags = "-s -w"

type resolver struct {
	provider.Record
	cfg settings
	mod *module
	in  provider.Input

	version goVersion
	builder string
	// ldflags are the linker flags: the description's, else defaultLdflags.
	ldflags string
	// bins are the binaries the build makes, the entrypoint first.
	bins     []bin
	cgo      bool
	vendored bool
	base     provider.Base
	// builderPlatform is where compiles run: the build platform, unless cgo
	// needs the target's own C toolchain.
	builderPlatform plan.Platform
}

func (r *resolver) errorf(pos spec.Pos, key, hint, format string, a ...any) error {
	return r.Spec.Errorf(pos, key, hint, fmt.Sprintf(format, a...))
}

func (r *resolver) resolve(ctx context.Context) error {
	if err := r.resolveVersion(); err != nil {
		return err
	}
	if err := r.resolveBinaries(ctx); err != nil {
		return err
	}
	r.resolveCgo()
	var err error
	if r.vendored, err = source.Exists(ctx, r.in.Context, vendorManifest); err != nil {
		return err
	} else if r.vendored {
		r.Set("dependencies", "vendor/", vendorManifest+" (no download step)")
	}
	if err := r.checkGoSum(ctx); err != nil {
		return err
	}
	family := provider.Static
	if r.cgo {
		family = provider.Glibc
	}
	if r.base, err = provider.ResolveBase(r.Spec, provider.Needs{Family: family}, r.Set); err != nil {
		return err
	}
	r.builder = "golang:" + r.versionTag()
	if r.cgo {
		// Pin the Debian release the glibc runtimes below are built from.
		r.builder += "-bookworm"
	}
	r.Set("builder", r.builder, "go version and cgo")
	r.builderPlatform = plan.BuildPlatform
	if r.cgo {
		r.builderPlatform = plan.TargetPlatform
		r.Set("builder platform", "target", "cgo needs the target's C toolchain: compiles for another platform run emulated")
	}
	r.ldflags = defaultLdflags
	if r.cfg.Ldflags.Set {
		r.ldflags = r.cfg.Ldflags.V
		r.Set("ldflags", r.ldflags, r.At(r.cfg.Ldflags.Pos))
	} else {
		r.Set("ldflags", r.ldflags, "default: no symbol or DWARF tables (a smaller binary, a shorter link); go.ldflags replaces it")
	}
	if r.cfg.Tags.Set {
		r.Set("tags", strings.Join(r.cfg.Tags.V, ","), r.At(r.cfg.Tags.Pos))
	}
	r.sharedSettings()
	return nil
}

// sharedSettings records the `build:` and `run.packages` keys, which every
// provider honours.
func (r *resolver) sharedSettings() {
	b := r.Spec.Build
	if b.Packages.Set {
		r.Set("build packages", strings.Join(b.Packages.V, " "), r.At(b.Packages.Pos))
	}
	if b.Command.Set {
		var outs []string
		for _, b := range r.bins {
			outs = append(outs, path.Join(outDir, b.name))
		}
		what := "the binary to "
		if len(outs) > 1 {
			what = "the binaries to "
		}
		r.Set("build command", b.Command.V, r.At(b.Command.Pos)+"; it must write "+what+strings.Join(outs, ", "))
	}
	for _, sec := range b.Secrets.V {
		r.Set("build secret", sec.ID.V, r.At(sec.ID.Pos))
	}
	if b.Caches.Set {
		r.Set("build caches", strings.Join(b.Caches.V, " "), r.At(b.Caches.Pos))
	}
	if p := r.Spec.Run.Packages; p.Set {
		r.Set("runtime packages", strings.Join(p.V, " "), r.At(p.Pos))
	}
}

// versionTag is exact when the user or a toolchain line named a release,
// else the release line of go.mod's go line.
func (r *resolver) versionTag() string {
	if r.cfg.Version.Set || r.mod.Toolchain != nil {
		return r.version.String()
	}
	return r.version.minor()
}

func (r *resolver) resolveVersion() error {
	if r.cfg.Version.Set {
		v, err := parseGoVersion(r.cfg.Version.V)
		if err != nil {
			return r.errorf(r.cfg.Version.Pos, "go.version", "write a Go release such as 1.26 or 1.26.8", "%v", err)
		}
		if !v.satisfies(r.mod.Go) {
			// Still an error (no builder could build it); --call=check shows it as the rule too.
			e := r.Spec.Errorf(r.cfg.Version.Pos, "go.version", fmt.Sprintf("raise go.version to %s or remove it to use the go.mod version", r.mod.Go.minor()),
				fmt.Sprintf("go %s is older than go %s that %s requires", v, r.mod.Go, r.mod.GoSrc))
			e.Rule = ruleGoVersionTooOld.Name
			return e
		}
		r.version = v
		r.Set("go version", v.String(), r.At(r.cfg.Version.Pos))
		return nil
	}
	if r.mod.Toolchain != nil {
		r.version = *r.mod.Toolchain
		r.Set("go version", r.version.String(), r.mod.ToolchainSrc+" (toolchain)")
		return nil
	}
	r.version = r.mod.Go
	r.Set("go version", r.version.minor(), r.mod.GoSrc+" (newest "+r.version.minor()+".x)")
	return nil
}

func (r *resolver) resolveCgo() {
	if r.cfg.Cgo.Set {
		r.cgo = r.cfg.Cgo.V
		r.Set("cgo", fmt.Sprint(r.cgo), r.At(r.cfg.Cgo.Pos))
		if req, ok := r.cgoRequirement(); ok && !r.cgo {
			r.findCgoDisabled(req)
		}
		return
	}
	if req, ok := r.cgoRequirement(); ok {
		r.cgo = true
		r.Set("cgo", "true", "go.mod requires "+req.Path+", which needs cgo")
		return
	}
	r.Set("cgo", "false", "default: a static binary")
}
