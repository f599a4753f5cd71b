package node

// workspaceManager is how a package manager installs, builds and runs one
// member of a workspace. Keyed by manager name in workspaceTable; yarn
// berry plugs in with `yarn workspaces focus <name> [--production]`, which
// installs exactly the member's closure.
type workspaceManager struct {
	// install narrows the manager's frozen install (base) to what the
	// member needs: with dev dependencies and the root's own tools for the
	// build, production dependencies only for the runtime.
	install func(base []string, w *workspace, prod bool) []string
	// build runs the build scripts of w.built, dependencies first.
	build func(w *workspace) [][]string
	// run runs one of the member's scripts from the workspace root.
	run func(w *workspace, script string) []string
}

var workspaceTable = map[string]*workspaceManager{
	// pnpm selects the member and what it depends on (`name...`) and runs
	// their builds in dependency order itself.
	"pnpm": {
		install: func(base []string, w *workspace, prod bool) []string {
			args := append(base, "--filter", w.pkg.Name+"...")
			if !prod {
				// The root's devDependencies are the workspace's tools.
				args = append(args, "--filter", ".")
			}
			return args
		},
		build: func(w *workspace) [][]string {
			if len(w.built) == 0 {
				return nil
			}
			return [][]string{{"pnpm", "--filter", w.pkg.Name + "...", "run", "build"}}
		},
		run: func(w *workspace, script string) []string {
			return []string{"pnpm", "--filter", w.pkg.Name, "run", script}
		},
	},
	// npm installs the named workspaces' dependencies only; it runs
	// scripts in the order of the workspaces setting, not of dependencies,
	// so each build is a step of its own.
	"npm": {
		install: func(base []string, w *workspace, prod bool) []string {
			members := w.runtime
			if !prod {
				members = w.build
			}
			args := base
			for _, m := range members {
				args = append(args, "--workspace", m)
			}
			if !prod {
				args = append(args, "--include-workspace-root")
			}
			return args
		},
		build: func(w *workspace) [][]string {
			var out [][]string
			for _, m := range w.built {
				out = append(out, []string{"npm", "run", "build", "--workspace", m})
			}
			return out
		},
		run: func(w *workspace, script string) []string {
			return []string{"npm", "run", script, "--workspace", w.dir}
		},
	},
	// yarn 1 has no install of one member: it installs the whole
	// workspace (production dependencies of every member for the runtime,
	// whose image still holds only the member's and its workspace
	// packages' code).
	"yarn": {
		install: func(base []string, _ *workspace, _ bool) []string { return base },
		build: func(w *workspace) [][]string {
			var out [][]string
			for _, m := range w.built {
				out = append(out, []string{"yarn", "workspace", w.name(m), "run", "build"})
			}
			return out
		},
		run: func(w *workspace, script string) []string {
			return []string{"yarn", "workspace", w.pkg.Name, "run", script}
		},
	},
}
