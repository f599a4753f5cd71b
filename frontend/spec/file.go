package spec

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// DecodeFile reads a YAML file other than the description (the
// organisation defaults) into out, a pointer to a struct with `yaml` tags
// and Value fields, with the description's rules: at most limit bytes,
// UTF-8, unknown and duplicate keys reported with their line, aliases not
// expanded. Strings are literal: the file has no args to refer to.
func DecodeFile(file string, data []byte, limit int, out any) error {
	if len(data) > limit {
		return &Error{File: file, Msg: fmt.Sprintf("the file is %d bytes, more than the %d KiB Strata reads", len(data), limit>>10)}
	}
	if !utf8.Valid(data) {
		return notUTF8(file, data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := yamlError(file, data, err).(*Error)
		e.Hint = "the file is YAML: check indentation and quoting"
		return e
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	d := &decoder{file: file, literal: true}
	d.into("", root, reflect.ValueOf(out).Elem())
	return d.err()
}

// Written lists every key the description wrote, as dotted paths with
// their places ("run.base", "go.main", "args.VERSION"), in file order: the
// organisation defaults say which of them users may not set. An alias is
// walked where it is used, so a key cannot hide behind one; a description
// that would take more than maxWritten keys to walk (an alias bomb) is an
// error rather than a partial list.
func (s *Spec) Written() ([]KeyAt, error) {
	if s.root == nil {
		return nil, nil
	}
	w := &walker{}
	w.walk("", s.root, 0)
	if w.over {
		return nil, &Error{File: s.File, Msg: fmt.Sprintf("the description expands to more than %d keys", maxWritten),
			Hint: "write the settings out instead of repeating aliases"}
	}
	return w.keys, nil
}

const maxWritten = 1 << 16

// KeyAt is a key written in the description and where.
type KeyAt struct {
	Key string
	Pos Pos
}

type walker struct {
	keys []KeyAt
	seen int
	over bool
}

// walk collects the mapping keys under n; list items share their list's
// path (build.secrets.id).
func (w *walker) walk(prefix string, n *yaml.Node, depth int) {
	if w.seen++; w.seen > maxWritten || depth > 64 {
		w.over = true
		return
	}
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content) && !w.over; i += 2 {
			k := join(prefix, n.Content[i].Value)
			w.keys = append(w.keys, KeyAt{Key: k, Pos: posOf(n.Content[i])})
			w.walk(k, n.Content[i+1], depth+1)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if w.over {
				return
			}
			w.walk(prefix, c, depth+1)
		}
	}
}
