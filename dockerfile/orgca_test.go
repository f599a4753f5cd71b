package dockerfile_test

import (
	"strings"
	"testing"

	"github.com/strata-build/strata/dockerfile"
	"github.com/strata-build/strata/frontend/plan"
)

// An ejected Dockerfile carries the organisation's CA bundle in a stage
// of its own that the fetching steps bind, and BuildKit reads it.
func TestOrgCARendersAsABoundStage(t *testing.T) {
	p := planDir(t, "../examples/python-fastapi")
	p.CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	dt, err := dockerfile.Render(p, dockerfile.Options{File: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	text := string(dt)
	for _, want := range []string{
		"FROM scratch AS org-ca\nCOPY --chmod=0444 <<'STRATA_EOF' /ca.pem\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nSTRATA_EOF\n",
		"--mount=type=bind,from=org-ca,target=/run/strata-org-ca",
		plan.OrgCAPrelude,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, plan.CAPrelude) {
		t.Error("the secret-only prelude is still there")
	}
	parse(t, dt)
	convert(t, dt, "", nil)
}
