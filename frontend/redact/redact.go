// Package redact masks secret-looking build arg values before Strata
// records them (the provenance's plan record) or names them in a warning.
package redact

import (
	"regexp"
	"strings"
)

// Mask replaces what is hidden, as BuildKit masks URL credentials.
const Mask = "xxxxx"

// secretWords in an arg name mark its value as a secret: NPM_TOKEN,
// DB_PASSWORD, AWS_SECRET_ACCESS_KEY, NPM_CONFIG_//host/:_authToken …
// Broad on purpose: masking a harmless value costs a line of provenance,
// missing a token costs a rotation.
var secretWords = []string{"token", "passw", "secret", "key", "auth", "credential", "cookie", "session"}

// userinfo is the credentials part of a URL in a value: one URL or a list
// (GOPROXY's commas, PIP_EXTRA_INDEX_URL's spaces).
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s,|]+@`)

// SecretName reports whether an arg's name says it holds a secret.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// HasCredentials reports whether a value holds a URL with credentials.
func HasCredentials(v string) bool { return userinfo.MatchString(v) }

// Value is v as it may be recorded: masked whole when the name says
// secret, else with the credentials of every URL in it masked.
func Value(name, v string) string {
	if v == "" {
		return v
	}
	if SecretName(name) {
		return Mask
	}
	return userinfo.ReplaceAllString(v, "${1}"+Mask+"@")
}
