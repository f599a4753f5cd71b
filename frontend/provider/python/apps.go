package python

import (
	"context"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/source"
)

// Apps lists the project at the root of the context and, in a uv
// workspace, each member, built from the workspace root with
// python.package. Members may be libraries: those are the ones Plan finds
// nothing to run in, so they are optional.
func (Provider) Apps(ctx context.Context, fsys source.FS) ([]provider.App, []string, error) {
	proj, err := readProjectFile(ctx, fsys, "pyproject.toml")
	if err != nil {
		return nil, nil, err
	}
	if proj == nil || proj.Tool.UV.Workspace == nil {
		return []provider.App{{Dir: "."}}, nil, nil
	}
	ws := proj.Tool.UV.Workspace
	found, err := readMembers(ctx, fsys, ws.Members, ws.Exclude)
	if err != nil {
		return nil, nil, err
	}
	var apps []provider.App
	var members []string
	if proj.Project.Name != "" {
		apps = append(apps, provider.App{Dir: ".", Optional: true})
	}
	for _, m := range found {
		members = append(members, m.dir)
		apps = append(apps, provider.App{Dir: m.dir, Name: m.name, Keys: []provider.Key{{Path: "python.package", Value: m.name}}, Optional: true})
	}
	return apps, members, nil
}

// SettingKeys maps the Python settings to their description keys. The
// start is not run.cmd: a detected start also sets what goes with it
// (Django's collectstatic), which run.cmd turns off.
func (Provider) SettingKey(s plan.Setting) string {
	if s.Key == "python version" {
		return "python.version"
	}
	return provider.SharedSettingKeys[s.Key]
}
