package spec

import (
	"errors"
	"testing"
)

// FuzzParse: any input gives a spec or a *Error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add(full)
	f.Add("app: go\ngo:\n  mian: x\n")
	f.Add("run: {env: {A: \"${B\"}}\n")
	f.Add("args: [1, 2]\nrun:\n  port: -1\n")
	f.Add("&a {x: *a}\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse("Dockerfile", []byte(in), sections)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %v is not a *Error", in, err)
			}
			return
		}
		var g struct {
			Version Value[string]            `yaml:"version"`
			Tags    Value[[]string]          `yaml:"tags"`
			Cgo     Value[bool]              `yaml:"cgo"`
			Env     Value[map[string]string] `yaml:"env"`
		}
		if err := s.Sections["go"].Decode(&g); err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("%q: decode error %v is not a *Error", in, err)
			}
		}
	})
}
