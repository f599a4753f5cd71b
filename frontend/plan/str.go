package plan

import (
	"encoding/json"
	"fmt"

	"github.com/strata-build/strata/frontend/spec"
)

// Str is a string in the plan. A literal is used exactly as written; a
// template (a value from the description, or one a provider marks) has its
// ${NAME} references to build args expanded by each renderer, and "$$" in
// it is a literal "$". Keeping the two apart means a provider's own "$"
// (a shell script, "${X:-d}") is never rewritten.
type Str struct {
	Text     string
	Template bool
}

// Lit is a literal string.
func Lit(s string) Str { return Str{Text: s} }

// Tmpl is a template: its ${NAME} references are build args.
func Tmpl(s string) Str { return Str{Text: s, Template: true} }

// Lits turns literal words into an argv.
func Lits(words ...string) []Str {
	out := make([]Str, len(words))
	for i, w := range words {
		out[i] = Lit(w)
	}
	return out
}

// Tmpls turns description values into templates.
func Tmpls(words []string) []Str {
	if words == nil {
		return nil
	}
	out := make([]Str, len(words))
	for i, w := range words {
		out[i] = Tmpl(w)
	}
	return out
}

// IsZero reports an empty literal (for omitzero).
func (s Str) IsZero() bool { return s.Text == "" && !s.Template }

// Expand gives the string's value with lookup resolving arg names.
func (s Str) Expand(lookup func(string) string) string {
	if !s.Template {
		return s.Text
	}
	return spec.Expand(s.Text, lookup)
}

// Refs lists the args a template names (none for a literal).
func (s Str) Refs() []string {
	if !s.Template {
		return nil
	}
	refs, _ := spec.References(s.Text)
	return refs
}

func (s Str) String() string { return s.Text }

// MarshalJSON writes a literal as a JSON string and a template as
// {"template": "…"}, so goldens show which is which.
func (s Str) MarshalJSON() ([]byte, error) {
	if !s.Template {
		return json.Marshal(s.Text)
	}
	return json.Marshal(struct {
		Template string `json:"template"`
	}{s.Text})
}

func (s *Str) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s.Template = false
		return json.Unmarshal(b, &s.Text)
	}
	var t struct {
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	if t.Template == nil {
		return fmt.Errorf("plan: a string is either \"text\" or {\"template\": \"text\"}, got %s", b)
	}
	s.Text, s.Template = *t.Template, true
	return nil
}
