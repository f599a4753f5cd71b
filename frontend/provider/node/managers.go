package node

import (
	"context"
	"fmt"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

// manager is what Strata knows of a package manager: its lockfile, its
// config files, how to get it, where it caches and how it installs.
type manager struct {
	name string
	// config files the install reads besides package.json and the lockfile;
	// copied with them when present (never .npmrc: it is mounted).
	config []string
	// paths the install reads too, included whether or not they exist
	// (directories such as .yarn/releases; a missing one is skipped).
	paths []string
	// defaultVersion is installed when package.json's packageManager does
	// not pin one; "" means the Node image ships the manager (npm).
	defaultVersion string
	// npmPackage is the npm registry package that installs the manager
	// where corepack cannot ("" when it is the manager's name); corepack
	// is false for a manager corepack does not know.
	npmPackage string
	noCorepack bool
	// committed is a release of the manager in the context that runs with
	// node (yarn 2+'s yarnPath): nothing is installed.
	committed string
	// cache is the manager's download cache, set explicitly through env
	// or flags rather than guessed.
	cache plan.Mount
	env   []plan.Env
	// damaged is what the install prints when its cache's content no
	// longer matches its checksums, repair what mends the cache; the
	// install then runs once more (nil for a manager that refetches a
	// damaged file itself).
	damaged *plan.Recover
	// install is a frozen install with dev dependencies (the build's) or
	// production ones only (the runtime's).
	install func(prod bool) []string
	// prune drops dev dependencies from an installed node_modules; nil for
	// a manager without a prune that keeps built packages as they are.
	prune []string
	// pruneAlways: production dependencies always come from pruning the
	// build's install, which costs less than a second install beside it
	// (npm's prune deletes; a second npm ci extracts every package again
	// and competes with the first for the cores).
	pruneAlways bool
	// stepName names the install steps; nil for "<manager> install".
	stepName func(prod bool) string
	// sourceExclude are what the install makes, which the source copy
	// must not overwrite; appExclude what the runtime's app copy leaves
	// out (the manager's own files).
	sourceExclude, appExclude []string
	// stamped are the files in node_modules the install writes the time
	// into (pnpm's state); the runtime's copy drops them, so two builds
	// of the same lockfile give the same layer.
	stamped []string
	// pnp is set for yarn's Plug'n'Play linker: no node_modules.
	pnp *pnpFiles
	// run runs a package.json script.
	run func(script string) []string
	// workspace builds one member of a workspace; nil for a manager Strata
	// builds no workspaces with.
	workspace *workspaceManager
	// readLock checks the lockfile against package.json and says why
	// installs must run on the target platform ("" when they need not).
	readLock func(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error)
}

// Paths of the managers' caches in the builder.
const (
	npmCache  = "/root/.npm"
	pnpmStore = "/root/.local/share/pnpm/store"
	yarnCache = "/usr/local/share/.cache/yarn"
)

var managerTable = map[string]*manager{
	"bun": bunManager,
	// npm's cache is content-addressed with atomic writes, and so is pnpm's
	// store: parallel builds may share them.
	"npm": {
		name:  "npm",
		cache: plan.Mount{Type: plan.CacheMount, Target: npmCache, CacheID: "strata/node/npm"},
		env:   []plan.Env{{Name: "npm_config_cache", Value: plan.Lit(npmCache)}},
		// npm ci fails on a truncated tarball in its cache (EINTEGRITY)
		// until the cache is verified, which drops what fails its hash.
		// The verify also empties the cache's tmp/, so an install beside
		// it fails on a file gone from the cache: it recovers the same way,
		// after the first (the lock).
		damaged: &plan.Recover{
			Match:  []string{"EINTEGRITY", "npm error path " + npmCache + "/_cacache/"},
			Repair: "npm cache verify",
			Lock:   npmCache + "/.strata-repair.lock",
		},
		install: func(prod bool) []string {
			args := []string{"npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"}
			if prod {
				return append(args, "--omit=dev")
			}
			// Dev dependencies are the build's tools, whatever NODE_ENV says.
			return append(args, "--include=dev")
		},
		prune:       []string{"npm", "prune", "--omit=dev", "--no-audit", "--no-fund"},
		pruneAlways: true,
		run:         func(script string) []string { return []string{"npm", "run", script} },
		readLock:    readNpmLock,
		workspace:   npmWorkspaceManager,
	},
	"pnpm": {
		name:           "pnpm",
		config:         []string{"pnpm-workspace.yaml", ".pnpmfile.cjs"},
		defaultVersion: "10.34.9",
		// The store root, never a versioned v3/v10 folder under it: pnpm
		// picks that itself.
		cache: plan.Mount{Type: plan.CacheMount, Target: pnpmStore, CacheID: "strata/node/pnpm-store"},
		install: func(prod bool) []string {
			// The store is another filesystem (a cache mount): copy from it.
			args := []string{"pnpm", "install", "--frozen-lockfile", "--prefer-offline", "--store-dir", pnpmStore, "--package-import-method", "copy", "--reporter", "append-only"}
			if prod {
				return append(args, "--prod")
			}
			// Without --prod pnpm installs dev dependencies too (the builder
			// image sets no NODE_ENV).
			return args
		},
		prune:     []string{"pnpm", "prune", "--prod"},
		stamped:   []string{"node_modules/.modules.yaml", "node_modules/.pnpm-workspace-state-v1.json"},
		run:       func(script string) []string { return []string{"pnpm", "run", script} },
		readLock:  readPnpmLock,
		workspace: pnpmWorkspaceManager,
	},
	"yarn": {
		name:           "yarn",
		config:         []string{".yarnrc"},
		defaultVersion: "1.22.22",
		// yarn 1's cache is not safe for concurrent writers: one at a time.
		cache: plan.Mount{Type: plan.CacheMount, Target: yarnCache, CacheID: "strata/node/yarn", Sharing: plan.SharingLocked},
		env:   []plan.Env{{Name: "YARN_CACHE_FOLDER", Value: plan.Lit(yarnCache)}},
		install: func(prod bool) []string {
			// --production=false: dev dependencies whatever NODE_ENV says.
			return []string{"yarn", "install", "--frozen-lockfile", "--non-interactive", "--prefer-offline", fmt.Sprintf("--production=%v", prod)}
		},
		run:       func(script string) []string { return []string{"yarn", "run", script} },
		readLock:  readYarnLock,
		workspace: yarnWorkspaceManager,
	},
}
