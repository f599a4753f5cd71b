// Package schema generates the JSON Schema (draft 2020-12) of a description
// from the spec types and each provider's section type, so editors complete
// and check descriptions by the rules the parser applies. It knows no
// ecosystem: the sections come from the providers.
//
// Struct tags say what the types cannot:
//
//	yaml:"key"            the key; untagged fields are not part of the description
//	doc:"…"               the key's description (a provider may give a Docs() table instead)
//	schema:"required"     the key must be written
//	schema:"pattern=P"    strings (or a list's items) match spec.Pattern(P)
//	schema:"keys=P"       a mapping's keys match spec.Pattern(P)
//	schema:"minimum=N"    and maximum=N: bounds of a number
//	schema:"minItems=N"   a list holds at least N items
//	schema:"excludes=K"   the key and K are never written together
//
// Rules that are not about one key's value (an undeclared ${NAME}, a path
// leaving the build context, a secret listed twice) stay the parser's.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/strata-build/strata/frontend/detect"
	"github.com/strata-build/strata/frontend/provider"
	"github.com/strata-build/strata/frontend/spec"
)

// Draft is the JSON Schema dialect of the generated schema.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// JSON is the schema for the providers Strata ships, as
// docs/strata.schema.json holds it.
func JSON() ([]byte, error) {
	s, err := Generate(detect.Providers)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep <id> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// documented is a provider that describes its section's keys in a table
// (yaml key → one line, "" for the section) rather than in `doc` tags.
type documented interface {
	Docs() map[string]string
}

// Generate builds the schema of a description with these providers.
func Generate(providers []provider.Provider) (map[string]any, error) {
	top, err := object(reflect.TypeFor[spec.Spec](), "", nil)
	if err != nil {
		return nil, err
	}
	props := top["properties"].(map[string]any)
	var names []string
	for _, p := range providers {
		names = append(names, p.Name())
		t := reflect.TypeOf(p.Section())
		if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("provider %s: Section() must return a pointer to a struct, got %v", p.Name(), t)
		}
		var docs map[string]string
		if d, ok := p.(documented); ok {
			docs = d.Docs()
		}
		sec, err := object(t.Elem(), p.Name(), docs)
		if err != nil {
			return nil, err
		}
		if docs[""] == "" {
			return nil, fmt.Errorf("provider %s: no description of its section: add Docs()[\"\"]", p.Name())
		}
		sec["description"] = docs[""]
		props[p.Name()] = sec
	}
	// `app:` names a provider.
	app := props["app"].(map[string]any)
	app["type"], app["enum"] = "string", names

	top["$schema"] = Draft
	top["title"] = "Strata description"
	top["description"] = "A Strata build description: YAML under a `# syntax=` line. Every key is optional."
	return top, nil
}

// object is the schema of a struct: its `yaml`-tagged fields and nothing else.
// path is the dotted key of the struct, for errors; docs, when not nil,
// describes the fields that have no `doc` tag, keyed by path below the
// provider's section.
func object(t reflect.Type, path string, docs map[string]string) (map[string]any, error) {
	props := map[string]any{}
	var required []string
	dependent := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		full := key
		if path != "" {
			full = path + "." + key
		}
		opts, err := parseOptions(full, f.Tag.Get("schema"))
		if err != nil {
			return nil, err
		}
		s, err := value(f.Type, full, opts, docs)
		if err != nil {
			return nil, err
		}
		doc := f.Tag.Get("doc")
		if doc == "" {
			doc = docs[docKey(full)]
		}
		if doc == "" {
			return nil, fmt.Errorf("%s has no description: add a doc tag", full)
		}
		s["description"] = doc
		props[key] = s
		if opts.required {
			required = append(required, key)
		}
		if opts.excludes != "" {
			dependent[key] = map[string]any{"not": map[string]any{"required": []string{opts.excludes}}}
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	if len(dependent) > 0 {
		out["dependentSchemas"] = dependent
	}
	return out, nil
}

// docKey is a dotted key below its provider's section ("go.main" → "main").
func docKey(full string) string {
	_, rest, _ := strings.Cut(full, ".")
	return rest
}

var (
	specPkg = reflect.TypeFor[spec.Pos]().PkgPath()
	argList = reflect.TypeFor[[]spec.Arg]()
)

// value is the schema of one key's value of type t.
func value(t reflect.Type, path string, opts options, docs map[string]string) (map[string]any, error) {
	// spec.Value[T] is written as a T.
	if t.Kind() == reflect.Struct && t.PkgPath() == specPkg && strings.HasPrefix(t.Name(), "Value[") {
		t = t.Field(0).Type
	}
	switch {
	case t == argList:
		return args(opts)
	case t.Kind() == reflect.String:
		if opts.pattern != "" {
			return map[string]any{"type": "string", "pattern": opts.pattern}, nil
		}
		// The parser reads a number or boolean where a string is expected
		// as its text (`version: 1.26`, `env: {WORKERS: 4}`).
		return map[string]any{"type": []string{"string", "number", "boolean"}}, nil
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case t.Kind() == reflect.Int:
		s := map[string]any{"type": "integer"}
		if opts.minimum != nil {
			s["minimum"] = *opts.minimum
		}
		if opts.maximum != nil {
			s["maximum"] = *opts.maximum
		}
		return s, nil
	case t.Kind() == reflect.Slice:
		items, err := value(t.Elem(), path+"[]", opts, docs)
		if err != nil {
			return nil, err
		}
		s := map[string]any{"type": "array", "items": items}
		if opts.minItems != nil {
			s["minItems"] = *opts.minItems
		}
		return s, nil
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		vals, err := value(t.Elem(), path+".*", options{}, docs)
		if err != nil {
			return nil, err
		}
		s := map[string]any{"type": "object", "additionalProperties": vals}
		if opts.keys != "" {
			s["propertyNames"] = map[string]any{"pattern": opts.keys}
		}
		return s, nil
	case t.Kind() == reflect.Struct:
		return object(t, path, docs)
	}
	return nil, fmt.Errorf("%s: no JSON Schema for Go type %s", path, t)
}

// args is `args:`: a mapping of arg names to a default or nothing, where
// BuildKit's own args are not declared again.
func args(opts options) (map[string]any, error) {
	names := map[string]any{"not": map[string]any{"enum": spec.BuiltinArgs}}
	if opts.keys != "" {
		names["pattern"] = opts.keys
	}
	return map[string]any{
		"type":                 "object",
		"propertyNames":        names,
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean", "null"}},
	}, nil
}

// options are a field's `schema` tag.
type options struct {
	required         bool
	pattern, keys    string
	minimum, maximum *int
	minItems         *int
	excludes         string
}

func parseOptions(path, tag string) (options, error) {
	var o options
	if tag == "" {
		return o, nil
	}
	for _, opt := range strings.Split(tag, ",") {
		name, arg, _ := strings.Cut(opt, "=")
		var err error
		switch name {
		case "required":
			o.required = true
		case "pattern":
			o.pattern, err = pattern(arg)
		case "keys":
			o.keys, err = pattern(arg)
		case "minimum":
			o.minimum, err = number(arg)
		case "maximum":
			o.maximum, err = number(arg)
		case "minItems":
			o.minItems, err = number(arg)
		case "excludes":
			o.excludes = arg
		default:
			err = fmt.Errorf("unknown option %q", name)
		}
		if err != nil {
			return o, fmt.Errorf("%s: schema tag %q: %w", path, tag, err)
		}
	}
	return o, nil
}

func pattern(name string) (string, error) {
	re, ok := spec.Pattern(name)
	if !ok {
		return "", fmt.Errorf("spec has no pattern %q", name)
	}
	return re, nil
}

func number(s string) (*int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, err
	}
	return &n, nil
}
