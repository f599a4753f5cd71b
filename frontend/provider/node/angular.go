package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// angularBuilders are the packages whose builders `ng build` runs.
var angularBuilders = []string{"@angular/build", "@angular-devkit/build-angular"}

// angularWorkspace is what Strata reads of angular.json.
type angularWorkspace struct {
	Projects map[string]struct {
		ProjectType string `json:"projectType"`
		Architect   struct {
			Build struct {
				Builder string `json:"builder"`
				Options struct {
					OutputPath json.RawMessage `json:"outputPath"`
				} `json:"options"`
			} `json:"build"`
		} `json:"architect"`
	} `json:"projects"`
}

// isAngular: an Angular app built by the Angular CLI.
func (m *manifest) isAngular() bool {
	return m.hasDependency("@angular/core") && slices.ContainsFunc(angularBuilders, m.hasDependency)
}

// angularOutput reads the application project of angular.json (in dir)
// and where its build writes the browser files: outputPath's browser
// folder for the application builder (dist/<project>/browser by
// default), outputPath itself for the older browser builder.
func angularOutput(ctx context.Context, r *resolver, dir string) (project, out string, err error) {
	name := join(dir, "angular.json")
	dt, err := source.ReadAll(ctx, r.in.Context, name, maxManifest)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("%s: missing, though package.json depends on @angular/core (Strata reads the project's output path from it)", name)
	} else if err != nil {
		return "", "", err
	}
	var w angularWorkspace
	if err := json.Unmarshal(dt, &w); err != nil {
		return "", "", fmt.Errorf("%s: %v (fix the JSON)", name, jsonError(dt, err))
	}
	var apps []string
	for _, p := range slices.Sorted(maps.Keys(w.Projects)) {
		if w.Projects[p].ProjectType == "application" {
			apps = append(apps, p)
		}
	}
	switch len(apps) {
	case 0:
		return "", "", fmt.Errorf("%s: no project with projectType application (Strata builds an Angular application)", name)
	case 1:
	default:
		return "", "", fmt.Errorf("%s: several applications (%s): Strata cannot tell which to serve (set `build: {command: ...}` and `run:` yourself, or keep one application per workspace)", name, strings.Join(apps, ", "))
	}
	project = apps[0]
	build := w.Projects[project].Architect.Build
	base, browser := "dist/"+project, "browser"
	if raw := build.Options.OutputPath; len(raw) > 0 {
		var s string
		var o struct {
			Base    string  `json:"base"`
			Browser *string `json:"browser"`
		}
		switch {
		case json.Unmarshal(raw, &s) == nil:
			base = s
		case json.Unmarshal(raw, &o) == nil && o.Base != "":
			base = o.Base
			if o.Browser != nil {
				browser = *o.Browser
			}
		default:
			return "", "", fmt.Errorf("%s: projects.%s.architect.build.options.outputPath must be a path or {\"base\": ..., \"browser\": ...}", name, project)
		}
	}
	if strings.HasSuffix(build.Builder, ":browser") {
		browser = "" // the browser builder writes the site to outputPath itself
	}
	out = path.Clean(path.Join(base, browser))
	if out == "." || path.IsAbs(out) || strings.HasPrefix(out, "../") {
		return "", "", fmt.Errorf("%s: output path %q is not inside the app", name, out)
	}
	return project, out, nil
}
