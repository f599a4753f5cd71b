package node

import "slices"

// workspaceManager is how a package manager installs, builds and runs one
// member of a workspace: manager.workspace, nil for a manager Strata builds
// no workspaces with.
type workspaceManager struct {
	// install narrows the manager's frozen install (base) to what the
	// member needs: with dev dependencies and the root's own tools for the
	// build, production dependencies only for the runtime.
	install func(base []string, w *workspace, prod bool) []string
	// build runs the build scripts of w.built, dependencies first.
	build func(w *workspace) [][]string
	// run runs one of the member's scripts from the workspace root.
	run func(w *workspace, script string) []string
	// prune narrows the manager's prune to the member; nil keeps it as it
	// is (it prunes every member's dev dependencies).
	prune func(w *workspace) []string
}

// pnpm selects the member and what it depends on (`name...`) and runs
// their builds in dependency order itself.
var pnpmWorkspaceManager = &workspaceManager{
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
}

// npm installs the named workspaces' dependencies only; it runs scripts in
// the order of the workspaces setting, not of dependencies, so each build
// is a step of its own.
var npmWorkspaceManager = &workspaceManager{
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
}

// yarn 1 has no install of one member: it installs the whole workspace
// (production dependencies of every member for the runtime, whose image
// still holds only the member's and its workspace packages' code).
var yarnWorkspaceManager = &workspaceManager{
	install: func(base []string, _ *workspace, _ bool) []string { return base },
	build:   yarnWorkspaceBuild([]string{"yarn"}),
	run:     yarnWorkspaceRun([]string{"yarn"}),
}

// berryWorkspace is yarn 2+'s, run by yarn (the command that starts the
// project's release): the build's install is the whole frozen workspace
// (it checks the lockfile, and the root's devDependencies are the
// workspace's tools); production dependencies are `workspaces focus` of
// the member, which installs exactly its closure.
func berryWorkspace(yarn []string) *workspaceManager {
	focus := func(w *workspace) []string {
		return append(slices.Clone(yarn), "workspaces", "focus", w.pkg.Name, "--production")
	}
	return &workspaceManager{
		install: func(base []string, w *workspace, prod bool) []string {
			if prod {
				return focus(w)
			}
			return base
		},
		build: yarnWorkspaceBuild(yarn),
		run:   yarnWorkspaceRun(yarn),
		prune: focus,
	}
}

// yarnWorkspaceBuild runs each build script with `yarn workspace <name>`,
// dependencies first: yarn 1 orders nothing, and yarn 2+'s `workspaces
// foreach` needs a plugin before yarn 4.
func yarnWorkspaceBuild(yarn []string) func(w *workspace) [][]string {
	return func(w *workspace) [][]string {
		var out [][]string
		for _, m := range w.built {
			out = append(out, append(slices.Clone(yarn), "workspace", w.name(m), "run", "build"))
		}
		return out
	}
}

func yarnWorkspaceRun(yarn []string) func(w *workspace, script string) []string {
	return func(w *workspace, script string) []string {
		return append(slices.Clone(yarn), "workspace", w.pkg.Name, "run", script)
	}
}
