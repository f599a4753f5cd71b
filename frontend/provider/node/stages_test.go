package node

import "testing"

// An app with no production dependencies gets no node_modules from its
// install: the production stage makes the directory the runtime copies.
func TestProdDepsMakesNodeModules(t *testing.T) {
	root := `{"name":"x","scripts":{"start":"node server.js"},"devDependencies":{"is-number":"^7.0.0"}}`
	p, err := planFor(t, "", map[string]string{"package.json": root, "package-lock.json": lockFor(t, root, nil), "server.js": ""})
	if err != nil {
		t.Fatal(err)
	}
	steps := stage(t, p, "prod-deps").Steps
	last := steps[len(steps)-1]
	if last.Mkdir == nil || last.Mkdir.Path != "/app/node_modules" {
		t.Errorf("prod-deps ends with %+v, want a mkdir of /app/node_modules", last)
	}
	rt := stage(t, p, "runtime").Steps
	if rt[0].Copy == nil || rt[0].Copy.Src.Text != "/app/node_modules" || rt[0].Copy.From.Stage != "prod-deps" {
		t.Errorf("runtime starts with %+v", rt[0])
	}
}
