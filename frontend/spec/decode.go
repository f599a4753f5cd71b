package spec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Value is one setting as written in the description: its value, where it
// was written and whether it was written at all (Set is false for defaults).
type Value[T any] struct {
	V   T
	Pos Pos
	Set bool
	// Keys are where each key of a mapping value was written, so a problem
	// with one entry (run.env.TOKEN) points at its own line.
	Keys map[string]Pos
}

// Or returns the written value, or def when the key was absent.
func (v Value[T]) Or(def T) T {
	if v.Set {
		return v.V
	}
	return def
}

type decodable interface {
	decodeNode(d *decoder, key string, n *yaml.Node) bool
}

// decodeNode sets the value only when all of it decoded, so checks that
// run on decoded values never see a half-read one.
func (v *Value[T]) decodeNode(d *decoder, key string, n *yaml.Node) bool {
	var t T
	if !d.into(key, n, reflect.ValueOf(&t).Elem()) {
		return false
	}
	v.V, v.Pos, v.Set = t, posOf(n), true
	v.Keys = keyPositions(n)
	return true
}

// KeyPos is where key of a mapping value was written, else the value's Pos.
func (v Value[T]) KeyPos(key string) Pos {
	if p, ok := v.Keys[key]; ok {
		return p
	}
	return v.Pos
}

func keyPositions(n *yaml.Node) map[string]Pos {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	out := make(map[string]Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = posOf(n.Content[i])
	}
	return out
}

// decoder turns YAML nodes into typed values and collects every problem
// with the file, line and dotted key it came from.
type decoder struct {
	file string
	args map[string]bool // declared and built-in args that ${NAME} may name
	// anyArg is set when `args:` could not be read: ${NAME} is then not
	// checked against it, rather than reported undeclared everywhere.
	anyArg bool
	// literal files (organisation defaults) have no args: `$` is text.
	literal bool
	errs    Errors
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

func (d *decoder) errorf(n *yaml.Node, key, hint, format string, a ...any) *Error {
	return &Error{File: d.file, Pos: posOf(n), Key: key, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

func (d *decoder) report(e *Error) { d.errs = append(d.errs, e) }

func (d *decoder) reportf(n *yaml.Node, key, hint, format string, a ...any) {
	d.report(d.errorf(n, key, hint, format, a...))
}

// err is every problem reported so far, in file order, or nil.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return Join(d.errs)
}

var valueIface = reflect.TypeOf((*decodable)(nil)).Elem()

// into decodes n into dst, which is addressable, and reports whether all of
// it decoded. It goes on past a problem to report the next ones.
func (d *decoder) into(key string, n *yaml.Node, dst reflect.Value) bool {
	n = resolveAlias(n)
	if dst.CanAddr() && dst.Addr().Type().Implements(valueIface) {
		return dst.Addr().Interface().(decodable).decodeNode(d, key, n)
	}
	switch dst.Kind() {
	case reflect.String:
		s, ok := d.scalar(key, n, "a string")
		if ok {
			dst.SetString(s)
		}
		return ok
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.reportf(n, key, "write true or false", "expected a boolean, got %s", describe(n))
			return false
		}
		dst.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.reportf(n, key, "write a whole number", "expected a number, got %s", describe(n))
			return false
		}
		var i int
		if _, err := fmt.Sscan(n.Value, &i); err != nil {
			d.reportf(n, key, "write a whole number", "%q is not a number", n.Value)
			return false
		}
		dst.SetInt(int64(i))
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.reportf(n, key, fmt.Sprintf("write a list, e.g. [%s]", n.Value), "expected a list, got %s", describe(n))
			return false
		}
		out := reflect.MakeSlice(dst.Type(), len(n.Content), len(n.Content))
		ok := true
		for i, item := range n.Content {
			ok = d.into(fmt.Sprintf("%s[%d]", key, i), item, out.Index(i)) && ok
		}
		dst.Set(out)
		return ok
	case reflect.Map:
		return d.mapInto(key, n, dst)
	case reflect.Struct:
		return d.structInto(key, n, dst)
	default:
		// A provider's section type uses a field type this decoder does not know.
		d.reportf(n, key, "", "internal error: cannot decode into %s", dst.Type())
		return false
	}
	return true
}

// resolveAlias gives the node an alias names, placed where the alias is:
// a problem with the value is reported at the key that used it. The
// value's own parts keep their places under the anchor. Nothing is
// expanded, so an alias bomb costs what the file does.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.AliasNode || n.Alias == nil {
		return n
	}
	c := *n.Alias
	c.Line, c.Column = n.Line, n.Column
	return &c
}

// mapInto decodes a mapping with string keys; a duplicate key is an error.
func (d *decoder) mapInto(key string, n *yaml.Node, dst reflect.Value) bool {
	if n.Kind != yaml.MappingNode {
		d.reportf(n, key, "write a mapping, e.g. {NAME: value}", "expected a mapping, got %s", describe(n))
		return false
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(n.Content)/2)
	ok := true
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, kok := d.scalar(key, k, "a key")
		if !kok {
			ok = false
			continue
		}
		if out.MapIndex(reflect.ValueOf(name)).IsValid() {
			d.reportf(k, key+"."+name, "remove one of the two", "duplicate key")
			ok = false
			continue
		}
		ev := reflect.New(dst.Type().Elem()).Elem()
		if !d.into(key+"."+name, v, ev) {
			ok = false
			continue
		}
		out.SetMapIndex(reflect.ValueOf(name), ev)
	}
	dst.Set(out)
	return ok
}

// structInto decodes a mapping into a struct whose fields carry `yaml` tags.
// A key the struct does not know is an error with a did-you-mean hint.
func (d *decoder) structInto(key string, n *yaml.Node, dst reflect.Value) bool {
	if n.Kind != yaml.MappingNode {
		d.reportf(n, key, "write the settings under it as `key: value` lines", "expected a mapping, got %s", describe(n))
		return false
	}
	fields := map[string]int{}
	var names []string
	for i := 0; i < dst.NumField(); i++ {
		tag := dst.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	ok := true
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(key, k.Value)
		idx, known := fields[k.Value]
		switch {
		case !known:
			d.reportf(k, path, Suggest(k.Value, names), "unknown key")
			ok = false
		case seen[k.Value]:
			d.reportf(k, path, "remove one of the two", "duplicate key")
			ok = false
		default:
			seen[k.Value] = true
			ok = d.into(path, v, dst.Field(idx)) && ok
		}
	}
	return ok
}

// scalar reads a string scalar as written (numbers and booleans keep their
// text, so `version: 1.20` stays "1.20") and checks its ${NAME} references.
func (d *decoder) scalar(key string, n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.reportf(n, key, "", "expected %s, got %s", what, describe(n))
		return "", false
	}
	if !d.literal && !d.checkRefs(key, n) {
		return "", false
	}
	return n.Value, true
}

// checkRefs reports a malformed ${…} and every undeclared name.
func (d *decoder) checkRefs(key string, n *yaml.Node) bool {
	refs, err := References(n.Value)
	if err != nil {
		d.reportf(n, key, "write ${NAME}; use $$ for a literal $", "%v", err)
		return false
	}
	ok := true
	for _, r := range refs {
		if d.args[r] || d.anyArg {
			continue
		}
		declared := make([]string, 0, len(d.args))
		for a := range d.args {
			declared = append(declared, a)
		}
		hint := fmt.Sprintf("declare it under `args:`, e.g. `args: {%s: default}`", r)
		if near, found := Closest(r, declared); found {
			hint = fmt.Sprintf("did you mean `%s`?", near)
		}
		d.reportf(n, key, hint, "${%s} names an undeclared arg", r)
		ok = false
	}
	return ok
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!bool":
		return "a boolean " + n.Value
	case "!!int", "!!float":
		return "a number " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
