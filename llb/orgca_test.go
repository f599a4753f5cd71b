package llb_test

import (
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
)

// testPEM is any certificate: the converter does not read it.
const testPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

// The organisation's CA bundle reaches the steps that fetch as a
// read-only mount of a state of its own, never a layer, and only those.
func TestOrgCAMountsIntoFetchingStepsOnly(t *testing.T) {
	p := planDir(t, "../examples/go-service")
	p.CA = testPEM
	_, def := convert(t, p, options())
	all := ops(t, def)

	_, download := execWith(t, all, "go mod download")
	if !strings.Contains(strings.Join(download.Meta.Args, " "), plan.OrgCAPath) {
		t.Errorf("go mod download does not read the organisation's bundle: %q", download.Meta.Args)
	}
	var caMount bool
	for _, m := range download.Mounts {
		if m.Dest == "/run/strata-org-ca" {
			caMount = true
			if !m.Readonly {
				t.Error("the organisation's bundle is mounted read-write")
			}
		}
	}
	if !caMount {
		t.Error("go mod download has no mount of the organisation's bundle")
	}
	_, build := execWith(t, all, "go build")
	for _, m := range build.Mounts {
		if m.Dest == "/run/strata-org-ca" {
			t.Error("the compile step, which fetches nothing, mounts the bundle")
		}
	}
	// The bundle's file op feeds mounts only: no copy takes it into a layer.
	for _, op := range all {
		if f := op.GetFile(); f != nil {
			for _, a := range f.Actions {
				if mk := a.GetMkfile(); mk != nil && string(mk.Data) == testPEM {
					continue
				}
				if cp := a.GetCopy(); cp != nil && strings.Contains(cp.Src, "ca.pem") {
					t.Errorf("a copy takes the bundle: %+v", cp)
				}
			}
		}
	}
	// Without it, the plan's steps are what they were.
	p.CA = ""
	_, def = convert(t, p, options())
	_, download = execWith(t, ops(t, def), "go mod download")
	if strings.Contains(strings.Join(download.Meta.Args, " "), plan.OrgCAPath) {
		t.Error("a plan without the organisation's bundle mentions it")
	}
}
