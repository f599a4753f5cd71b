package schema

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/frontend/pipeline"
)

// compile checks the schema against the draft 2020-12 meta-schema and
// readies it for validating descriptions.
func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("strata.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("strata.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validate checks a description against the schema as an editor would:
// the YAML read as JSON.
func validate(t *testing.T, sch *jsonschema.Schema, doc string) error {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatalf("%q is not YAML: %v", doc, err)
	}
	b, err := json.Marshal(toJSON(&n))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// toJSON is a YAML node as the value a JSON Schema validator sees: scalars
// by their YAML 1.2 type, keys as written, aliases followed. A document of
// comments only is an empty mapping, as the parser reads it.
func toJSON(n *yaml.Node) any {
	switch n.Kind {
	case 0: // nothing but comments
		return map[string]any{}
	case yaml.DocumentNode:
		return toJSON(n.Content[0])
	case yaml.AliasNode:
		return toJSON(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = toJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, item := range n.Content {
			l = append(l, toJSON(item))
		}
		return l
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}

// parse is what the frontend does with a description before planning:
// spec.Parse, then each provider's section decoded into its Section().
func parse(doc string) error {
	_, err := pipeline.Parse("Dockerfile", []byte(doc))
	return err
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Every description shown to users is valid for the schema and the parser.
func TestExamplesAreValid(t *testing.T) {
	sch := compile(t)
	docs := map[string]string{}
	mds, _ := filepath.Glob("../../docs/*.md")
	for _, md := range append(mds, "../../README.md") {
		b, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range yamlBlock.FindAllStringSubmatch(string(b), -1) {
			docs[filepath.Base(md)+" yaml block "+strconv.Itoa(i+1)] = m[1]
		}
	}
	examples, _ := filepath.Glob("../../examples/*/Dockerfile")
	// The descriptions strata init wrote for the example repositories.
	filepath.WalkDir("../../examples-repos", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "Dockerfile" {
			examples = append(examples, p)
		}
		return err
	})
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[strings.TrimPrefix(f, "../../")] = string(b)
	}
	if len(examples) == 0 || len(docs) <= len(examples) {
		t.Fatalf("found %d examples and %d descriptions in docs: the paths are wrong", len(examples), len(docs)-len(examples))
	}
	for name, doc := range docs {
		if err := validate(t, sch, doc); err != nil {
			t.Errorf("%s does not match the schema: %v", name, err)
		}
		if err := parse(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// validDescriptions pass both the schema and the parser.
var validDescriptions = []string{
	"",
	"# syntax=localhost:5000/strata:dev\n# yaml-language-server: $schema=../docs/strata.schema.json\napp: go\n",
	"go:\n  version: 1.26\n", // a number where a string goes: the parser keeps the text
	"go:\n  binaries:\n    - main: ./cmd/api\n    - {main: ./cmd/worker, binary: jobs}\n  ldflags: -s -w\n",
	"go:\n  version: \"1.26.8\"\n  main: ./cmd/api\n  binary: api\n  ldflags: -s -w\n  tags: [netgo, osusergo]\n  cgo: true\n",
	"args:\n  VERSION:\n  PORT: 8080\n  DEBUG: false\nrun:\n  cmd: [\"--port=${PORT}\"]\n",
	"run:\n  env: {WORKERS: 4, DEBUG: true, GIN_MODE: release}\n",
	"run:\n  port: 1\n",
	"run:\n  port: 65535\n",
	"run:\n  base: gcr.io/distroless/static-debian12:nonroot\n  copy: [./migrations, static]\n  user: \"1000:1000\"\n  packages: [ca-certificates, tzdata]\n",
	"build:\n  packages: [gcc, libpq-dev=15.8-0+deb12u1, g++]\n  command: make build\n  caches: [/root/.cache/ccache]\n",
	"build:\n  secrets:\n    - {id: npm_token, env: NPM_TOKEN, required: true}\n    - {id: netrc, target: /root/.netrc}\n    - id: a.b-c\n",
	"run:\n  cmd: &c [serve]\n",
	"app: go\ngo: {}\nrun: {}\nbuild: {}\nargs: {}\n",
	"app: node\nnode:\n  version: \"22\"\n  packageManager: npm\n",
}

// invalidDescriptions are refused by both.
var invalidDescriptions = []string{
	"argz: {}\n",
	"app: nodejs\n",
	"app: [go]\n",
	"- go\n",
	"run:\n  port: http\n",
	"run:\n  port: 70000\n",
	"run:\n  port: 0\n",
	"run:\n  cmd: serve\n",
	"run:\n  prot: 80\n",
	"node:\n  versoin: 22\n",
	"node:\n  packageManager: [npm]\n",
	"run:\n  env: {BAD-NAME: x}\n",
	"run:\n  env:\n    A: [x]\n",
	"run:\n  user: {a: b}\n",
	"run:\n  packages: [LibPQ]\n",
	"go:\n  mian: .\n",
	"go:\n  cgo: yes please\n",
	"go:\n  cgo: \"true\"\n",
	"go:\n  main:\n",
	"go:\n  main: ./cmd/api\n  binaries: [{main: ./cmd/worker}]\n",
	"go:\n  binary: api\n  binaries: [{main: ./cmd/worker}]\n",
	"go:\n  binaries: []\n",
	"go:\n  binaries: [{binary: api}]\n",
	"go:\n  binaries: [{main: ./cmd/api, bianry: api}]\n",
	"go:\n  binaries: ./cmd/api\n",
	"go:\n  binaries: [./cmd/api]\n",
	"go:\n  tags: [a, [b]]\n",
	"go: [x]\n",
	"args:\n  1BAD: x\n",
	"args:\n  BAD-NAME: x\n",
	"args:\n  TARGETOS: linux\n",
	"args:\n  A: [x]\n",
	"args: [A]\n",
	"build:\n  packages: [\"gcc; rm -rf /\"]\n",
	"build:\n  packages: gcc\n",
	"build:\n  secrets: npm\n",
	"build:\n  secrets:\n    - {env: TOKEN}\n",
	"build:\n  secrets:\n    - {id: \"a b\"}\n",
	"build:\n  secrets:\n    - {id: npm, evn: X}\n",
	"build:\n  secrets:\n    - {id: npm, env: TOKEN, target: /root/.npmrc}\n",
	"build:\n  secrets:\n    - {id: npm, env: 1X}\n",
	"build:\n  secrets:\n    - {id: npm, required: maybe}\n",
	"build:\n  cache: [/x]\n",
	"build:\n  packages: [1]\n",
}

// parserOnly are refused by the parser but not by the schema: rules about
// more than one value, or checks in code rather than patterns. Pinned here
// so the gap stays known; a rule the schema learns moves its case up.
var parserOnly = []string{
	"run:\n  cmd: [\"${NOPE}\"]\n",                          // undeclared arg
	"args:\n  A: \"${B}\"\n",                                // a default naming an arg
	"app: go\napp: go\n",                                    // duplicate key: JSON keeps one
	"run:\n  copy: [../secrets]\n",                          // leaves the build context
	"build:\n  caches: [.cache]\n",                          // not absolute
	"build:\n  secrets:\n    - {id: a, target: relative}\n", // not absolute
	"build:\n  secrets:\n    - {id: a}\n    - {id: a}\n",    // listed twice
	"build:\n  command: \" \"\n",                            // blank
	"run:\n  base: \"\"\n",                                  // blank
	"run:\n  port: 8080.0\n",                                // JSON Schema counts 8080.0 as an integer
	"app: go\nrun:\n  cmd: [\"${A\"]\n",                     // malformed ${
}

// schemaOnly are refused by the schema but read by the parser: a number
// where a pattern-checked word goes. The parser checks its text; the
// schema, which cannot match a pattern against a number, asks for a string,
// as such a number is a mistake far more often than a name.
var schemaOnly = []string{
	"build:\n  packages: [123]\n",
	"build:\n  secrets:\n    - {id: 123}\n",
}

// The schema and the parser agree on what a valid description is.
func TestSchemaAgreesWithParser(t *testing.T) {
	sch := compile(t)
	for _, doc := range validDescriptions {
		if err := validate(t, sch, doc); err != nil {
			t.Errorf("schema refuses %q: %v", doc, err)
		}
		if err := parse(doc); err != nil {
			t.Errorf("parser refuses %q: %v", doc, err)
		}
	}
	for _, doc := range invalidDescriptions {
		if validate(t, sch, doc) == nil {
			t.Errorf("schema accepts %q", doc)
		}
		if parse(doc) == nil {
			t.Errorf("parser accepts %q", doc)
		}
	}
	for _, doc := range schemaOnly {
		if validate(t, sch, doc) == nil {
			t.Errorf("schema now accepts %q (move it to validDescriptions)", doc)
		}
		if err := parse(doc); err != nil {
			t.Errorf("parser refuses %q (move it to invalidDescriptions): %v", doc, err)
		}
	}
	for _, doc := range parserOnly {
		if err := validate(t, sch, doc); err != nil {
			t.Errorf("schema now refuses %q (move it to invalidDescriptions): %v", doc, err)
		}
		if parse(doc) == nil {
			t.Errorf("parser accepts %q", doc)
		}
	}
}
