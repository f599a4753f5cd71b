// Package node plans Node.js apps: a frozen install keyed on package.json
// and the lockfile only, with the package manager's cache on a cache mount;
// the build script with the full context; production dependencies installed
// from the warm cache beside the build; a slim non-root runtime image.
package node

import (
	"context"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// settings is the `node:` section of the description.
type settings struct {
	Version        spec.Value[string] `yaml:"version"`
	PackageManager spec.Value[string] `yaml:"packageManager"`
	SPA            spec.Value[bool]   `yaml:"spa"`
	Workspace      spec.Value[string] `yaml:"workspace"`
}

// lockfiles name each package manager's lockfile, in detection order.
var lockfiles = []struct{ file, manager string }{
	{"package-lock.json", "npm"},
	{"npm-shrinkwrap.json", "npm"},
	{"yarn.lock", "yarn"},
	{"pnpm-lock.yaml", "pnpm"},
	{"bun.lock", "bun"},
	{"bun.lockb", "bun"},
}

// managerNames are the package managers Strata knows of; managerTable has
// those it builds with.
var managerNames = []string{"npm", "yarn", "pnpm", "bun"}

type Provider struct{}

func New() Provider { return Provider{} }

func (Provider) Name() string { return "node" }

func (Provider) Patterns() []string {
	out := []string{"package.json", ".nvmrc", ".node-version", ".tool-versions", ".npmrc"}
	for _, l := range lockfiles {
		out = append(out, l.file)
	}
	for _, name := range slices.Sorted(maps.Keys(managerTable)) {
		out = append(out, managerTable[name].config...)
	}
	// yarn 2+: its settings, and its committed release (yarnPath).
	out = append(out, yarnrcFile, ".yarn/releases/*")
	return append(out, memberConfigs()...)
}

func (Provider) Detect(ctx context.Context, fsys source.FS) (bool, error) {
	return source.Exists(ctx, fsys, "package.json")
}

func (Provider) Section() any { return &settings{} }

// Docs describes the `node:` keys in the JSON Schema.
func (Provider) Docs() map[string]string {
	return map[string]string{
		"":               "Node.js settings; every key is optional.",
		"version":        "Node release line or version of the builder and runtime images, e.g. \"22\" (default: .nvmrc, .node-version or .tool-versions, else the newest release line engines.node allows, else the current LTS, 26).",
		"packageManager": "npm, pnpm, yarn (1, or 2+ when yarn.lock is a yarn 2+ lockfile, .yarnrc.yml exists or packageManager pins yarn@2+) or bun (default: from the lockfile and package.json's packageManager).",
		"spa":            "For a static site: answer unknown paths with index.html, so client-side routes survive a reload (default true).",
		"workspace":      "The member of an npm, pnpm or yarn (1 or 2+) workspace to build, by its directory, e.g. \"apps/web\": the install sees every member's package.json, the build builds the member and the workspace packages it depends on, the image holds only those and their production dependencies.",
	}
}

func (p Provider) Plan(ctx context.Context, in provider.Input) (*plan.Plan, error) {
	s := in.Spec
	var cfg settings
	if err := s.Sections["node"].Decode(&cfg); err != nil {
		return nil, err
	}
	m, err := readManifest(ctx, in.Context, "")
	if err != nil {
		return nil, err
	}
	r := &resolver{Record: provider.Record{Spec: s}, cfg: cfg, pkg: m, in: in}
	r.Set("app", "node", in.Reason)
	if err := r.resolve(ctx); err != nil {
		return nil, err
	}
	pl := r.plan()
	pl.Findings = r.Findings
	return pl, nil
}

// resolver turns settings, package.json, the lockfile and defaults into
// concrete choices, recording where each came from.
type resolver struct {
	provider.Record
	cfg settings
	pkg *manifest
	in  provider.Input

	version version
	manager string
	mgr     *manager
	// mgrVersion is the manager version to install; "" when the Node
	// image ships it.
	mgrVersion string
	lockfile   string
	// installPlatform is where installs run: the build platform, unless a
	// package builds native code or is platform-specific.
	installPlatform plan.Platform
	build           []plan.Str // the build command, exec form; nil for none
	start           provider.Start
	base            provider.Base
	hasNpmrc        bool
	// configFiles are the manager's config files the context holds.
	configFiles []string
	fw          *framework // nil when no framework is detected
	static      string     // the build output a static site serves; "" for a server
	bunRuntime  bool       // the start command runs bun: the runtime gets its binary
	ws          *workspace // nil unless node.workspace picks a member
	// wsBuild are a workspace member's build commands, dependencies first.
	wsBuild [][]string
}

func (r *resolver) resolve(ctx context.Context) error {
	if err := r.resolveVersion(ctx); err != nil {
		return err
	}
	if err := r.resolveManager(ctx); err != nil {
		return err
	}
	if err := r.resolveWorkspace(ctx); err != nil {
		return err
	}
	if err := r.resolveFramework(ctx); err != nil {
		return err
	}
	if err := r.resolveStart(); err != nil {
		if wsErr := r.workspaceRootError(ctx); wsErr != nil {
			return wsErr
		}
		return err
	}
	var err error
	if r.hasNpmrc, err = source.Exists(ctx, r.in.Context, ".npmrc"); err != nil {
		return err
	}
	if err := r.checkNpmrc(ctx); err != nil {
		return err
	}
	needs := provider.Needs{Family: provider.Language, Runtime: r.runtimeImage(), User: nodeUser}
	if r.static != "" {
		needs = provider.Needs{Family: provider.Language, Runtime: staticServer, User: staticServerUser}
	}
	r.base, err = provider.ResolveBase(r.Spec, needs, r.Set)
	return err
}

func (r *resolver) resolveVersion(ctx context.Context) error {
	if v := r.cfg.Version; v.Set {
		parsed, ok := parseExact(v.V)
		if !ok {
			return r.Spec.Errorf(v.Pos, "node.version", "write a release line such as 22 or a version such as 22.11.0", fmt.Sprintf("%q is not a Node version", v.V))
		}
		r.version = parsed
		r.Set("node version", parsed.String(), r.At(v.Pos))
		r.checkEngines("node.version", v.Pos, "")
		return nil
	}
	// A version file pins a version; engines.node is a range: the pin wins
	// and is checked against the range (NodeEnginesNotSatisfied).
	v, from, err := fileVersion(ctx, r.in.Context, "")
	if err != nil {
		return err
	}
	if from != "" {
		r.version = v
		r.Set("node version", v.String(), from)
		file, _, _ := strings.Cut(from, " ")
		r.checkEngines(from, spec.Pos{Line: 1, Column: 1}, file)
		return nil
	}
	if rng := r.pkg.Engines["node"]; rng != "" {
		major, ok := satisfyingMajor(rng)
		if !ok {
			return fmt.Errorf("package.json: engines.node %q allows none of the Node release lines %v (set `node: {version: …}` or widen the range)", rng, knownMajors)
		}
		r.version = version{parts: []int{major}}
		r.Set("node version", r.version.String(), fmt.Sprintf("package.json engines.node %q (newest release line it allows)", rng))
		return nil
	}
	r.version = version{parts: []int{ltsMajor}}
	r.Set("node version", r.version.String(), "default: the current LTS line")
	return nil
}

func (r *resolver) resolveManager(ctx context.Context) error {
	var found []string
	for _, l := range lockfiles {
		ok, err := source.Exists(ctx, r.in.Context, l.file)
		if err != nil {
			return err
		}
		if ok {
			found = append(found, l.file)
			if r.lockfile == "" {
				r.lockfile, r.manager = l.file, l.manager
			}
		}
	}
	if len(found) > 1 && !(len(found) == 2 && found[0] == "package-lock.json" && found[1] == "npm-shrinkwrap.json") {
		return fileError(ruleLockfilesConflict, found[0], fmt.Sprintf("several lockfiles (%s): Strata cannot tell which package manager the app uses", strings.Join(found, ", ")), "delete the ones you do not use")
	}
	declared, _, _ := strings.Cut(r.pkg.PackageManager, "@")
	if pm := r.cfg.PackageManager; pm.Set {
		if !slices.Contains(managerNames, pm.V) {
			return r.Spec.Errorf(pm.Pos, "node.packageManager", spec.Suggest(pm.V, managerNames), fmt.Sprintf("unknown package manager %q", pm.V))
		}
		if r.manager != "" && pm.V != r.manager {
			return r.Spec.Errorf(pm.Pos, "node.packageManager", "remove node.packageManager or the lockfile of the other manager",
				fmt.Sprintf("%s, but the context holds %s, which is %s's", pm.V, r.lockfile, r.manager))
		}
		r.manager = pm.V
	}
	if declared != "" && r.manager != "" && declared != r.manager {
		return fileError(ruleLockfilesConflict, "package.json", fmt.Sprintf("packageManager %q contradicts %s, which is %s's", r.pkg.PackageManager, r.lockfile, r.manager), "make them agree")
	}
	switch {
	case r.manager == "" && declared != "":
		r.manager = declared
	case r.manager == "":
		return fileError(ruleLockfileMissing, "package.json", "no lockfile (package-lock.json, yarn.lock, pnpm-lock.yaml or bun.lock): builds would not be reproducible", "run npm install, or your package manager's install, and commit the lockfile")
	}
	r.mgr = managerTable[r.manager]
	if r.mgr == nil {
		return fmt.Errorf("%s: Strata does not build %s apps yet, only npm, pnpm, yarn and bun ones", r.lockfileOr("package.json"), r.manager)
	}
	from := r.lockfile
	if r.cfg.PackageManager.Set {
		from = r.At(r.cfg.PackageManager.Pos)
	}
	r.Set("package manager", r.manager, from)
	if r.lockfile == "" {
		return fileError(ruleLockfileMissing, "package.json", "no "+r.manager+" lockfile", "run "+r.manager+" install and commit it")
	}
	if r.manager == "yarn" {
		if err := r.resolveYarn(ctx); err != nil {
			return err
		}
	}
	if err := r.resolveManagerVersion(); err != nil {
		return err
	}
	pkg, err := r.mgr.readLock(ctx, r.in.Context, r.lockfile, r.pkg)
	if err != nil {
		return err
	}
	for _, f := range r.mgr.config {
		ok, err := source.Exists(ctx, r.in.Context, f)
		if err != nil {
			return err
		}
		if ok {
			r.configFiles = append(r.configFiles, f)
		}
	}
	r.configFiles = append(r.configFiles, r.mgr.paths...)
	r.installPlatform = plan.BuildPlatform
	if pkg != "" {
		r.installPlatform = plan.TargetPlatform
		r.Set("install platform", "target", r.lockfile+": "+pkg+", so installs run on the target platform (emulated for another one)")
	}
	return nil
}

// managerVersion is a version packageManager may pin (a +sha suffix is
// corepack's checksum); it reaches a command line, so nothing else passes.
var managerVersion = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$`)

// resolveManagerVersion picks the manager version to install: the one
// package.json's packageManager pins, else Strata's default for managers
// the Node image does not ship.
func (r *resolver) resolveManagerVersion() error {
	name, pinned, ok := strings.Cut(r.pkg.PackageManager, "@")
	pinned, _, _ = strings.Cut(pinned, "+")
	switch {
	case r.mgr.committed != "":
		r.Set(r.manager+" version", r.mgr.committed, yarnrcFile+" yarnPath (the committed release runs with node: nothing is installed)")
	case ok && name == r.manager:
		if !managerVersion.MatchString(pinned) {
			return fmt.Errorf("package.json: packageManager %q does not pin a version (write %s@<major.minor.patch>, as corepack wants)", r.pkg.PackageManager, name)
		}
		r.mgrVersion = pinned
		r.Set(r.manager+" version", pinned, "package.json packageManager")
	case r.mgr.defaultVersion != "":
		r.mgrVersion = r.mgr.defaultVersion
		r.Set(r.manager+" version", r.mgrVersion, "default (pin one with packageManager in package.json)")
	}
	return nil
}

func (r *resolver) lockfileOr(def string) string {
	if r.lockfile != "" {
		return r.lockfile
	}
	return def
}

// resolveStart finds the build command and how the app starts.
func (r *resolver) resolveStart() error {
	if cmd := r.Spec.Build.Command; cmd.Set {
		r.Set("build command", cmd.V, r.At(cmd.Pos))
	} else if r.ws != nil {
		r.resolveWorkspaceBuild()
	} else if _, ok := r.pkg.Scripts["build"]; ok {
		r.build = plan.Lits(r.mgr.run("build")...)
		r.Set("build command", strings.Join(r.mgr.run("build"), " "), "package.json scripts.build")
	} else {
		r.Set("build command", "none", "package.json has no build script")
	}
	r.resolveStatic(r.fw != nil && r.fw.export)
	start := r.pkg.Scripts["start"]
	switch {
	case r.static != "":
		return nil // the static server's own command serves it
	case r.Spec.Run.Cmd.Set:
		r.Set("start", strings.Join(r.Spec.Run.Cmd.V, " "), r.At(r.Spec.Run.Cmd.Pos))
	case r.fw != nil && r.fw.standalone:
		r.start.Cmd = plan.Lits("node", "server.js")
		r.Set("start", "node server.js", "Next.js standalone output")
	case r.fw != nil && r.fw.name == "nest" && !isPlainNode(start):
		r.nestStart()
	case start != "":
		if argv, ok := plainNode(start); ok {
			// node as PID 1 gets signals; npm in between would not pass them on.
			r.start.Cmd = plan.Lits(argv...)
			r.Set("start", start, "package.json scripts.start (node runs directly)")
		} else if argv, ok := r.bunStart(start); ok {
			r.start.Cmd = plan.Lits(argv...)
			r.Set("start", strings.Join(argv, " "), "package.json scripts.start runs bun, which the runtime gets")
		} else {
			// npm is in every Node runtime image and runs scripts as the
			// other managers do.
			r.start.Cmd = plan.Lits("npm", "run", "start")
			r.Set("start", "npm run start", "package.json scripts.start is not a plain node command")
		}
	case r.pkg.Main != "":
		r.start.Cmd = plan.Lits("node", path.Clean(r.pkg.Main))
		r.Set("start", "node "+path.Clean(r.pkg.Main), "package.json main")
	default:
		return r.Spec.Errorf(r.Spec.Run.Cmd.Pos, "run.cmd", "add a start script to package.json, or set `run: {cmd: [node, server.js]}`",
			"package.json has no start script and no main: Strata cannot tell how the app starts")
	}
	// The whole start command is the image's Cmd: run.cmd replaces it.
	r.start.Entrypoint = []plan.Str{}
	return nil
}

// plainNode splits a start script that only runs node on a file, such as
// "node dist/server.js --port 3000", into its words.
func plainNode(script string) ([]string, bool) {
	words := strings.Fields(script)
	if len(words) < 2 || words[0] != "node" || strings.ContainsAny(script, "&|;<>()$`\\\"'*?") {
		return nil, false
	}
	return words, true
}

// runtimeImage is the slim image of the chosen Node version.
func (r *resolver) runtimeImage() string { return "node:" + r.version.String() + "-slim" }

// builderImage has what native addons need (python3, make, g++).
func (r *resolver) builderImage() string { return "node:" + r.version.String() }
