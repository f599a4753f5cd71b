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
}

// Or returns the written value, or def when the key was absent.
func (v Value[T]) Or(def T) T {
	if v.Set {
		return v.V
	}
	return def
}

type decodable interface {
	decodeNode(d *decoder, key string, n *yaml.Node) error
}

func (v *Value[T]) decodeNode(d *decoder, key string, n *yaml.Node) error {
	var t T
	if err := d.into(key, n, reflect.ValueOf(&t).Elem()); err != nil {
		return err
	}
	v.V, v.Pos, v.Set = t, posOf(n), true
	return nil
}

// decoder turns YAML nodes into typed values and reports every problem with
// the file, line and dotted key it came from.
type decoder struct {
	file string
	args map[string]bool // declared and built-in args that ${NAME} may name
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

func (d *decoder) errorf(n *yaml.Node, key, hint, format string, a ...any) *Error {
	return &Error{File: d.file, Pos: posOf(n), Key: key, Msg: fmt.Sprintf(format, a...), Hint: hint}
}

var valueIface = reflect.TypeOf((*decodable)(nil)).Elem()

// into decodes n into dst, which is addressable.
func (d *decoder) into(key string, n *yaml.Node, dst reflect.Value) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if dst.CanAddr() && dst.Addr().Type().Implements(valueIface) {
		return dst.Addr().Interface().(decodable).decodeNode(d, key, n)
	}
	switch dst.Kind() {
	case reflect.String:
		s, err := d.scalar(key, n, "a string")
		if err != nil {
			return err
		}
		dst.SetString(s)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return d.errorf(n, key, "write true or false", "expected a boolean, got %s", describe(n))
		}
		dst.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return d.errorf(n, key, "write a whole number", "expected a number, got %s", describe(n))
		}
		var i int
		if _, err := fmt.Sscan(n.Value, &i); err != nil {
			return d.errorf(n, key, "write a whole number", "%q is not a number", n.Value)
		}
		dst.SetInt(int64(i))
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errorf(n, key, fmt.Sprintf("write a list, e.g. [%s]", n.Value), "expected a list, got %s", describe(n))
		}
		out := reflect.MakeSlice(dst.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.into(fmt.Sprintf("%s[%d]", key, i), item, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return d.errorf(n, key, "write a mapping, e.g. {NAME: value}", "expected a mapping, got %s", describe(n))
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name, err := d.scalar(key, k, "a key")
			if err != nil {
				return err
			}
			if out.MapIndex(reflect.ValueOf(name)).IsValid() {
				return d.errorf(k, key+"."+name, "remove one of the two", "duplicate key")
			}
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := d.into(key+"."+name, v, ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(name), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		return d.structInto(key, n, dst)
	default:
		panic(fmt.Sprintf("spec: unsupported field type %s", dst.Type()))
	}
	return nil
}

// structInto decodes a mapping into a struct whose fields carry `yaml` tags.
// A key the struct does not know is an error with a did-you-mean hint.
func (d *decoder) structInto(key string, n *yaml.Node, dst reflect.Value) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, key, "write the settings under it as `key: value` lines", "expected a mapping, got %s", describe(n))
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
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(key, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			return d.errorf(k, path, Suggest(k.Value, names), "unknown key")
		}
		if seen[k.Value] {
			return d.errorf(k, path, "remove one of the two", "duplicate key")
		}
		seen[k.Value] = true
		if err := d.into(path, v, dst.Field(idx)); err != nil {
			return err
		}
	}
	return nil
}

// scalar reads a string scalar as written (numbers and booleans keep their
// text, so `version: 1.20` stays "1.20") and checks its ${NAME} references.
func (d *decoder) scalar(key string, n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", d.errorf(n, key, "", "expected %s, got %s", what, describe(n))
	}
	if err := d.checkRefs(key, n); err != nil {
		return "", err
	}
	return n.Value, nil
}

func (d *decoder) checkRefs(key string, n *yaml.Node) error {
	refs, err := References(n.Value)
	if err != nil {
		return d.errorf(n, key, "write ${NAME}; use $$ for a literal $", "%v", err)
	}
	for _, r := range refs {
		if !d.args[r] {
			declared := make([]string, 0, len(d.args))
			for a := range d.args {
				declared = append(declared, a)
			}
			hint := fmt.Sprintf("declare it under `args:`, e.g. `args: {%s: default}`", r)
			if near, ok := Closest(r, declared); ok {
				hint = fmt.Sprintf("did you mean `%s`?", near)
			}
			return d.errorf(n, key, hint, "${%s} names an undeclared arg", r)
		}
	}
	return nil
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

func reflectValue(ptr any) reflect.Value {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer {
		panic("spec: Decode needs a pointer")
	}
	return v.Elem()
}
