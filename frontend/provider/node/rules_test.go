package node

import (
	"errors"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/spec"
)

// Each rule fires on a bad input with its file and line, and stays quiet
// on a good one.
func TestRules(t *testing.T) {
	lock := lockFor(t, pkgJSON, nil)
	engines := strings.Replace(pkgJSON, `{"name"`, `{"engines":{"node":">=24"},"name"`, 1)
	cases := []struct {
		name, desc string
		files      map[string]string
		rule, file string
		line       int
	}{
		{"engines: node.version", "node:\n  version: \"22\"\n", map[string]string{"package.json": engines, "package-lock.json": lockFor(t, engines, nil)}, "NodeEnginesNotSatisfied", "", 2},
		{"engines: .nvmrc", "", map[string]string{"package.json": engines, "package-lock.json": lockFor(t, engines, nil), ".nvmrc": "22.11.0\n"}, "NodeEnginesNotSatisfied", ".nvmrc", 1},
		{"npmrc token", "", map[string]string{"package.json": pkgJSON, "package-lock.json": lock, ".npmrc": "registry=https://npm.example/\n//npm.example/:_authToken=npm_abc123\n"}, "NpmrcTokenInContext", ".npmrc", 2},
		{"quiet: engines allow", "node:\n  version: \"24\"\n", map[string]string{"package.json": engines, "package-lock.json": lockFor(t, engines, nil)}, "", "", 0},
		{"quiet: token from env", "", map[string]string{"package.json": pkgJSON, "package-lock.json": lock, ".npmrc": "//npm.example/:_authToken=${NPM_TOKEN}\n"}, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, c.files)
			if err != nil {
				t.Fatal(err)
			}
			if c.rule == "" {
				if len(p.Findings) != 0 {
					t.Errorf("findings on a good input: %+v", p.Findings)
				}
				return
			}
			if len(p.Findings) != 1 || p.Findings[0].Rule != c.rule || p.Findings[0].File != c.file || p.Findings[0].Pos.Line != c.line {
				t.Errorf("findings %+v, want %s in %q line %d", p.Findings, c.rule, c.file, c.line)
			}
		})
	}
}

// The lockfile rules are errors too: the error carries the rule, so
// --call=check reports it as a finding.
func TestLockfileRulesAreRuledErrors(t *testing.T) {
	for rule, files := range map[string]map[string]string{
		"NodeLockfileMissing":   {"package.json": pkgJSON},
		"NodeLockfilesConflict": {"package.json": pkgJSON, "package-lock.json": lockFor(t, pkgJSON, nil), "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
		"NodeLockfileOutOfSync": {"package.json": pkgJSON, "package-lock.json": lockFor(t, `{"dependencies":{"express":"^5.1.0"}}`, nil)},
	} {
		_, err := planFor(t, "", files)
		var se *spec.Error
		if !errors.As(err, &se) || se.Rule != rule {
			t.Errorf("%s: err = %v", rule, err)
		}
	}
}
