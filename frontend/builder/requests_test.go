package builder

import (
	"context"
	"testing"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/source"
)

func TestOutlineAndTargets(t *testing.T) {
	s, err := pipeline.Parse("Dockerfile", []byte("args:\n  VERSION: dev\ngo:\n  ldflags: -X main.v=${VERSION}\n"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := &source.Map{Files: map[string]string{"go.mod": "module x\n\ngo 1.26\n", "main.go": "package main\n"}}
	p, err := pipeline.Plan(context.Background(), s, fsys)
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(p)
	if o.Name != "runtime" || o.Args[0].Name != "VERSION" || o.Args[0].Value != "dev" {
		t.Errorf("outline %+v", o)
	}
	// netrc for private modules, ca for a CA bundle to trust (both optional).
	if len(o.Secrets) != 2 || o.Secrets[0].Name != "netrc" || o.Secrets[1].Name != "ca" || o.Secrets[1].Required || len(o.SSH) != 1 || o.SSH[0].Name != "default" {
		t.Errorf("secrets %+v ssh %+v", o.Secrets, o.SSH)
	}
	if len(o.Cache) != 2 || o.Cache[0].ID != "strata/go/mod" || o.Cache[1].ID != "strata/go/build" {
		t.Errorf("caches %+v", o.Cache)
	}
	l := targetList(p)
	if len(l.Targets) != 3 || !l.Targets[2].Default || l.Targets[2].Name != "runtime" {
		t.Errorf("targets %+v", l.Targets)
	}
}
