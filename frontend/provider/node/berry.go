package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

// berryDefaultVersion is the yarn 2+ release installed when nothing pins
// one (package.json packageManager, or a committed yarnPath release).
const berryDefaultVersion = "4.18.1"

// Paths of yarn 2+ in the builder.
const (
	// berryGlobal is yarn's global folder; its cache/ is the global cache
	// (and the mirror when the project keeps a cache of its own).
	berryGlobal = "/root/.yarn/berry"
	// berryProjectCache is the project-local cache PnP installs fill: the
	// runtime needs the zips .pnp.cjs points into.
	berryProjectCache = appDir + "/.yarn/cache"
)

// The PnP runtime's files, made by the production install.
const (
	pnpRuntime = appDir + "/.pnp.cjs"
	pnpLoader  = appDir + "/.pnp.loader.mjs"
)

// berryProject is what decides how a yarn 2+ app is installed.
type berryProject struct {
	rc *yarnrc
	// major is the yarn release line (2, 3, 4 …).
	major int
}

// resolveYarn tells yarn 1 from yarn 2+ ("berry"): a berry lockfile
// (__metadata), a .yarnrc.yml or packageManager yarn@2+ means berry; the
// signs must agree, since berry would rewrite a yarn 1 lockfile (and yarn 1
// cannot read a berry one), which a frozen install refuses.
func (r *resolver) resolveYarn(ctx context.Context) error {
	rc, err := readYarnrc(ctx, r.in.Context)
	if err != nil {
		return err
	}
	var lock []byte
	if r.lockfile != "" {
		if lock, err = source.ReadAll(ctx, r.in.Context, r.lockfile, maxManifest); err != nil {
			return err
		}
	}
	name, pinned, _ := strings.Cut(r.pkg.PackageManager, "@")
	pinMajor := 0
	if name == "yarn" {
		pinMajor, _ = strconv.Atoi(strings.Split(pinned, ".")[0])
	}
	berryLockfile := isBerryLock(lock)
	var sign string
	switch {
	case berryLockfile:
		sign = r.lockfile + " is a yarn 2+ lockfile (__metadata)"
	case rc.exists:
		sign = "the context holds " + yarnrcFile
	case pinMajor >= 2:
		sign = fmt.Sprintf("package.json packageManager %q", r.pkg.PackageManager)
	default:
		r.mgr = managerTable["yarn"]
		return nil
	}
	switch {
	case pinMajor == 1:
		return fileError(ruleLockfilesConflict, "package.json", fmt.Sprintf("packageManager %q is yarn 1, but the app is a yarn 2+ one (%s)", r.pkg.PackageManager, sign), "pin yarn@4 (or the release you use) in packageManager, or drop yarn 2+'s files")
	case len(lock) > 0 && !berryLockfile:
		return fileError(ruleLockfilesConflict, r.lockfile, fmt.Sprintf("%s is a yarn 1 lockfile, but the app is a yarn 2+ one (%s)", r.lockfile, sign), "run yarn install with the yarn 2+ release the app uses and commit the new "+r.lockfile+" (or remove "+yarnrcFile+" to stay on yarn 1)")
	}
	b := berryProject{rc: rc}
	b.major, err = r.berryMajor(ctx, b, pinMajor, lock)
	if err != nil {
		return err
	}
	if b.major < 4 && !slices.ContainsFunc(rc.plugins, func(p string) bool { return strings.Contains(p, "plugin-workspace-tools") }) {
		return fmt.Errorf("%s: yarn %d has no `yarn workspaces focus`, which installs production dependencies without dev ones (built into yarn 4); run `yarn plugin import workspace-tools` and commit .yarn/plugins and %s, or move to yarn 4", yarnrcFile, b.major, yarnrcFile)
	}
	r.mgr = berryManager(b)
	linker := "pnp (Plug'n'Play, yarn's default)"
	if !rc.pnp() {
		linker = rc.nodeLinker.V
	}
	from := yarnrcFile + " nodeLinker"
	if rc.nodeLinker.V == "" {
		from = "default: " + yarnrcFile + " sets no nodeLinker"
	}
	r.Set("yarn release", fmt.Sprintf("yarn %d (berry)", b.major), sign)
	r.Set("yarn linker", linker, from)
	if r.mgr.pnp != nil {
		r.Set("runtime NODE_OPTIONS", r.mgr.pnp.nodeOptions(), "PnP: no node_modules, so every node the runtime starts loads .pnp.cjs (and the ESM loader)")
	}
	return nil
}

// yarnRelease is the version in a release file's name (yarn-4.18.1.cjs).
var yarnRelease = regexp.MustCompile(`^yarn-(\d+)\.\d+\.\d+[^/]*\.c?js$`)

// berryMajor is the yarn release line: the committed release's, else the
// pinned one, else the default's.
func (r *resolver) berryMajor(ctx context.Context, b berryProject, pinMajor int, lock []byte) (int, error) {
	yp := b.rc.yarnPath
	if yp.V == "" {
		if pinMajor >= 2 {
			return pinMajor, nil
		}
		major, _ := strconv.Atoi(strings.Split(berryDefaultVersion, ".")[0])
		return major, nil
	}
	clean := path.Clean(yp.V)
	if path.IsAbs(clean) || strings.HasPrefix(clean, "..") {
		return 0, fmt.Errorf("%s:%d: yarnPath %q is outside the build context (commit the release under .yarn/releases)", yarnrcFile, yp.Line, yp.V)
	}
	if strings.HasPrefix(clean, ".yarn/releases/") {
		// Only .yarn/releases is read while planning: another path is
		// found, or not, by the install itself.
		if _, err := r.in.Context.ReadFile(ctx, clean, 1); errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("%s:%d: yarnPath %q is not in the build context (commit the release, and keep .yarn/releases out of .dockerignore)", yarnrcFile, yp.Line, yp.V)
		} else if err != nil {
			return 0, err
		}
	}
	if m := yarnRelease.FindStringSubmatch(path.Base(clean)); m != nil {
		major, _ := strconv.Atoi(m[1])
		return major, nil
	}
	if pinMajor >= 2 {
		return pinMajor, nil
	}
	return 0, fmt.Errorf("%s:%d: yarnPath %q does not say its yarn release (name it yarn-<version>.cjs, as yarn set version does, or pin yarn@<version> in package.json packageManager)", yarnrcFile, yp.Line, yp.V)
}

// berryManager is yarn 2+ for one project: its linker decides where the
// packages live, a committed release runs with node directly (no download).
func berryManager(b berryProject) *manager {
	yarn := []string{"yarn"}
	var paths []string
	if yp := b.rc.yarnPath.V; yp != "" {
		yarn = []string{"node", path.Clean(yp)}
		paths = append(paths, path.Clean(yp))
	}
	cmd := func(args ...string) []string { return append(slices.Clone(yarn), args...) }
	// yarn's cache writes through a temporary file that is moved (copied,
	// across filesystems) into place, and readers do not take its lock: a
	// concurrent install can read a half-written zip. One at a time.
	cache := plan.Mount{Type: plan.CacheMount, Target: berryGlobal, CacheID: "strata/node/yarn-berry", Sharing: plan.SharingLocked}
	env := []plan.Env{
		{Name: "YARN_GLOBAL_FOLDER", Value: plan.Lit(berryGlobal)},
		{Name: "YARN_ENABLE_TELEMETRY", Value: plan.Lit("false")},
		// Berry reads the registry from its own setting, not npm's.
		{Name: "YARN_NPM_REGISTRY_SERVER", Value: plan.Tmpl("${NPM_CONFIG_REGISTRY}"), IfSet: true},
	}
	m := &manager{
		name: "yarn",
		// Missing ones are skipped; the install never sees the source.
		paths:          slices.Concat([]string{yarnrcFile, ".yarn/releases", ".yarn/plugins", ".yarn/patches", "patches"}, paths),
		defaultVersion: berryDefaultVersion,
		npmPackage:     "@yarnpkg/cli-dist",
		cache:          cache,
		install: func(prod bool) []string {
			if prod {
				// Built into yarn 4 (the workspace-tools plugin before): an
				// install of the production dependencies of every workspace.
				return cmd("workspaces", "focus", "--all", "--production")
			}
			return cmd("install", "--immutable")
		},
		stepName: func(prod bool) string {
			if prod {
				return "yarn workspaces focus (production)"
			}
			return "yarn install"
		},
		run:       func(script string) []string { return cmd("run", script) },
		readLock:  readBerryLock(b.rc.enableScripts),
		workspace: berryWorkspace(yarn),
		// What the install makes: never overwritten by the source (a
		// zero-install project commits them) nor copied with the app.
		sourceExclude: []string{".yarn/cache", ".yarn/unplugged", ".yarn/install-state.gz", ".pnp.cjs", ".pnp.loader.mjs"},
		appExclude:    []string{".yarn", ".pnp.cjs", ".pnp.loader.mjs"},
	}
	if yp := b.rc.yarnPath.V; yp != "" {
		m.defaultVersion, m.committed = "", path.Clean(yp)
	}
	if !b.rc.pnp() {
		// node_modules holds the packages: the global cache on the mount
		// serves every install (yarn 4's default, set for yarn 2 and 3 too).
		m.env = append(env, plan.Env{Name: "YARN_ENABLE_GLOBAL_CACHE", Value: plan.Lit("true")})
		// The build's node_modules pruned by focus: what it built stays.
		m.prune = cmd("workspaces", "focus", "--all", "--production")
		return m
	}
	// PnP loads packages from their zips: they must be in the project. A
	// project cache filled from the global mirror on the mount (a copy, no
	// download) holds exactly the zips of the install that made it, so the
	// production install runs in a fresh stage (focus on the build's
	// install would leave the dev zips behind).
	m.env = append(env,
		plan.Env{Name: "YARN_ENABLE_GLOBAL_CACHE", Value: plan.Lit("false")},
		plan.Env{Name: "YARN_ENABLE_MIRROR", Value: plan.Lit("true")},
		plan.Env{Name: "YARN_CACHE_FOLDER", Value: plan.Lit(berryProjectCache)},
	)
	m.pnp = &pnpFiles{loader: b.rc.esmLoader == nil || *b.rc.esmLoader}
	if b.rc.esmLoader == nil {
		// Whether yarn writes the ESM loader depends on the packages; the
		// runtime's start command must know, so it is always written.
		m.env = append(m.env, plan.Env{Name: "YARN_PNP_ENABLE_ESM_LOADER", Value: plan.Lit("true")})
	}
	return m
}

// pnpFiles are what a PnP runtime needs besides the app.
type pnpFiles struct {
	loader bool // .pnp.loader.mjs is written (ESM imports resolve through it)
}

// nodeOptions load PnP into every node the runtime starts: the start
// command, run.cmd, `npm run start`.
func (p *pnpFiles) nodeOptions() string {
	opts := "--require " + pnpRuntime
	if p.loader {
		opts += " --experimental-loader file://" + pnpLoader
	}
	return opts
}

// runtimeCopy is what the production install made (.pnp.cjs, the loader,
// .yarn with the zips and unplugged packages), as one linked layer that
// changes with the lockfile only.
func (p *pnpFiles) runtimeCopy() plan.Step {
	return plan.Step{Name: "copy the production packages (PnP)", Copy: &plan.Copy{
		From: plan.Source{Stage: "prod-deps"}, Src: plan.Lit(appDir), Dest: plan.Lit(appDir), Link: true,
	}}
}

// pnpNodeOptions load PnP in the runtime through NODE_OPTIONS; a
// NODE_OPTIONS in run.env keeps its options after PnP's.
func (r *resolver) pnpNodeOptions(img *plan.Image, defaults []plan.Env) []plan.Env {
	opts := r.mgr.pnp.nodeOptions()
	for i, e := range img.Env {
		if e.Name == "NODE_OPTIONS" {
			img.Env[i].Value = plan.Str{Text: opts + " " + e.Value.Text, Template: e.Value.Template}
			return defaults
		}
	}
	return append(defaults, plan.Env{Name: "NODE_OPTIONS", Value: plan.Lit(opts)})
}
