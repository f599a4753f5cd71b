package spec

import "regexp"

// patterns are the regular expressions the parser checks words with, by the
// name a `schema:"pattern=NAME"` or `schema:"keys=NAME"` tag uses, so the
// JSON Schema states the very rule the parser enforces.
var patterns = map[string]*regexp.Regexp{
	"name":           argName, // args and environment variables
	"debian-package": debianPackage,
	"secret-id":      secretID,
}

// Pattern is the regular expression named in a `schema` tag.
func Pattern(name string) (string, bool) {
	re, ok := patterns[name]
	if !ok {
		return "", false
	}
	return re.String(), true
}
