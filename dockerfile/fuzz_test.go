package dockerfile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/source"
)

// FuzzRender: whatever description plans, the ejected Dockerfile is read
// by BuildKit's own parser, every stage and instruction of it.
func FuzzRender(f *testing.F) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil || len(dirs) == 0 {
		f.Fatalf("no examples: %v", err)
	}
	contexts := map[string]*source.Map{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		m := &source.Map{Files: map[string]string{}}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				if dt, err := os.ReadFile(p); err == nil && len(dt) < 1<<20 {
					m.Files[filepath.ToSlash(rel)] = string(dt)
				}
			}
			return err
		})
		desc := m.Files["Dockerfile"]
		delete(m.Files, "Dockerfile")
		contexts[name] = m
		f.Add(desc, name)
	}
	f.Add("args: {V: \"a'b\"}\nrun:\n  env: {A: \"$(touch /tmp/x)\\n`id`\", B: \"${V}\\\\\"}\n  cmd: [\"; rm -rf /\", \"a\\nb\"]\n  copy: [\"a b\", \"c\\nd\", \"$x\"]\n  user: \"1000:${V}\"\nbuild:\n  command: \"echo '${V}' \\\\\\n && x\"\n", "go-service")
	f.Fuzz(func(t *testing.T, desc, example string) {
		m, ok := contexts[example]
		if !ok {
			m = contexts["go-service"]
		}
		s, err := pipeline.Parse("Dockerfile", []byte(desc))
		if err != nil {
			return
		}
		p, err := pipeline.Plan(context.Background(), s, m)
		if err != nil {
			return
		}
		df, err := dockerfile.Render(p, dockerfile.Options{File: "Dockerfile"})
		if err != nil {
			return // a plan the renderer refuses, with a reason
		}
		ast, err := parser.Parse(bytes.NewReader(df))
		if err != nil {
			t.Fatalf("BuildKit cannot parse the Dockerfile: %v\n%s", err, df)
		}
		if _, _, err := instructions.Parse(ast.AST, nil); err != nil {
			t.Fatalf("BuildKit cannot read the instructions: %v\n%s", err, df)
		}
	})
}
