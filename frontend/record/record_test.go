package record

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/strata-build/strata/frontend/plan"
)

func TestOf(t *testing.T) {
	p := &plan.Plan{
		Provider: "go",
		Settings: []plan.Setting{{Key: "go version", Value: "1.26", Source: "go.mod line 3"}},
		Args: []plan.Arg{
			{Name: "VERSION", Default: "dev"},
			{Name: "API_TOKEN"},
			{Name: "GOPROXY", PassThrough: true},
			{Name: "GOFLAGS", PassThrough: true},
		},
	}
	args := map[string]string{
		"API_TOKEN":         "s3cret-token",
		"GOPROXY":           "https://user:s3cret-pass@proxy.example,direct",
		"SOURCE_DATE_EPOCH": "1700000000",
	}
	dt := Of(p, "runtime", args).JSON()
	for _, secret := range []string{"s3cret-token", "s3cret-pass"} {
		if strings.Contains(string(dt), secret) {
			t.Errorf("the record holds %s:\n%s", secret, dt)
		}
	}
	var r Record
	if err := json.Unmarshal(dt, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]Arg{}
	for _, a := range r.Args {
		got[a.Name] = a
	}
	want := map[string]Arg{
		"VERSION":           {Name: "VERSION", Value: "dev", From: "default"},
		"API_TOKEN":         {Name: "API_TOKEN", Value: "xxxxx", From: "build-arg", Redacted: true},
		"GOPROXY":           {Name: "GOPROXY", Value: "https://xxxxx@proxy.example,direct", From: "build-arg", Redacted: true},
		"SOURCE_DATE_EPOCH": {Name: "SOURCE_DATE_EPOCH", Value: "1700000000", From: "build-arg"},
	}
	if len(got) != len(want) {
		t.Errorf("args %+v, want %+v (GOFLAGS was not given)", r.Args, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
	if r.Provider != "go" || r.Target != "runtime" || len(r.Settings) != 1 || r.Settings[0].Source != "go.mod line 3" {
		t.Errorf("record %+v", r)
	}
}
