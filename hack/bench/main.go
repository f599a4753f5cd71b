// Command bench builds example apps side by side on the test bed — a naive
// Dockerfile, an expert one, Strata, Strata's ejected Dockerfile, ko and
// the host's own `go build` — from the right daemon state for each scenario
// (cold, no-op, source edit, dependency added, build args, new base image,
// cache import), and writes the figures to docs/benchmarks.md,
// docs/bench/results.json and docs/bench/rebuilds.svg. It never fails on a
// number: it prints ratios. Run it through hack/bench.sh.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// env is the test bed, as hack/lib.sh describes it.
type env struct {
	root, run, cache, registry, bedAddr string
	scratch                             string // this run's files, removed at the end
	strataCLI                           string
}

func main() {
	if os.Getenv(ownChildEnv) != "" {
		if err := runOwnChild(); err != nil {
			fmt.Fprintln(os.Stderr, "bench (frontend child):", err)
			os.Exit(1)
		}
		return
	}
	var (
		quick       = flag.Bool("quick", false, "one run per cell, for development")
		runs        = flag.Int("runs", 2, "runs per cell (the median is reported; of two, their mean)")
		budget      = flag.Duration("budget", 30*time.Minute, "runs after the first only while the whole benchmark is expected to end within this (0: every run)")
		provisional = flag.Bool("provisional", false, "mark the figures provisional (a busy machine)")
		appsF       = flag.String("apps", "", "comma-separated example apps (go-service,node-express); default all")
		subjectsF   = flag.String("subjects", "", "comma-separated subjects (naive,expert,expert-syntax,strata,ejected,ko,host); default all")
		scenariosF  = flag.String("scenarios", "", "comma-separated scenarios; default all (cold is always built first)")
		out         = flag.String("out", "", "docs directory to write (default: the repository's docs/)")
		noWrite     = flag.Bool("no-write", false, "print the table instead of writing docs/")
		verbose     = flag.Bool("v", false, "print every vertex of every build")
		render      = flag.String("render", "", "rewrite docs/ from this results.json (no builds)")
	)
	flag.Parse()
	if *render != "" {
		if err := rerender(*render, *out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *quick {
		*runs = 1
	}
	if err := run(*runs, *budget, *quick, *provisional, split(*appsF), split(*subjectsF), split(*scenariosF), *out, *noWrite, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// startedAt is when the run began for its budget: when hack/bench.sh
// started, before it built the frontend image, else now.
func startedAt(now time.Time) time.Time {
	if sec, err := strconv.ParseInt(os.Getenv("STRATA_BENCH_STARTED"), 10, 64); err == nil && sec > 0 && sec <= now.Unix() {
		return time.Unix(sec, 0)
	}
	return now
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func run(runs int, budget time.Duration, quick, provisional bool, onlyApps, onlySubjects, onlyScenarios []string, out string, noWrite, verbose bool) error {
	e := env{root: os.Getenv("STRATA_ROOT"), run: os.Getenv("STRATA_RUN"), cache: os.Getenv("STRATA_CACHE"),
		registry: os.Getenv("STRATA_REGISTRY"), bedAddr: os.Getenv("STRATA_BUILDKIT_ADDR")}
	if e.root == "" || e.run == "" || e.registry == "" || e.bedAddr == "" || e.cache == "" {
		return errors.New("the test bed's environment is not set: run bash hack/bench.sh (it sources hack/lib.sh)")
	}
	if _, err := exec.LookPath("buildkitd"); err != nil {
		return fmt.Errorf("buildkitd is not on PATH (hack/lib.sh puts the bed's tools there): %w", err)
	}
	if out == "" {
		out = filepath.Join(e.root, "docs")
	}
	began := startedAt(time.Now())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if e.scratch, err = os.MkdirTemp(e.run, "bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(e.scratch)
	e.strataCLI = filepath.Join(e.scratch, "strata")
	cli := exec.Command("go", "build", "-o", e.strataCLI, "./cmd/strata")
	cli.Dir = e.root
	if b, err := cli.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/strata: %w\n%s", err, b)
	}

	koBin, koErr := installKo(ctx, e)
	if koErr != nil {
		fmt.Fprintln(os.Stderr, "bench: ko cannot take part:", koErr)
	}
	dfImage, dfErr := dockerfileFrontend(ctx, e)
	if dfErr != nil {
		fmt.Fprintln(os.Stderr, "bench: the Dockerfile frontend image cannot take part:", dfErr)
	}
	var scen []scenarioInfo
	for _, s := range scenarios {
		if onlyScenarios == nil || slices.Contains(onlyScenarios, s.ID) {
			scen = append(scen, s)
		}
	}
	res := results{Generated: time.Now(), Machine: machine(), Provisional: provisional, Quick: quick, Runs: runs, Budget: budget.String(), NotMeasured: notMeasured}
	var all []*appRun
	for _, a := range apps {
		if onlyApps != nil && !slices.Contains(onlyApps, a.name) {
			continue
		}
		var subjects []subject
		for _, s := range subjectsOf(a, e.registry, koBin, koErr, dfImage, dfErr) {
			if onlySubjects == nil || slices.Contains(onlySubjects, s.info().ID) {
				subjects = append(subjects, s)
			}
		}
		all = append(all, newAppRun(a, subjects, scen))
	}
	res.LeftOut = runAll(ctx, e, all, runs, budget, began, verbose)
	var errs []error
	for _, r := range all {
		ar, err := r.result()
		res.Apps = append(res.Apps, ar)
		errs = append(errs, err)
	}
	fmt.Fprintf(os.Stderr, "bench: took %s\n", time.Since(began).Round(time.Second))
	if ctx.Err() != nil {
		return ctx.Err() // interrupted: docs/ keeps the last whole run
	}
	for _, ar := range res.Apps {
		for _, l := range ratioLines(ar) {
			fmt.Println(l)
		}
	}
	err = errors.Join(errs...)
	if noWrite {
		fmt.Print(markdown(res))
		return err
	}
	if werr := write(out, res); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// uvImage is the uv release Strata's Python provider copies uv from.
const uvImage = "ghcr.io/astral-sh/uv:0.13.9"

// subjectsOf are the ways of building app a.
func subjectsOf(a *app, registry, koBin string, koErr error, dfImage string, dfErr error) []subject {
	td := "hack/bench/testdata/" + a.name + "/"
	out := []subject{
		&bkSubject{id: "naive", title: "naive Dockerfile", note: td + "Dockerfile.naive", dockerfile: staticDockerfile("Dockerfile.naive"), builtin: true, targetBuilder: true},
		&bkSubject{id: "expert", title: "expert Dockerfile", note: td + "Dockerfile.expert, built-in frontend", dockerfile: staticDockerfile("Dockerfile.expert"), builtin: true},
	}
	if dfErr != nil {
		out = append(out, &absentSubject{subjectInfo{ID: "expert-syntax", Title: "expert, `# syntax=` image", Note: "not measured: " + firstLine(dfErr.Error())}})
	} else {
		out = append(out, &bkSubject{id: "expert-syntax", title: "expert, `# syntax=` image",
			note:       "the same Dockerfile under `# syntax=` naming BuildKit's Dockerfile frontend built as an image (" + dfImage + "), as most expert files declare `docker/dockerfile:1`",
			dockerfile: syntaxDockerfile("Dockerfile.expert", dfImage)})
	}
	out = append(out,
		&bkSubject{id: "strata", title: "Strata", note: td + "Dockerfile.strata, through localhost:5000/strata:dev", dockerfile: descriptionDockerfile},
		&bkSubject{id: "ejected", title: "Strata ejected", note: "`strata dockerfile` of the same description, built-in frontend", dockerfile: ejectedDockerfile, builtin: true},
	)
	if a.uvVariant {
		// uv from the bed's stand-in of its image, as a platform team redirects it
		out = append(out, &bkSubject{id: "strata-uv", title: "Strata, `installer: uv`",
			note:       td + "Dockerfile.strata-uv: the same description with `python: {installer: uv}`, through localhost:5000/strata:dev",
			dockerfile: staticDockerfile("Dockerfile.strata-uv"),
			attrs:      map[string]string{"context:" + uvImage: "docker-image://" + registry + "/" + strings.TrimPrefix(uvImage, "ghcr.io/")}})
	}
	switch {
	case !a.ko:
	case koErr != nil:
		out = append(out, &absentSubject{subjectInfo{ID: "ko", Title: "ko", Note: "not measured: " + firstLine(koErr.Error())}})
	default:
		out = append(out, &koSubject{bin: koBin})
	}
	return append(out, &hostSubject{})
}

// appRun is one app's subjects and the figures of their runs so far.
type appRun struct {
	app         *app
	subjects    []subject
	scen        []scenarioInfo
	got         map[string]map[string][]measure
	notes       map[string]map[string]string
	sizes       map[string]int64
	pushedBytes map[string]map[string]int64 // first run only
	took        map[string]time.Duration    // each subject's first run
	errs        []error
}

func newAppRun(a *app, subjects []subject, scen []scenarioInfo) *appRun {
	r := &appRun{app: a, subjects: subjects, scen: scen, got: map[string]map[string][]measure{}, notes: map[string]map[string]string{},
		sizes: map[string]int64{}, pushedBytes: map[string]map[string]int64{}, took: map[string]time.Duration{}}
	for _, s := range subjects {
		id := s.info().ID
		r.got[id], r.notes[id], r.pushedBytes[id] = map[string][]measure{}, map[string]string{}, map[string]int64{}
	}
	return r
}

// extraRunOrder is the order in which subjects get their runs after the
// first while the budget lasts: the comparisons the targets read first,
// the naive Dockerfile's full rebuilds last.
var extraRunOrder = []string{"strata", "expert", "expert-syntax", "strata-uv", "ejected", "host", "ko", "naive"}

func extraRank(id string) int {
	if i := slices.Index(extraRunOrder, id); i >= 0 {
		return i
	}
	return len(extraRunOrder)
}

// runAll runs every app's subjects through the scenarios: a first run of
// everything, app by app, then the further runs, subject by subject in
// extraRunOrder across the apps, each only while it is expected to end
// within the budget (its first run's time; zero: no budget). Subjects
// interleave so a busy spell of the machine spreads over all of them. It
// returns the runs left out.
func runAll(ctx context.Context, e env, all []*appRun, runs int, budget time.Duration, began time.Time, verbose bool) (left []string) {
	for i := 1; i <= runs; i++ {
		type job struct {
			r *appRun
			s subject
		}
		var jobs []job
		for _, r := range all {
			for _, s := range r.subjects {
				jobs = append(jobs, job{r, s})
			}
		}
		if i > 1 {
			slices.SortStableFunc(jobs, func(a, b job) int { return extraRank(a.s.info().ID) - extraRank(b.s.info().ID) })
		}
		for _, j := range jobs {
			if ctx.Err() != nil {
				return left
			}
			id := j.s.info().ID
			if i > 1 && budget > 0 && time.Since(began)+j.r.took[id] > budget {
				left = append(left, fmt.Sprintf("%s %s run %d", j.r.app.name, id, i))
				fmt.Fprintf(os.Stderr, "bench +%4.0fs: %s run %d/%d: %s left out (its first run took %.0fs; the budget is %s)\n",
					time.Since(began).Seconds(), j.r.app.name, i, runs, id, j.r.took[id].Seconds(), budget)
				continue
			}
			start := time.Now()
			j.r.runOnce(ctx, e, j.s, i, runs, began, verbose)
			if i == 1 {
				j.r.took[id] = time.Since(start)
			}
		}
	}
	return left
}

// runOnce is one run of one subject of the app, its figures kept.
func (r *appRun) runOnce(ctx context.Context, e env, s subject, i, runs int, began time.Time, verbose bool) {
	id := s.info().ID
	fmt.Fprintf(os.Stderr, "bench +%4.0fs: %s run %d/%d: %s\n", time.Since(began).Seconds(), r.app.name, i, runs, id)
	err := runSequence(ctx, e, r.app, s, r.scen, i, verbose, func(sc string, m measure) {
		r.got[id][sc] = append(r.got[id][sc], m)
		fmt.Fprintf(os.Stderr, "bench +%4.0fs:   %-14s %-8s %7.2fs  steps %d/%d  sent %s\n", time.Since(began).Seconds(), sc, id, m.Wall.Seconds(), m.StepsRun, m.StepsCached, fmtBytes(m.SentBytes))
	}, func(sc, note string) {
		r.notes[id][sc] = note
	}, func(n int64) {
		r.sizes[id] = n
	}, func(sc string, n int64) {
		r.pushedBytes[id][sc] = n
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s run %d: %s: %v\n", r.app.name, i, id, err)
		r.errs = append(r.errs, fmt.Errorf("%s run %d, %s: %s", r.app.name, i, id, firstLine(err.Error())))
	}
}

// result is the app's figures, cell by cell.
func (r *appRun) result() (appResult, error) {
	ar := appResult{App: r.app.name, Scenarios: r.scen}
	for _, s := range r.subjects {
		info := s.info()
		info.ImageBytes = r.sizes[info.ID]
		ar.Subjects = append(ar.Subjects, info)
		for _, sc := range r.scen {
			c := summarise(info.ID, sc.ID, r.got[info.ID][sc.ID])
			c.Note = r.notes[info.ID][sc.ID]
			if n, ok := r.pushedBytes[info.ID][sc.ID]; ok {
				c.PushedBytes = n
			}
			ar.Cells = append(ar.Cells, c)
		}
	}
	return ar, errors.Join(r.errs...)
}

// pushRun is the run that pushes each scenario's image, untimed.
const pushRun = 1

// runSequence is one run of one subject: fresh state, then each scenario's
// change and build in order.
func runSequence(ctx context.Context, e env, a *app, s subject, scen []scenarioInfo, run int, verbose bool,
	record func(string, measure), note func(string, string), size func(int64), layers func(string, int64)) error {
	scratch, err := os.MkdirTemp(e.scratch, s.info().ID+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	rs := &runState{env: e, app: a, run: run, dir: filepath.Join(scratch, "context"), scratch: scratch, args: map[string]string{}, verbose: verbose}
	if err := a.prepare(e, rs.dir); err != nil {
		return err
	}
	// each run starts from the base's first digest; the base scenario pushes another
	if err := pushBase(ctx, e, a.runtimeBase, a.benchBase(e), a.basePlatforms, fmt.Sprintf("run %d %s first", run, s.info().ID)); err != nil {
		return err
	}
	if err := s.begin(ctx, rs); err != nil {
		return err
	}
	defer s.end()
	selected := func(id string) bool {
		return slices.ContainsFunc(scen, func(x scenarioInfo) bool { return x.ID == id })
	}
	var pushedBefore map[string]int64 // the layers of the image pushed last
	for _, sc := range scenarios {
		if sc.ID != "cold" && !selected(sc.ID) {
			continue
		}
		rs.currentScenario = sc.ID
		if why := a.cannot(sc.ID); why != "" {
			note(sc.ID, why)
			continue
		}
		var m measure
		err = nil
		switch sc.ID {
		case "edit":
			err = a.edit(rs.dir, run)
		case "dep":
			err = a.addDep(e, rs.dir)
		case "arg-build":
			rs.args[a.buildArg] = fmt.Sprintf("bench-%d", run)
		case "arg-run":
			rs.args[a.runArg] = "debug"
		case "base":
			err = pushBase(ctx, e, a.runtimeBase, a.benchBase(e), a.basePlatforms, fmt.Sprintf("run %d %s changed %d", run, s.info().ID, time.Now().UnixNano()))
		case "platform":
			rs.platforms = bothPlatforms
		case "bigctx":
			// one platform again (built before), the example's
			// .dockerignore set aside, the big directories beside the app
			rs.platforms = ""
			ignore := filepath.Join(rs.dir, ".dockerignore")
			if rs.dockerignore, err = os.ReadFile(ignore); err == nil {
				err = os.Remove(ignore)
			}
			if err == nil {
				err = addBigDirs(e, rs.dir)
			}
		case "bigctx-ignored":
			if err = os.WriteFile(filepath.Join(rs.dir, ".dockerignore"), rs.dockerignore, 0o644); err == nil {
				err = ignoreBigDirs(rs.dir)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc.ID, err)
		}
		if sc.ID == "cache-import" {
			m, err = s.fromCache(ctx, rs)
		} else {
			m, err = s.build(ctx, rs)
		}
		var na errNA
		switch {
		case errors.As(err, &na):
			note(sc.ID, na.note)
			if sc.ID == "cold" {
				return nil // a subject that cannot build at all
			}
			continue
		case err != nil:
			return fmt.Errorf("%s: %w", sc.ID, err)
		}
		if selected(sc.ID) {
			record(sc.ID, m)
		}
		// The first run pushes each scenario's image, untimed: what the
		// push uploads beside the image pushed before it, and the cold
		// image's size. The cache scenario builds on another daemon the
		// state already pushed.
		if run != pushRun || sc.ID == "cache-import" {
			continue
		}
		repo, dgst, err := s.pushed(ctx, rs)
		if errors.As(err, &na) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: push the image: %w", sc.ID, err)
		}
		now, err := imageLayers(ctx, e.registry, repo, dgst)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.ID, err)
		}
		if selected(sc.ID) {
			layers(sc.ID, newLayerBytes(pushedBefore, now))
		}
		pushedBefore = now
		if sc.ID == "cold" {
			n, err := manifestBytes(ctx, e.registry, repo, dgst)
			if err != nil {
				return fmt.Errorf("image size: %w", err)
			}
			size(n)
		}
	}
	return nil
}

// cannot says why no subject of the app takes a scenario, or "".
func (a *app) cannot(scenario string) string {
	switch {
	case scenario == "arg-build" && a.buildArg == "":
		return "the app reads no build arg at compile time"
	case scenario == "arg-run" && a.runArg == "":
		return "the app reads no build arg at run time"
	case scenario == "platform" && !strings.Contains(a.basePlatforms, "arm64"):
		return "the runtime base stand-in is built for amd64 only"
	}
	return ""
}

// absentSubject stands for a tool that cannot run here: every cell says why.
type absentSubject struct{ i subjectInfo }

func (s *absentSubject) info() subjectInfo                      { return s.i }
func (s *absentSubject) begin(context.Context, *runState) error { return nil }
func (s *absentSubject) build(context.Context, *runState) (measure, error) {
	return measure{}, errNA{s.i.Note}
}
func (s *absentSubject) fromCache(context.Context, *runState) (measure, error) {
	return measure{}, errNA{s.i.Note}
}
func (s *absentSubject) pushed(context.Context, *runState) (string, string, error) {
	return "", "", errNA{s.i.Note}
}
func (s *absentSubject) end() {}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// machine names the CPU, core count and kernel, for the table's header.
func machine() string {
	model := "unknown CPU"
	if dt, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(dt), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d cores, %s, Linux %s", runtime.NumCPU(), model, strings.TrimSpace(string(kernel)))
}

// rerender writes docs/ again from a results.json, for a change of layout.
func rerender(file, docs string) error {
	dt, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var r results
	if err := json.Unmarshal(dt, &r); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if docs == "" {
		docs = filepath.Join(filepath.Dir(file), "..")
	}
	return write(docs, r)
}

// write splices the table into benchmarks.md and writes the JSON and SVG.
func write(docs string, r results) error {
	if err := os.MkdirAll(filepath.Join(docs, "bench"), 0o755); err != nil {
		return err
	}
	dt, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(docs, "bench", "results.json"), append(dt, '\n'), 0o644); err != nil {
		return err
	}
	for i, a := range r.Apps {
		if err := os.WriteFile(filepath.Join(docs, "bench", svgName(i, a.App)), svgPlot(a), 0o644); err != nil {
			return err
		}
	}
	mdPath := filepath.Join(docs, "benchmarks.md")
	doc, err := os.ReadFile(mdPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	md, err := spliceGenerated(string(doc), markdown(r))
	if err != nil {
		return fmt.Errorf("%s: %w", mdPath, err)
	}
	return os.WriteFile(mdPath, []byte(md), 0o644)
}
