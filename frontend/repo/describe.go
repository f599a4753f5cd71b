package repo

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/schema"
	"github.com/strata-build/strata/frontend/source"
)

// Describe writes the description of a found app: the syntax line naming
// frontend, the keys that pick the app (app:, go.main …) and, as YAML
// comments, every setting its plan resolved, as the key that changes it
// when there is one. It plans the app from exactly that description, as
// the frontend will, and returns the plan too.
func Describe(ctx context.Context, root, frontend string, f Found) ([]byte, *plan.Plan, error) {
	live := &strings.Builder{}
	fmt.Fprintf(live, "# syntax=%s\n", frontend)
	live.WriteString("# Written by `strata init`. The commented keys are what Strata detected:\n")
	live.WriteString("# remove the \"# \" before one to set it.\n")
	cmd := "strata plan"
	if f.App.Dir != "." {
		cmd += " -f " + f.Description()
	}
	if f.Context != "." {
		cmd += " " + f.Context
	}
	fmt.Fprintf(live, "# `%s` (from the repository root) shows the whole build.\n", cmd)
	if f.Named {
		fmt.Fprintf(live, "app: %s\n", f.Provider.Name())
	}
	sections := groups(f.Provider.Name())
	set := map[string]bool{}
	for _, k := range f.Keys {
		sec, _, _ := strings.Cut(k.Path, ".")
		sections[sec].live = append(sections[sec].live, liveKey(k))
		set[k.Path] = true
	}
	head := live.String()
	s, err := pipeline.Parse(f.Description(), []byte(head+render(sections, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the description strata init writes does not parse (a bug): %w", f.Path(), err)
	}
	p, err := pipeline.Plan(ctx, s, source.Dir(filepath.Join(root, filepath.FromSlash(f.Context))))
	if err != nil {
		return nil, nil, err
	}
	l, _ := f.Provider.(provider.Lister)
	types, err := keyTypes()
	if err != nil {
		return nil, nil, err
	}
	var others []plan.Setting
	for _, st := range p.Settings {
		k := ""
		if l != nil {
			k = l.SettingKey(st)
		}
		// The live keys' own settings say where they were written.
		if st.Key == "app" || set[k] || strings.HasPrefix(st.Source, f.Description()+" line") {
			continue
		}
		if v, ok := value(types[k], st.Value); k != "" && ok {
			sec, key, _ := strings.Cut(k, ".")
			g := sections[sec]
			g.commented = append(g.commented, comment{line: key + ": " + v, why: st.Source})
			set[k] = true
			continue
		}
		others = append(others, st)
	}
	width := 0
	for _, g := range sections.ordered() {
		for _, c := range g.commented {
			width = max(width, len(c.line))
		}
	}
	out := head + render(sections, width)
	if len(others) > 0 {
		w := 0
		for _, st := range others {
			w = max(w, len(st.Key))
		}
		b := &strings.Builder{}
		b.WriteString("#\n# Also detected:\n")
		for _, st := range others {
			fmt.Fprintf(b, "#   %-*s  %s  (%s)\n", w, st.Key, st.Value, st.Source)
		}
		out += b.String()
	}
	return []byte(out), p, nil
}

// liveKey is a key as written in its section: `main: ./cmd/api`, or a
// block (a list) on the lines below the key, indented under it.
func liveKey(k provider.Key) string {
	_, key, _ := strings.Cut(k.Path, ".")
	if !k.Block {
		return key + ": " + scalar(k.Value)
	}
	return key + ":\n    " + strings.ReplaceAll(k.Value, "\n", "\n    ")
}

// group is one section of the description: its live keys and the
// commented ones.
type group struct {
	name      string
	live      []string
	commented []comment
}

type comment struct{ line, why string }

type sectionSet map[string]*group

// groups are the sections a description may hold, the provider's first.
func groups(provider string) sectionSet {
	s := sectionSet{}
	for _, n := range []string{provider, "build", "run"} {
		s[n] = &group{name: n}
	}
	return s
}

func (s sectionSet) ordered() []*group {
	var out []*group
	for _, g := range s {
		out = append(out, g)
	}
	order := func(n string) int {
		switch n {
		case "build":
			return 1
		case "run":
			return 2
		}
		return 0
	}
	slices.SortFunc(out, func(a, b *group) int { return order(a.name) - order(b.name) })
	return out
}

// render writes the sections: one with a live key is a live mapping with
// the commented keys indented inside it; one without is commented whole.
// Removing the "# " before a key sets it either way.
func render(s sectionSet, width int) string {
	b := &strings.Builder{}
	for _, g := range s.ordered() {
		if len(g.live) == 0 && len(g.commented) == 0 {
			continue
		}
		prefix := "# "
		if len(g.live) > 0 {
			fmt.Fprintf(b, "%s:\n", g.name)
			for _, l := range g.live {
				fmt.Fprintf(b, "  %s\n", l)
			}
			prefix = "  # "
		} else {
			fmt.Fprintf(b, "# %s:\n", g.name)
			prefix = "#   "
		}
		for _, c := range g.commented {
			fmt.Fprintf(b, "%s%-*s  # %s\n", prefix, width, c.line, c.why)
		}
	}
	return b.String()
}

// keyTypes are the JSON Schema types of the section keys ("go.cgo" →
// boolean), so values are written as the parser reads them.
func keyTypes() (map[string]string, error) {
	doc, err := schema.Generate(detect.Providers)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	props, _ := doc["properties"].(map[string]any)
	for sec, v := range props {
		sub, _ := v.(map[string]any)
		keys, _ := sub["properties"].(map[string]any)
		for k, kv := range keys {
			m, _ := kv.(map[string]any)
			t, _ := m["type"].(string)
			out[sec+"."+k] = t
		}
	}
	return out, nil
}

// value writes a setting's value as YAML for a key of the given type;
// false when the setting's text has no faithful form (a shell command
// where a list of arguments is wanted).
func value(typ, v string) (string, bool) {
	switch typ {
	case "boolean":
		return v, v == "true" || v == "false"
	case "integer":
		return v, v != ""
	case "array":
		if strings.ContainsAny(v, "'\"$&|;<>()`*\\") || strings.TrimSpace(v) == "" {
			return "", false
		}
		var items []string
		sep := strings.Fields
		if strings.Contains(v, ",") && !strings.Contains(v, " ") {
			sep = func(s string) []string { return strings.Split(s, ",") }
		}
		for _, it := range sep(v) {
			items = append(items, strconv.Quote(it))
		}
		return "[" + strings.Join(items, ", ") + "]", true
	case "object":
		return "", false
	}
	return scalar(v), true
}

// scalar writes a string as a YAML scalar that reads back as that string
// ("1.26" quoted, so it stays a string).
func scalar(v string) string {
	dt, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", v)
	}
	return strings.TrimSuffix(string(dt), "\n")
}
