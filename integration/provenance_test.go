//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	provenancetypes "github.com/moby/buildkit/solver/llbsolver/provenance/types"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/record"
)

// --provenance mode=max records what Strata built from: the description
// (as the Dockerfile frontend records its Dockerfile), the plan record
// (provider, resolved settings with their sources, build args as used)
// and, in BuildKit's own request, the build args. Secret-looking values
// are masked in the record, credentials given as a secret appear
// nowhere, and each secret-looking build arg gets a warning.
func TestProvenanceRecordsTheBuild(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	dir := b.example(t, "go-minimal")
	desc := "# syntax=localhost:5000/strata:dev\nargs:\n  VERSION: dev\n  API_TOKEN: \"\"\nrun:\n  env:\n    APP_VERSION: ${VERSION}\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	const (
		argToken  = "s3cret-arg-token"
		urlPass   = "s3cret-url-pass"
		netrcPass = "s3cret-netrc-pass"
	)
	image := b.registry + "/strata-test/provenance:latest"
	v, err := b.solve(t, b.client(t), build{
		dir: dir,
		attrs: map[string]string{
			"attest:provenance":   "mode=max",
			"build-arg:VERSION":   "1.2.3",
			"build-arg:API_TOKEN": argToken,
			// go-minimal has no dependencies: the proxy is never asked.
			"build-arg:GOPROXY": "https://strata:" + urlPass + "@goproxy.invalid,direct",
		},
		session: []session.Attachable{secretsprovider.FromMap(map[string][]byte{
			"netrc": []byte("machine goproxy.invalid login strata password " + netrcPass + "\n"),
		})},
		exports: pushTo(image),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, v.failures())
	}

	var prov *statement
	for _, s := range b.attestations(t, image) {
		if strings.HasPrefix(s.PredicateType, "https://slsa.dev/provenance/") {
			prov = &s
		}
	}
	if prov == nil {
		t.Fatal("no provenance attestation")
	}
	var pred provenancetypes.ProvenancePredicateSLSA1
	if err := json.Unmarshal(prov.Predicate, &pred); err != nil {
		t.Fatal(err)
	}
	if pred.BuildDefinition.InternalParameters.BuildConfig == nil || len(pred.BuildDefinition.InternalParameters.BuildConfig.Definition) == 0 {
		t.Error("mode=max recorded no build config")
	}
	// BuildKit's request: the build args as the client gave them.
	if got := pred.BuildDefinition.ExternalParameters.Request.Args["build-arg:VERSION"]; got != "1.2.3" {
		t.Errorf("request arg VERSION = %q", got)
	}

	var src *provenancetypes.Source
	if pred.RunDetails.Metadata != nil {
		src = pred.RunDetails.Metadata.BuildKitMetadata.Source
	}
	if src == nil {
		t.Fatal("provenance records no sources")
	}
	infos := map[string]provenancetypes.SourceInfo{}
	for _, si := range src.Infos {
		infos[si.Filename] = si
	}
	if d := infos["Dockerfile"]; !bytes.Equal(d.Data, []byte(desc)) || d.Language != "YAML" {
		t.Errorf("the description is not recorded as written: %q (%s); sources %v", d.Data, d.Language, slices.Collect(maps.Keys(infos)))
	}
	ri, ok := infos[record.Filename]
	if !ok {
		t.Fatalf("no plan record among the sources %v", slices.Collect(maps.Keys(infos)))
	}
	var rec record.Record
	if err := json.Unmarshal(ri.Data, &rec); err != nil {
		t.Fatalf("plan record: %v\n%s", err, ri.Data)
	}
	if rec.Provider != "go" || rec.Target != "runtime" {
		t.Errorf("record provider %q target %q", rec.Provider, rec.Target)
	}
	if !slices.ContainsFunc(rec.Settings, func(s plan.Setting) bool {
		return s.Key == "go version" && s.Value == "1.26" && strings.Contains(s.Source, "go.mod")
	}) {
		t.Errorf("the record lacks the resolved go version and its source: %+v", rec.Settings)
	}
	args := map[string]record.Arg{}
	for _, a := range rec.Args {
		args[a.Name] = a
	}
	for name, want := range map[string]record.Arg{
		"VERSION":   {Name: "VERSION", Value: "1.2.3", From: "build-arg"},
		"API_TOKEN": {Name: "API_TOKEN", Value: "xxxxx", From: "build-arg", Redacted: true},
		"GOPROXY":   {Name: "GOPROXY", Value: "https://xxxxx@goproxy.invalid,direct", From: "build-arg", Redacted: true},
	} {
		if args[name] != want {
			t.Errorf("recorded arg %s = %+v, want %+v", name, args[name], want)
		}
	}
	if _, ok := args["GOFLAGS"]; ok {
		t.Error("the record lists a pass-through arg that was not given")
	}

	// The record and the description hold no secret value; the netrc,
	// given as a secret, is nowhere in the provenance.
	for _, secret := range []string{argToken, urlPass, netrcPass} {
		for _, si := range src.Infos {
			if bytes.Contains(si.Data, []byte(secret)) {
				t.Errorf("source %s records %s", si.Filename, secret)
			}
		}
	}
	if bytes.Contains(prov.Raw, []byte(netrcPass)) {
		t.Error("the netrc secret is in the provenance")
	}
	// What Strata cannot mask: BuildKit keeps build args as given, in its
	// request and in the steps' environment. The build warns of them.
	t.Logf("BuildKit's own request records the token: %v", bytes.Contains(prov.Raw, []byte(argToken)))
	for _, want := range []string{
		"build arg GOPROXY looks like a secret (its value holds URL credentials)",
		"arg API_TOKEN looks like a secret",
	} {
		if !slices.ContainsFunc(v.warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning %q among %q", want, v.warnings)
		}
	}
}
