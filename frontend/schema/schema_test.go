package schema

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/spec"
)

var update = flag.Bool("update", false, "rewrite docs/strata.schema.json from the types")

const committed = "../../docs/strata.schema.json"

func TestCommittedSchemaIsCurrent(t *testing.T) {
	got, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/strata.schema.json differs from the schema the types give: regenerate it with " +
			"`go test ./frontend/schema -update` (or `go run ./cmd/strata schema > docs/strata.schema.json`) and commit it")
	}
}

// Every key, at any depth, tells editors what it is for.
func TestEveryKeyHasADescription(t *testing.T) {
	s, err := Generate(detect.Providers)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
		props, _ := s["properties"].(map[string]any)
		for key, p := range props {
			p := p.(map[string]any)
			if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s%s has no description", path, key)
			}
			walk(path+key+".", p)
		}
	}
	walk("", s)
	if s["additionalProperties"] != false {
		t.Error("unknown top-level keys must be refused")
	}
}

// fake is a provider with a given section type, for the generator's errors.
type fake struct {
	provider.Provider
	section any
	docs    map[string]string
}

func (f fake) Name() string            { return "fake" }
func (f fake) Section() any            { return f.section }
func (f fake) Docs() map[string]string { return f.docs }

func TestGenerateNamesWhatIsMissing(t *testing.T) {
	type undocumented struct {
		Main spec.Value[string] `yaml:"main"`
	}
	type badTag struct {
		Port spec.Value[int] `yaml:"port" doc:"a port" schema:"minimun=1"`
	}
	type badType struct {
		Ratio spec.Value[float64] `yaml:"ratio" doc:"a ratio"`
	}
	for _, c := range []struct {
		p    fake
		want string
	}{
		{fake{section: &undocumented{}, docs: map[string]string{"": "fake settings"}}, "fake.main has no description"},
		{fake{section: &undocumented{}, docs: map[string]string{"main": "the main"}}, "no description of its section"},
		{fake{section: &badTag{}}, `fake.port: schema tag "minimun=1": unknown option "minimun"`},
		{fake{section: &badType{}}, "fake.ratio: no JSON Schema for Go type float64"},
		{fake{section: undocumented{}}, "must return a pointer to a struct"},
	} {
		_, err := Generate([]provider.Provider{c.p})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	s, err := Generate([]provider.Provider{fake{section: &undocumented{}, docs: map[string]string{"": "fake settings", "main": "the main"}}})
	if err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	if props["fake"] == nil || props["go"] != nil || props["app"].(map[string]any)["enum"].([]string)[0] != "fake" {
		t.Errorf("sections and app come from the providers given: %v", props)
	}
}

const committedReference = "../../" + ReferencePath

// docs/reference.md is rendered from the schema: a key, type or rule
// changed in the types changes the page, and the committed page must follow.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	got, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committedReference, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committedReference)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/reference.md differs from the reference the schema gives: regenerate it with " +
			"`go test ./frontend/schema -update` and commit it")
	}
}
