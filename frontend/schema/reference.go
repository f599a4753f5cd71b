package schema

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/strata-build/strata/frontend/detect"
)

// ReferencePath is where the Markdown reference is committed, from the
// repository root.
const ReferencePath = "docs/reference.md"

// Reference is the description reference as Markdown, rendered from the
// same schema as docs/strata.schema.json, so the page states exactly the
// keys, types and rules editors check.
func Reference() ([]byte, error) {
	s, err := Generate(detect.Providers)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`# Description reference

<!-- Generated from the JSON Schema by ` + "`go test ./frontend/schema -update`" + `: do not edit. -->

Every key of a Strata description, as the JSON Schema
([strata.schema.json](strata.schema.json), ` + "`strata schema`" + `) states it:

> ` + fmt.Sprint(s["description"]) + `

- A **string** key also takes a number or a boolean, read as its text
  (` + "`version: 1.26`" + ` is the string "1.26").
- Every string may name a declared arg as ` + "`${NAME}`" + ` (see ` + "`args`" + `), ` + "`$$`" + ` is a literal ` + "`$`" + `.
- Defaults are in each key's description: a key left out is detected or
  defaulted, never an error.
- Rules about several keys (an undeclared ` + "`${NAME}`" + `, a path outside the
  build context, a secret listed twice) are checked by the parser, not the
  schema: see [troubleshooting](troubleshooting.md).

`)
	props := s["properties"].(map[string]any)
	var sections []string
	for _, p := range detect.Providers {
		sections = append(sections, p.Name())
	}
	b.WriteString("## Top level\n\n")
	table(&b, "", props, nil)
	for _, key := range append([]string{"build", "run"}, sections...) {
		obj := props[key].(map[string]any)
		fmt.Fprintf(&b, "\n## `%s`\n\n%s\n\n", key, obj["description"])
		section(&b, key, obj)
	}
	return b.Bytes(), nil
}

// section writes an object's table and then, under their own headings,
// the objects nested in it (the items of build.secrets).
func section(b *bytes.Buffer, path string, obj map[string]any) {
	props := obj["properties"].(map[string]any)
	required, _ := obj["required"].([]string)
	table(b, path+".", props, required)
	excl := exclusions(obj)
	if len(excl) > 0 {
		b.WriteString("\n")
		for _, k := range slices.Sorted(maps.Keys(excl)) {
			fmt.Fprintf(b, "`%s%s` and `%s%s` are never written together.\n", path+".", k, path+".", excl[k])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(props)) {
		p := props[key].(map[string]any)
		if items, ok := p["items"].(map[string]any); ok && items["properties"] != nil {
			full := path + "." + key + "[]"
			fmt.Fprintf(b, "\n### `%s`\n\nEach item of `%s%s`.\n\n", full, path+".", key)
			section(b, full, items)
		}
	}
}

// table writes one row per key: its type, description and allowed values.
func table(b *bytes.Buffer, prefix string, props map[string]any, required []string) {
	b.WriteString("| key | type | description | allowed values |\n| --- | --- | --- | --- |\n")
	for _, key := range slices.Sorted(maps.Keys(props)) {
		p := props[key].(map[string]any)
		desc := cell(fmt.Sprint(p["description"]))
		if slices.Contains(required, key) {
			desc = "**Required.** " + desc
		}
		fmt.Fprintf(b, "| `%s%s` | %s | %s | %s |\n", prefix, key, typeOf(p), desc, allowed(p))
	}
}

// typeOf names a value's type in words.
func typeOf(p map[string]any) string {
	switch t := p["type"].(type) {
	case []string:
		if slices.Contains(t, "null") {
			return "string or empty"
		}
		return "string"
	case string:
		switch t {
		case "array":
			items := p["items"].(map[string]any)
			if items["properties"] != nil {
				return "list of mappings"
			}
			return "list of " + plural(typeOf(items))
		case "object":
			if p["properties"] != nil {
				return "mapping (keys below)"
			}
			if vals, ok := p["additionalProperties"].(map[string]any); ok {
				return "mapping of names to " + plural(typeOf(vals))
			}
			return "mapping"
		}
		return t
	}
	return fmt.Sprint(p["type"])
}

// plural is a type name for several values ("string or empty" → "strings or empty").
func plural(t string) string {
	first, rest, _ := strings.Cut(t, " ")
	if rest != "" {
		rest = " " + rest
	}
	return first + "s" + rest
}

// allowed says what values the schema accepts beyond the type.
func allowed(p map[string]any) string {
	var out []string
	if e, ok := p["enum"].([]string); ok {
		out = append(out, "one of "+codes(e))
	}
	if re, ok := p["pattern"].(string); ok {
		out = append(out, "matches "+code(re))
	}
	if items, ok := p["items"].(map[string]any); ok {
		if re, ok := items["pattern"].(string); ok {
			out = append(out, "each item matches "+code(re))
		}
	}
	min, hasMin := p["minimum"].(int)
	max, hasMax := p["maximum"].(int)
	switch {
	case hasMin && hasMax:
		out = append(out, fmt.Sprintf("%d to %d", min, max))
	case hasMin:
		out = append(out, fmt.Sprintf("at least %d", min))
	case hasMax:
		out = append(out, fmt.Sprintf("at most %d", max))
	}
	if names, ok := p["propertyNames"].(map[string]any); ok {
		if re, ok := names["pattern"].(string); ok {
			out = append(out, "names match "+code(re))
		}
		if not, ok := names["not"].(map[string]any); ok {
			if e, ok := not["enum"].([]string); ok {
				out = append(out, "names are not "+codes(e)+" (BuildKit sets them)")
			}
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, "; ")
}

// exclusions are the keys that exclude another, from dependentSchemas.
func exclusions(obj map[string]any) map[string]string {
	out := map[string]string{}
	dep, _ := obj["dependentSchemas"].(map[string]any)
	for k, v := range dep {
		not, _ := v.(map[string]any)["not"].(map[string]any)
		if req, ok := not["required"].([]string); ok && len(req) == 1 {
			out[k] = req[0]
		}
	}
	return out
}

func codes(words []string) string {
	sorted := slices.Clone(words)
	sort.Strings(sorted)
	for i, w := range sorted {
		sorted[i] = code(w)
	}
	return strings.Join(sorted, ", ")
}

// code is s as a Markdown code span inside a table cell.
func code(s string) string { return "`" + strings.ReplaceAll(s, "|", `\|`) + "`" }

// cell keeps a description on one table row, its <id> and cmd/* as text
// rather than HTML or emphasis.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", "*", `\*`).Replace(s)
}
