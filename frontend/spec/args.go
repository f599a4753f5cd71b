package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// BuiltinArgs are the platform args BuildKit defines for every build; a
// description may name them without declaring them.
var BuiltinArgs = []string{
	"BUILDARCH", "BUILDOS", "BUILDPLATFORM", "BUILDVARIANT",
	"TARGETARCH", "TARGETOS", "TARGETPLATFORM", "TARGETVARIANT",
}

var argName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// References lists the arg names a string refers to as ${NAME} (or
// ${NAME#prefix}, the value without a leading prefix, as in a Dockerfile).
// "$$" is a literal "$"; any other "$" is left as written.
func References(s string) ([]string, error) {
	var refs []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		switch s[i+1] {
		case '$':
			i++
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ${ in %q", s)
			}
			name, _, _ := strings.Cut(s[i+2:i+end], "#")
			if !argName.MatchString(name) {
				return nil, fmt.Errorf("%q is not an arg name", name)
			}
			refs = append(refs, name)
			i += end
		}
	}
	return refs, nil
}

// Expand replaces ${NAME} with lookup(NAME) and "$$" with "$". The string
// must have passed References, which the spec decoder guarantees.
func Expand(s string, lookup func(string) string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			switch s[i+1] {
			case '$':
				b.WriteByte('$')
				i++
				continue
			case '{':
				if end := strings.IndexByte(s[i:], '}'); end > 0 {
					name, prefix, _ := strings.Cut(s[i+2:i+end], "#")
					b.WriteString(strings.TrimPrefix(lookup(name), prefix))
					i += end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
