package node

import (
	"context"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
)

// Apps lists the packages with something to build or run (a build or a
// start script): each workspace member with one that no other member
// depends on (or that has a start script), built from the workspace root
// with node.workspace, and the root itself when it has one (with
// workspaces, only a start script: a root build script most often just
// builds the members).
func (Provider) Apps(ctx context.Context, fsys source.FS) ([]provider.App, []string, error) {
	root, err := readManifest(ctx, fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	manager := "npm"
	if ok, err := source.Exists(ctx, fsys, "pnpm-workspace.yaml"); err != nil {
		return nil, nil, err
	} else if ok {
		manager = "pnpm"
	}
	g, err := readGlobs(ctx, fsys, manager)
	if err != nil {
		return nil, nil, err
	}
	var members []string
	if len(g.patterns) > 0 {
		if members, err = listMembers(ctx, fsys, g); err != nil {
			return nil, nil, err
		}
	}
	var apps []provider.App
	if root.Scripts["start"] != "" || (len(members) == 0 && root.Scripts["build"] != "") {
		apps = append(apps, provider.App{Dir: "."})
	}
	pkgs := make([]*manifest, len(members))
	used := map[string]bool{} // packages a member depends on
	for i, m := range members {
		if pkgs[i], err = readManifest(ctx, fsys, m); err != nil {
			return nil, nil, err
		}
		for _, deps := range []map[string]string{pkgs[i].Dependencies, pkgs[i].DevDependencies, pkgs[i].Optional} {
			for name := range deps {
				used[name] = true
			}
		}
	}
	for i, m := range members {
		pkg := pkgs[i]
		// A member others depend on is a library, even with a build
		// script (tsc), unless it starts something itself.
		if pkg.Scripts["start"] == "" && (pkg.Scripts["build"] == "" || used[pkg.Name]) {
			continue
		}
		apps = append(apps, provider.App{Dir: m, Keys: []provider.Key{{Path: "node.workspace", Value: m}}})
	}
	return apps, members, nil
}

// SettingKey maps the Node settings to their description keys. A start
// is run.cmd only when node runs it: another runtime (bun) comes with
// the start that names it, not with run.cmd.
func (Provider) SettingKey(s plan.Setting) string {
	switch s.Key {
	case "node version":
		return "node.version"
	case "package manager":
		return "node.packageManager"
	case "spa fallback":
		return "node.spa"
	case "start":
		if strings.HasPrefix(s.Value, "node ") {
			return "run.cmd"
		}
		return ""
	}
	return provider.SharedSettingKeys[s.Key]
}
