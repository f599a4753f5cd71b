package provider

import (
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// Cache ids of apt's package archives and lists, shared by every stage that
// installs Debian packages: file names carry the release and architecture,
// so builds of different images and platforms never clash.
const (
	aptArchivesID = "strata/apt/archives"
	aptListsID    = "strata/apt/lists"
)

// aptScript installs packages with apt's caches on cache mounts. The
// image's docker-clean hook (which empties the archive cache after every
// install) is set aside for this step only and put back, so the layer keeps
// the image's own apt configuration; the lists stay on the cache mount and
// never reach a layer. With a CA bundle (the ca secret or the
// organisation's), apt trusts it for https sources: apt reads no
// environment for that, so the bundle is passed as an option. apt's and
// dpkg's logs and ldconfig's cache record when the install ran: they are
// removed, so the layer is the same on every build (the packages' own
// files and dpkg's database stay).
const aptScript = `set -e
clean=/etc/apt/apt.conf.d/docker-clean
if [ -f "$clean" ]; then mv "$clean" /tmp/docker-clean; fi
apt-get update -qq ${SSL_CERT_FILE:+-o Acquire::https::CAInfo=$SSL_CERT_FILE}
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o APT::Keep-Downloaded-Packages=true ${SSL_CERT_FILE:+-o Acquire::https::CAInfo=$SSL_CERT_FILE} %s
if [ -f /tmp/docker-clean ]; then mv /tmp/docker-clean "$clean"; fi
rm -f /var/log/apt/history.log /var/log/apt/term.log /var/log/apt/eipp.log.xz /var/log/dpkg.log /var/log/alternatives.log /var/cache/ldconfig/aux-cache`

// AptStep installs Debian packages (`build.packages`, `run.packages`).
// Package names are checked by the spec, so they are single shell words.
func AptStep(packages spec.Value[[]string]) plan.Step {
	return plan.Step{
		Name: "apt-get install " + strings.Join(packages.V, " "),
		Run: plan.TrustCA(&plan.Run{
			Script: plan.Lit(strings.Replace(aptScript, "%s", strings.Join(packages.V, " "), 1)),
			User:   "0:0",
			Mounts: []plan.Mount{
				{Type: plan.CacheMount, Target: "/var/cache/apt", CacheID: aptArchivesID, Sharing: plan.SharingLocked},
				{Type: plan.CacheMount, Target: "/var/lib/apt", CacheID: aptListsID, Sharing: plan.SharingLocked},
				{Type: plan.TmpfsMount, Target: "/tmp"},
			},
		}),
		Pos: packages.Pos,
	}
}

// BuildMounts are the mounts `build.secrets` and `build.caches` add to every
// step that builds or fetches. Cache ids are namespaced by ecosystem.
func BuildMounts(s *spec.Spec, ecosystem string) []plan.Mount {
	var out []plan.Mount
	for _, sec := range s.Build.Secrets.V {
		m := plan.Mount{Type: plan.SecretMount, ID: sec.ID.V, Required: sec.Required.V}
		switch {
		case sec.Env.Set:
			m.Env = sec.Env.V
		case sec.Target.Set:
			m.Target = path.Clean(sec.Target.V)
		default:
			m.Target = "/run/secrets/" + sec.ID.V
		}
		out = append(out, m)
	}
	for _, dir := range s.Build.Caches.V {
		dir = path.Clean(dir)
		out = append(out, plan.Mount{Type: plan.CacheMount, Target: dir, CacheID: "strata/" + ecosystem + "/cache" + dir})
	}
	return out
}

// CommandName names a step that runs a user's shell command: its first
// line, so progress output stays one line.
func CommandName(cmd string) string {
	first, rest, _ := strings.Cut(strings.TrimSpace(cmd), "\n")
	if strings.TrimSpace(rest) != "" {
		first += " …"
	}
	return first
}

// SourceStep copies the build context into dir of a builder stage, for
// build tools that write into the source tree; excluded are what must not
// reach a layer (installed dependencies, .git, files holding tokens).
func SourceStep(dir string, exclude ...string) plan.Step {
	return plan.Step{
		Name: "copy the source",
		Copy: &plan.Copy{
			From: plan.Source{Context: &plan.ContextFilter{Exclude: exclude}},
			Src:  plan.Lit("/"), Dest: plan.Lit(dir),
		},
	}
}

// DescriptionFiles are the context's files that describe the build, not
// the app: .dockerignore, and the description and its own ignore file
// (<name>.dockerignore) by their names at the context's root, where
// `strata init` and most projects keep them. A source copy leaves them
// out, as experts list them in .dockerignore: an edit of the description
// (a run.env value) or of the ignore patterns then re-runs no build. A
// name with pattern characters is left in rather than matched loosely.
func DescriptionFiles(s *spec.Spec) []string {
	out := []string{".dockerignore"}
	if s == nil || s.File == "" {
		return out
	}
	name := path.Base(strings.ReplaceAll(s.File, "\\", "/"))
	if name == "." || name == "/" || name == ".dockerignore" || strings.ContainsAny(name, "*?[\\") {
		return out
	}
	return append(out, name, name+".dockerignore")
}

// DeclarePassThrough declares args every step that reads them may get from
// --build-arg (GOPROXY, NPM_CONFIG_REGISTRY, PIP_INDEX_URL …), without a
// default; one the description declares itself keeps its default (and
// --build-arg still overrides it).
func DeclarePassThrough(p *plan.Plan, names []string) {
	for _, a := range names {
		if !slices.ContainsFunc(p.Args, func(d plan.Arg) bool { return d.Name == a }) {
			p.Args = append(p.Args, plan.Arg{Name: a, PassThrough: true})
		}
	}
}

// PassThroughEnv gives a step each of names as an environment variable
// when it has a value: an unset arg must not override what the image sets.
func PassThroughEnv(names []string) []plan.Env {
	env := make([]plan.Env, 0, len(names))
	for _, a := range names {
		env = append(env, plan.Env{Name: a, Value: plan.Tmpl("${" + a + "}"), IfSet: true})
	}
	return env
}

// AppCopy is the runtime's copy of the app in dir from the build stage,
// less exclude; or, when that stage adds the source alone (SourceStep),
// the same files from the context, its filter plus exclude. BuildKit
// mounts and checksums a copy's whole input (for a stage, the builder's
// root filesystem and node_modules) on every source edit: so the copy
// reads the build stage's own layers (the source and what the build
// wrote), and what base, the stage it starts from, copied into dir from
// the context (manifests, lockfiles) comes from the context again, as the
// diff may leave out a file the source copy rewrote with the same bytes.
func AppCopy(build, base plan.Stage, dir string, exclude []string) []plan.Step {
	if len(build.Steps) == 1 && build.Steps[0].Copy != nil && build.Steps[0].Copy.From.Context != nil {
		cp := *build.Steps[0].Copy
		filter := *cp.From.Context
		filter.Exclude = slices.Clone(filter.Exclude)
		for _, e := range exclude {
			if !slices.Contains(filter.Exclude, e) {
				filter.Exclude = append(filter.Exclude, e)
			}
		}
		cp.From.Context, cp.Link = &filter, true
		return []plan.Step{{Name: "copy the app", Copy: &cp}}
	}
	var steps []plan.Step
	if build.From.Stage == base.Name {
		for _, st := range base.Steps {
			if cp := st.Copy; cp != nil && cp.From.Context != nil && !cp.Dest.Template && within(cp.Dest.Text, dir) {
				c := *cp
				c.Link = true
				steps = append(steps, plan.Step{Name: st.Name, Copy: &c})
			}
		}
	}
	return append(steps, plan.Step{Name: "copy the app", Copy: &plan.Copy{
		From: plan.Source{Stage: build.Name, Own: build.From.Stage == base.Name}, Src: plan.Lit(dir), Dest: plan.Lit(dir), Link: true, Exclude: exclude,
	}})
}

// within says whether p is dir or below it.
func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, dir+"/")
}
