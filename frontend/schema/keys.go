package schema

import (
	"slices"

	"github.com/strata-build/strata/frontend/detect"
)

// Keys lists every key a description may write, dotted (run.base,
// go.main, build.secrets.id), as the schema has them: the organisation
// defaults name keys users may not set, and must name real ones.
func Keys() ([]string, error) {
	s, err := Generate(detect.Providers)
	if err != nil {
		return nil, err
	}
	var out []string
	collect("", s, &out)
	slices.Sort(out)
	return out, nil
}

func collect(prefix string, s map[string]any, out *[]string) {
	if items, ok := s["items"].(map[string]any); ok {
		collect(prefix, items, out)
	}
	props, _ := s["properties"].(map[string]any)
	for k, v := range props {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		*out = append(*out, key)
		if sub, ok := v.(map[string]any); ok {
			collect(key, sub, out)
		}
	}
}
