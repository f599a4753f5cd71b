package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
)

// errNA marks a scenario a subject cannot take part in; the note says why.
type errNA struct{ note string }

func (e errNA) Error() string { return e.note }

// runState is one run of one subject through every scenario: a fresh copy
// of the app, the build args set so far, and the subject's own state.
type runState struct {
	env       env
	app       *app
	run       int
	dir       string // the build context, edited by the scenarios
	scratch   string // the subject's own files for this run
	args      map[string]string
	verbose   bool
	platforms string // empty: the daemon's own
	// dockerignore is the example's own, set aside by the big-context
	// scenario and restored by the next
	dockerignore []byte
	// currentScenario is the scenario being built, for subjects that
	// take part in only some.
	currentScenario string
}

// subject is one way of building the app.
type subject interface {
	info() subjectInfo
	// begin starts from empty state: a fresh daemon, or empty Go caches.
	begin(ctx context.Context, rs *runState) error
	build(ctx context.Context, rs *runState) (measure, error)
	// fromCache exports the cache of the current state and builds on an
	// empty daemon that imports it.
	fromCache(ctx context.Context, rs *runState) (measure, error)
	// pushed puts the runtime image of the current state in the local
	// registry, untimed, and says where: repository and digest.
	pushed(ctx context.Context, rs *runState) (repo, digest string, err error)
	end()
}

// bkSubject builds through BuildKit's dockerfile.v0 frontend: the naive and
// expert Dockerfiles and the ejected one with the built-in frontend, the
// description through the Strata image its syntax line names.
type bkSubject struct {
	id, title, note string
	// dockerfile writes the Dockerfile to build into dir.
	dockerfile func(rs *runState, dir string) error
	builtin    bool // keep dockerfile.v0 from following a syntax line
	// targetBuilder: the builder stage runs on the target platform, so a
	// second platform needs emulation, which this machine does not have.
	targetBuilder bool
	d             *daemon
	dfDir         string
	attrs         map[string]string // more solve attrs, e.g. named contexts
}

func (s *bkSubject) info() subjectInfo { return subjectInfo{ID: s.id, Title: s.title, Note: s.note} }

func (s *bkSubject) begin(ctx context.Context, rs *runState) error {
	s.dfDir = filepath.Join(rs.scratch, "dockerfile")
	if err := os.MkdirAll(s.dfDir, 0o755); err != nil {
		return err
	}
	if err := s.dockerfile(rs, s.dfDir); err != nil {
		return err
	}
	var err error
	s.d, err = startDaemon(ctx, rs.env)
	return err
}

func (s *bkSubject) opt(rs *runState) solveOpt {
	attrs := map[string]string{
		// every subject's runtime base is the benchmark's copy, so the
		// base-image scenario can push a new digest under its tag
		"context:" + rs.app.runtimeBase: "docker-image://" + rs.app.benchBase(rs.env),
	}
	maps.Copy(attrs, s.attrs)
	if s.builtin {
		attrs["cmdline"] = "strata-bench"
	}
	if rs.platforms != "" {
		attrs["platform"] = rs.platforms
	}
	for k, v := range rs.args {
		attrs["build-arg:"+k] = v
	}
	return solveOpt{context: rs.dir, dockerfile: s.dfDir, attrs: attrs}
}

func (s *bkSubject) build(ctx context.Context, rs *runState) (measure, error) {
	if rs.platforms != "" && s.targetBuilder {
		return measure{}, errNA{"its builder runs on the target platform, and this machine has no emulation for arm64"}
	}
	m, _, err := solve(ctx, s.d.c, s.opt(rs), rs.verboseOut())
	if err == nil && s.id == "strata" {
		var f ownFigures
		f, err = frontendOwn(ctx, s.d, s.opt(rs))
		m.Own, m.OwnAlloc, m.OwnRSS, m.OwnWait, m.OwnCalls = f.Took, f.Alloc, f.PeakRSS, f.Wait, f.Calls
		if err == nil && rs.verbose {
			fmt.Fprintf(os.Stderr, "    Strata in process: %dms, waiting on the daemon %dms: %s; peak RSS %s\n", f.Took.Milliseconds(), f.Wait.Milliseconds(), f.Calls, fmtBytes(f.PeakRSS))
			fmt.Fprintf(os.Stderr, "    its calls: %s\n", f.Timeline)
		}
	}
	return m, err
}

func (s *bkSubject) fromCache(ctx context.Context, rs *runState) (measure, error) {
	dir := filepath.Join(rs.scratch, "cache")
	o := s.opt(rs)
	o.cacheTo = []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{"dest": dir, "mode": "max"}}}
	if _, _, err := solve(ctx, s.d.c, o, nil); err != nil {
		return measure{}, fmt.Errorf("export the cache: %w", err)
	}
	fresh, err := startDaemon(ctx, rs.env)
	if err != nil {
		return measure{}, err
	}
	defer fresh.stop()
	o = s.opt(rs)
	o.cacheFrom = []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{"src": dir}}}
	m, _, err := solve(ctx, fresh.c, o, rs.verboseOut())
	return m, err
}

func (s *bkSubject) pushed(ctx context.Context, rs *runState) (string, string, error) {
	repo := "bench/" + rs.app.name + "-" + s.id
	o := s.opt(rs)
	o.exports = []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
		"name": rs.env.registry + "/" + repo + ":latest", "push": "true", "registry.insecure": "true",
	}}}
	_, resp, err := solve(ctx, s.d.c, o, nil)
	if err != nil {
		return "", "", err
	}
	dgst := resp["containerimage.digest"]
	if dgst == "" {
		return "", "", errors.New("the image exporter returned no digest")
	}
	return repo, dgst, nil
}

func (s *bkSubject) end() {
	if s.d != nil {
		s.d.stop()
		s.d = nil
	}
}

func (rs *runState) verboseOut() *os.File {
	if rs.verbose {
		return os.Stderr
	}
	return nil
}

// staticDockerfile copies one of the benchmark's Dockerfiles.
func staticDockerfile(name string) func(*runState, string) error {
	return func(rs *runState, dir string) error {
		dt, err := os.ReadFile(filepath.Join(rs.env.root, "hack", "bench", "testdata", rs.app.name, name))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "Dockerfile"), dt, 0o644)
	}
}

// descriptionDockerfile is the context's own Dockerfile: the description.
func descriptionDockerfile(rs *runState, dir string) error {
	dt, err := os.ReadFile(filepath.Join(rs.dir, "Dockerfile"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), dt, 0o644)
}

// ejectedDockerfile is what `strata dockerfile DIR` prints for the
// pristine copy: ejecting is done once, as a user would.
func ejectedDockerfile(rs *runState, dir string) error {
	out, err := exec.Command(rs.env.strataCLI, "dockerfile", rs.dir).Output()
	if err != nil {
		return fmt.Errorf("strata dockerfile %s: %w%s", rs.dir, err, stderrOf(err))
	}
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), out, 0o644)
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return "\n" + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// hostSubject is the floor: the same compile with `go build` on the host,
// with Go caches of its own (empty for the cold scenario, warm after).
type hostSubject struct {
	cache string
}

func (s *hostSubject) info() subjectInfo {
	return subjectInfo{ID: "host", Title: "host build (floor)", Note: "no image: the compile alone on the host (Go: `go build`; Node: `npm ci` when the lockfile changed, then `npm run build`), with warm caches of its own"}
}

func (s *hostSubject) begin(ctx context.Context, rs *runState) error {
	s.cache = filepath.Join(rs.scratch, "gocache")
	return os.MkdirAll(s.cache, 0o755)
}

func (s *hostSubject) build(ctx context.Context, rs *runState) (measure, error) {
	if !rs.app.hostScenario[rs.currentScenario] {
		return measure{}, errNA{"no image: the floor is the compile alone"}
	}
	start := time.Now()
	cmd := rs.app.hostBuild(rs, filepath.Join(rs.scratch, "out"))
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, rs.app.hostEnv(s.cache)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return measure{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return noFigures(time.Since(start)), nil
}

func (s *hostSubject) fromCache(context.Context, *runState) (measure, error) {
	return measure{}, errNA{"no cache export on the host"}
}

func (s *hostSubject) pushed(context.Context, *runState) (string, string, error) {
	return "", "", errNA{"no image"}
}

func (s *hostSubject) end() {}
